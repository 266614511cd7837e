/**
 * Firehose: each delivery stream with its source and destinations, buffer fill (buffered bytes
 * against the size hint), backed-up records, data freshness, last delivery, delivery errors.
 * Descriptions come from DescribeDeliveryStream; the live numbers from /metrics.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { awsJson, streamNameFromArn } from '../api.js';
import { usePoll } from '../use-poll.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import { latestRate, METRICS, useMetrics } from '../metrics.js';
import { sumOf } from '../prom-text.js';

interface BufferingHints {
  SizeInMBs?: number;
  IntervalInSeconds?: number;
}
interface Destination {
  DestinationId: string;
  [description: string]: unknown;
}
interface DeliveryStreamDescription {
  DeliveryStreamName: string;
  DeliveryStreamStatus: string;
  DeliveryStreamType: string;
  Source?: { KinesisStreamSourceDescription?: { KinesisStreamARN?: string } };
  Destinations: Destination[];
  FailureDescription?: { Type: string; Details: string };
}

/** The destination's kind (from its description's key) and buffering hints. */
function destinationInfo(d: Destination): { kind: string; target: string; hints: BufferingHints | null } {
  for (const [key, value] of Object.entries(d)) {
    if (!key.endsWith('DestinationDescription') || typeof value !== 'object' || value === null) continue;
    const desc = value as { BucketARN?: string; Prefix?: string; BufferingHints?: BufferingHints; EndpointConfiguration?: { Url?: string } };
    const kind = key.replace(/DestinationDescription$/, '');
    const target = desc.BucketARN ? `${desc.BucketARN}${desc.Prefix ? `/${desc.Prefix}` : ''}` : (desc.EndpointConfiguration?.Url ?? '');
    return { kind, target, hints: desc.BufferingHints ?? null };
  }
  return { kind: 'unknown', target: '', hints: null };
}

export function FirehosePage() {
  const [streams, setStreams] = useState<DeliveryStreamDescription[] | null>(null);
  const { history } = useMetrics();

  const error = usePoll(
    async () => {
      const list = await awsJson<{ DeliveryStreamNames: string[] }>('firehose', 'ListDeliveryStreams', { Limit: 100 });
      const described = await Promise.all(
        list.DeliveryStreamNames.map((n) => awsJson<{ DeliveryStreamDescription: DeliveryStreamDescription }>('firehose', 'DescribeDeliveryStream', { DeliveryStreamName: n })),
      );
      setStreams(described.map((d) => d.DeliveryStreamDescription));
    },
    5000,
    [],
  );

  const latest = history[history.length - 1]?.samples ?? [];
  const nowS = Date.now() / 1000;
  return (
    <div>
      {error && <p class="error">{error}</p>}
      {streams?.length === 0 && <p class="muted">No delivery streams yet.</p>}
      <div class="cards">
        {streams?.map((s) => {
          const where = { delivery_stream: s.DeliveryStreamName };
          const bufferedBytes = sumOf(latest, METRICS.firehoseBufferedBytes, where);
          const bufferedRecords = sumOf(latest, METRICS.firehoseBufferedRecords, where);
          const freshness = sumOf(latest, METRICS.firehoseFreshness, where);
          const lastDelivery = sumOf(latest, METRICS.firehoseLastDelivery, where);
          const failures = sumOf(latest, METRICS.firehoseFailures, where);
          const successes = sumOf(latest, METRICS.firehoseSuccess, where);
          const delivered = sumOf(latest, METRICS.firehoseDeliveredRecords, where);
          const deliveredBytes = sumOf(latest, METRICS.firehoseDeliveredBytes, where);
          const inRate = latestRate(history, (x) => sumOf(x, METRICS.firehoseInRecords, where));
          const dests = s.Destinations.map(destinationInfo);
          const sizeHintBytes = (dests[0]?.hints?.SizeInMBs ?? 5) * 1024 * 1024;
          const fill = Math.min(100, (bufferedBytes / sizeHintBytes) * 100);
          return (
            <article class="card" key={s.DeliveryStreamName} data-delivery-stream={s.DeliveryStreamName}>
              <h2>{s.DeliveryStreamName}</h2>
              <dl class="facts">
                <dt>Status</dt>
                <dd>{s.DeliveryStreamStatus}</dd>
                <dt>Source</dt>
                <dd>{s.Source?.KinesisStreamSourceDescription?.KinesisStreamARN ? `data stream ${streamNameFromArn(s.Source.KinesisStreamSourceDescription.KinesisStreamARN)}` : 'Direct PUT'}</dd>
                {dests.map((d, i) => (
                  <Fragment key={i}>
                    <dt>Destination</dt>
                    <dd>
                      {d.kind} {d.target}
                      {d.hints && (
                        <small class="muted">
                          {' '}
                          (buffer {d.hints.SizeInMBs ?? '?'} MiB / {d.hints.IntervalInSeconds ?? '?'} s)
                        </small>
                      )}
                    </dd>
                  </Fragment>
                ))}
                <dt>Incoming</dt>
                <dd>{inRate.toFixed(1)} records/s</dd>
                <dt>Buffer fill</dt>
                <dd>
                  <div class="meter" title={`${formatBytes(bufferedBytes)} of ${formatBytes(sizeHintBytes)}`}>
                    <div style={{ width: `${fill}%` }} />
                  </div>
                  <span data-buffered-bytes={bufferedBytes}>{formatBytes(bufferedBytes)}</span> of {formatBytes(sizeHintBytes)}
                </dd>
                <dt>Backed-up records</dt>
                <dd data-buffered-records={bufferedRecords}>{bufferedRecords}</dd>
                <dt>Data freshness</dt>
                <dd>{formatDuration(freshness * 1000)}</dd>
                <dt>Last delivery</dt>
                <dd data-last-delivery={lastDelivery}>{lastDelivery > 0 ? `${formatTime(lastDelivery * 1000)} (${formatDuration((nowS - lastDelivery) * 1000)} ago)` : 'none yet'}</dd>
                <dt>Delivered</dt>
                <dd>
                  {delivered} records, {formatBytes(deliveredBytes)} in {successes} deliveries
                </dd>
                <dt>Errors</dt>
                <dd class={failures > 0 ? 'error' : ''} data-failures={failures}>
                  {failures} failed deliveries
                  {s.FailureDescription && ` · ${s.FailureDescription.Type}: ${s.FailureDescription.Details}`}
                </dd>
              </dl>
            </article>
          );
        })}
      </div>
    </div>
  );
}
