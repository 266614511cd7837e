/**
 * Data Streams: the stream list; for the selected stream its summary, live throughput charts
 * (records/s and bytes/s in and out, per stream and per shard, from /metrics), the shard map
 * and the record browser.
 */
import { useState } from 'preact/hooks';
import { awsJson } from '../api.js';
import { usePoll } from '../use-poll.js';
import { Chart } from '../chart.js';
import { formatBytes, formatDuration, formatRate, formatTime } from '../format.js';
import { latestRate, METRICS, rateSeries, useMetrics } from '../metrics.js';
import { sumOf } from '../prom-text.js';
import type { DescribeStreamSummaryOutput, Shard } from './kinesis-types.js';
import { listAllShards, listStreamNames } from './kinesis.js';
import { RecordBrowser } from './record-browser.js';
import { ShardMap } from './shard-map.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export function StreamsPage() {
  const [names, setNames] = useState<string[] | null>(null);
  const [selected, setSelected] = useState<string | null>(new URLSearchParams(location.search).get('stream'));
  const error = usePoll(
    async () => {
      const n = await listStreamNames();
      setNames(n);
      setSelected((s) => (s !== null && n.includes(s) ? s : (n[0] ?? null)));
    },
    5000,
    [],
  );

  const select = (name: string) => {
    setSelected(name);
    history.replaceState(null, '', `?stream=${encodeURIComponent(name)}`);
  };

  return (
    <div class="split">
      <aside class="list" aria-label="streams">
        {error && <p class="error">{error}</p>}
        {names?.length === 0 && <p class="muted">No data streams yet.</p>}
        {names?.map((n) => (
          <button type="button" key={n} class={n === selected ? 'item active' : 'item'} data-stream={n} onClick={() => select(n)}>
            {n}
          </button>
        ))}
      </aside>
      <section class="detail">{selected && <StreamDetail key={selected} name={selected} />}</section>
    </div>
  );
}

function StreamDetail({ name }: { name: string }) {
  const [summary, setSummary] = useState<DescribeStreamSummaryOutput['StreamDescriptionSummary'] | null>(null);
  const [shards, setShards] = useState<Shard[]>([]);
  /** '' for the whole stream, else a shard id. */
  const [scope, setScope] = useState('');
  const { history } = useMetrics();

  const error = usePoll(
    async () => {
      const [s, sh] = await Promise.all([awsJson<DescribeStreamSummaryOutput>('streams', 'DescribeStreamSummary', { StreamName: name }), listAllShards(name)]);
      setSummary(s.StreamDescriptionSummary);
      setShards(sh);
    },
    5000,
    [name],
  );

  const openShards = shards.filter((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined);
  // The charts cover the whole stream (with a line per shard) or one shard.
  const chartShards = scope === '' ? openShards.slice(0, COLORS.length - 2) : [];
  const where: Record<string, string> = scope === '' ? { stream: name } : { stream: name, shard: scope };
  const inRecords = rateSeries(history, (s) => sumOf(s, METRICS.streamInRecords, where));
  const outRecords = rateSeries(history, (s) => sumOf(s, METRICS.streamOutRecords, where));
  const inBytes = rateSeries(history, (s) => sumOf(s, METRICS.streamInBytes, where));
  const outBytes = rateSeries(history, (s) => sumOf(s, METRICS.streamOutBytes, where));
  const perShard = chartShards.map((sh) => rateSeries(history, (s) => sumOf(s, METRICS.streamInRecords, { stream: name, shard: sh.ShardId })).ys);
  const latest = history[history.length - 1]?.samples ?? [];

  return (
    <div>
      <h2>{name}</h2>
      {error && <p class="error">{error}</p>}
      {summary && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>{summary.StreamStatus}</dd>
          <dt>Mode</dt>
          <dd>{summary.StreamModeDetails?.StreamMode ?? 'PROVISIONED'}</dd>
          <dt>Open shards</dt>
          <dd data-open-shards>{summary.OpenShardCount}</dd>
          <dt>Retention</dt>
          <dd>{summary.RetentionPeriodHours} h</dd>
          <dt>Encryption</dt>
          <dd>{summary.EncryptionType ?? 'NONE'}</dd>
          <dt>Created</dt>
          <dd>{formatTime(summary.StreamCreationTimestamp * 1000)}</dd>
        </dl>
      )}
      <div class="toolbar">
        <label>
          Charts for{' '}
          <select aria-label="chart scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
            <option value="">the whole stream</option>
            {shards.map((s) => (
              <option key={s.ShardId} value={s.ShardId}>
                {s.ShardId}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="charts">
        <Chart
          id="stream-records"
          title={scope === '' ? 'Records per second' : `Records per second, ${scope}`}
          series={[
            { label: 'in', color: COLORS[0]! },
            { label: 'out', color: COLORS[1]! },
            ...chartShards.map((s, i) => ({ label: `in ${s.ShardId}`, color: COLORS[i + 2]! })),
          ]}
          data={[inRecords.xs, inRecords.ys, outRecords.ys, ...perShard]}
          format={(v) => formatRate(v, 'rec')}
        />
        <Chart
          id="stream-bytes"
          title={scope === '' ? 'Bytes per second' : `Bytes per second, ${scope}`}
          series={[
            { label: 'in', color: COLORS[0]! },
            { label: 'out', color: COLORS[1]! },
          ]}
          data={[inBytes.xs, inBytes.ys, outBytes.ys]}
          format={(v) => `${formatBytes(v)}/s`}
        />
      </div>
      <table class="grid" aria-label="per-shard throughput">
        <thead>
          <tr>
            <th>Shard</th>
            <th>In records/s</th>
            <th>In bytes/s</th>
            <th>Out records/s</th>
            <th>Out bytes/s</th>
            <th>Iterator age</th>
          </tr>
        </thead>
        <tbody>
          {openShards.map((sh) => {
            const where = { stream: name, shard: sh.ShardId };
            return (
              <tr key={sh.ShardId} data-shard={sh.ShardId}>
                <td>{sh.ShardId}</td>
                <td>{formatRate(latestRate(history, (s) => sumOf(s, METRICS.streamInRecords, where)), 'rec')}</td>
                <td>{formatBytes(latestRate(history, (s) => sumOf(s, METRICS.streamInBytes, where)))}/s</td>
                <td>{formatRate(latestRate(history, (s) => sumOf(s, METRICS.streamOutRecords, where)), 'rec')}</td>
                <td>{formatBytes(latestRate(history, (s) => sumOf(s, METRICS.streamOutBytes, where)))}/s</td>
                <td>{formatDuration(sumOf(latest, METRICS.iteratorAge, where) * 1000)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ShardMap shards={shards} />
      <RecordBrowser stream={name} shards={shards} />
    </div>
  );
}
