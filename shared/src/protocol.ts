/** Protocol constants: wire header names, content types and target prefixes, named once. */

export const HEADERS = {
  target: 'x-amz-target',
  requestId: 'x-amzn-requestid',
  amzDate: 'x-amz-date',
  contentSha256: 'x-amz-content-sha256',
  securityToken: 'x-amz-security-token',
  /** Rivulet extension: the idempotent producer's id (1 to 128 of [A-Za-z0-9._:-]). */
  producerId: 'x-rivulet-producer-id',
  /** Rivulet extension: the producer's batch sequence number, a non-negative integer. */
  producerSequence: 'x-rivulet-producer-seq',
  /**
   * Rivulet extension: "true" makes a PutRecords all-or-nothing under throttling: if any record
   * would be refused, none is stored and the call fails whole, so a retry keeps per-key order.
   */
  atomicBatch: 'x-rivulet-atomic-batch',
  /** Rivulet extension: set to "true" on a response replayed from the idempotency window. */
  producerReplayed: 'x-rivulet-producer-replayed',
} as const;

export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';
export const AMZ_JSON_1_0 = 'application/x-amz-json-1.0';

export const TARGET_PREFIX = {
  streams: 'Kinesis_20131202',
  firehose: 'Firehose_20150804',
  analytics: 'KinesisAnalytics_20150814',
} as const;
