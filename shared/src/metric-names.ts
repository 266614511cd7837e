/**
 * Prometheus metric names: the server's GET /metrics and the agent's status /metrics (shared
 * contract of issue 8). The web console parses these, so they are named once, here.
 * Counters end in _total; labels are listed beside each name.
 */
export const METRIC_NAMES = {
  /** counter {service, action, status} */
  requests: 'rivulet_requests_total',
  /** histogram {service, action} */
  requestDuration: 'rivulet_request_duration_seconds',
  /** counter {service, action}: ProvisionedThroughputExceeded, per record for PutRecords */
  throttled: 'rivulet_throttled_total',
  /** counters {stream, shard} */
  streamIncomingRecords: 'rivulet_stream_incoming_records_total',
  streamIncomingBytes: 'rivulet_stream_incoming_bytes_total',
  streamOutgoingRecords: 'rivulet_stream_outgoing_records_total',
  streamOutgoingBytes: 'rivulet_stream_outgoing_bytes_total',
  /** gauge {stream, shard}: MillisBehindLatest of the last GetRecords */
  streamIteratorAge: 'rivulet_stream_iterator_age_seconds',
  /** gauge {stream}: open shards */
  streamShards: 'rivulet_stream_shards',
  /** counters {stream} */
  videoFragments: 'rivulet_video_fragments_total',
  videoIncomingBytes: 'rivulet_video_incoming_bytes_total',
  /** counters {delivery_stream} */
  firehoseIncomingRecords: 'rivulet_firehose_incoming_records_total',
  firehoseIncomingBytes: 'rivulet_firehose_incoming_bytes_total',
  /** counters {delivery_stream, destination} */
  firehoseDeliverySuccess: 'rivulet_firehose_delivery_success_total',
  firehoseDeliveryFailures: 'rivulet_firehose_delivery_failures_total',
  firehoseDeliveredRecords: 'rivulet_firehose_delivered_records_total',
  firehoseDeliveredBytes: 'rivulet_firehose_delivered_bytes_total',
  /** gauges {delivery_stream} */
  firehoseBufferedRecords: 'rivulet_firehose_buffered_records',
  firehoseBufferedBytes: 'rivulet_firehose_buffered_bytes',
  firehoseDataFreshness: 'rivulet_firehose_data_freshness_seconds',
  firehoseLastDelivery: 'rivulet_firehose_last_delivery_timestamp_seconds',
  /** gauge {application} */
  analyticsLag: 'rivulet_analytics_application_lag_seconds',
  /** counters {application} */
  analyticsInputRows: 'rivulet_analytics_input_rows_total',
  analyticsOutputRows: 'rivulet_analytics_output_rows_total',
  analyticsErrors: 'rivulet_analytics_errors_total',
  /** gauge {store}: bytes on disk of the store's LevelDB directory */
  leveldbSize: 'rivulet_leveldb_size_bytes',
  /** agent: counters {source} */
  agentSourceRecords: 'rivulet_agent_source_records_total',
  agentSourceErrors: 'rivulet_agent_source_errors_total',
  /** agent: gauges */
  agentBufferRecords: 'rivulet_agent_buffer_records',
  agentBufferBytes: 'rivulet_agent_buffer_bytes',
  agentOldestUnsentAge: 'rivulet_agent_oldest_unsent_age_seconds',
  /** agent: counters {uploader} */
  agentUploadedRecords: 'rivulet_agent_uploaded_records_total',
  agentUploadFailures: 'rivulet_agent_upload_failures_total',
} as const;

/** Default process metrics carry these prefixes (prom-client collectDefaultMetrics). */
export const METRIC_PREFIX = { server: 'rivulet_', agent: 'rivulet_agent_' } as const;
