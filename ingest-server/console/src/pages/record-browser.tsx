/**
 * The record browser: tail a shard (LATEST, polled each second), or read from the trim horizon,
 * a sequence number or a time, a page at a time; and a form to put a test record.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { awsJson, fromBase64 } from '../api.js';
import { displayData, formatTime } from '../format.js';
import type { KinesisRecord, Shard } from './kinesis-types.js';
import { getRecords, shardIterator, type IteratorStart } from './kinesis.js';

const KEEP = 200;
const PAGE = 100;
type Mode = IteratorStart['type'];

export function RecordBrowser({ stream, shards }: { stream: string; shards: Shard[] }) {
  const [shardId, setShardId] = useState('');
  const [mode, setMode] = useState<Mode>('LATEST');
  const [sequence, setSequence] = useState('');
  const [time, setTime] = useState('');
  const [records, setRecords] = useState<KinesisRecord[]>([]);
  const [iterator, setIterator] = useState<string | null>(null);
  const [tailing, setTailing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useRef(0);

  useEffect(() => {
    if (shardId === '' && shards[0]) setShardId(shards.find((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined)?.ShardId ?? shards[0].ShardId);
  }, [shards]);

  // Tailing: one GetRecords a second on the iterator, keeping the newest records.
  useEffect(() => {
    if (!tailing || iterator === null) return;
    const mine = run.current;
    let stopped = false;
    let it: string | undefined = iterator;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = async () => {
      if (stopped || run.current !== mine || !it) return;
      try {
        const page = await getRecords(it, PAGE);
        if (stopped || run.current !== mine) return;
        it = page.NextShardIterator;
        if (page.Records.length > 0) setRecords((r) => [...page.Records.slice().reverse(), ...r].slice(0, KEEP));
        setError(null);
      } catch (err) {
        setError(String(err));
      }
      if (!stopped) timer = setTimeout(() => void step(), 1000);
    };
    void step();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tailing, iterator]);

  const start = async () => {
    run.current++;
    setRecords([]);
    setError(null);
    try {
      const from: IteratorStart =
        mode === 'AT_SEQUENCE_NUMBER' ? { type: mode, sequenceNumber: sequence.trim() } : mode === 'AT_TIMESTAMP' ? { type: mode, timestampMs: new Date(time).getTime() } : { type: mode };
      if (from.type === 'AT_TIMESTAMP' && !Number.isFinite(from.timestampMs)) throw new Error('Pick a time to read from');
      const it = await shardIterator(stream, shardId, from);
      if (mode === 'LATEST') {
        setIterator(it);
        setTailing(true);
      } else {
        setTailing(false);
        const page = await getRecords(it, PAGE);
        setRecords(page.Records);
        setIterator(page.NextShardIterator ?? null);
      }
    } catch (err) {
      setTailing(false);
      setError(String(err));
    }
  };

  const nextPage = async () => {
    if (!iterator) return;
    try {
      const page = await getRecords(iterator, PAGE);
      setRecords(page.Records);
      setIterator(page.NextShardIterator ?? null);
    } catch (err) {
      setError(String(err));
    }
  };

  const stop = () => {
    run.current++;
    setTailing(false);
  };

  return (
    <section class="records" aria-label="record browser">
      <h3>Records</h3>
      <div class="toolbar">
        <select aria-label="shard" value={shardId} onChange={(e) => setShardId(e.currentTarget.value)}>
          {shards.map((s) => (
            <option key={s.ShardId} value={s.ShardId}>
              {s.ShardId}
            </option>
          ))}
        </select>
        <select aria-label="start at" value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
          <option value="LATEST">Tail (latest)</option>
          <option value="TRIM_HORIZON">Oldest (trim horizon)</option>
          <option value="AT_SEQUENCE_NUMBER">At sequence number</option>
          <option value="AT_TIMESTAMP">At time</option>
        </select>
        {mode === 'AT_SEQUENCE_NUMBER' && <input aria-label="sequence number" placeholder="sequence number" value={sequence} onInput={(e) => setSequence(e.currentTarget.value)} />}
        {mode === 'AT_TIMESTAMP' && <input aria-label="time" type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} />}
        <button type="button" onClick={() => void start()} disabled={!shardId}>
          {mode === 'LATEST' ? 'Tail' : 'Read'}
        </button>
        {tailing && (
          <button type="button" onClick={stop}>
            Stop
          </button>
        )}
        {!tailing && iterator && records.length > 0 && (
          <button type="button" onClick={() => void nextPage()}>
            Next page
          </button>
        )}
        {tailing && <span class="live">● live</span>}
      </div>
      {error && <p class="error">{error}</p>}
      <table class="grid records-table">
        <thead>
          <tr>
            <th>Sequence number</th>
            <th>Arrival</th>
            <th>Partition key</th>
            <th>Data</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => {
            const data = displayData(fromBase64(r.Data));
            return (
              <tr key={r.SequenceNumber} data-sequence={r.SequenceNumber}>
                <td class="mono">{r.SequenceNumber}</td>
                <td>{formatTime(r.ApproximateArrivalTimestamp * 1000)}</td>
                <td>{r.PartitionKey}</td>
                <td class={data.kind === 'hex' ? 'mono data' : 'data'}>{data.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <PutRecordForm stream={stream} />
    </section>
  );
}

function PutRecordForm({ stream }: { stream: string }) {
  const [key, setKey] = useState('console-test');
  const [data, setData] = useState('{"hello":"from the console"}');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const put = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    try {
      const bytes = new TextEncoder().encode(data);
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      const out = await awsJson<{ ShardId: string; SequenceNumber: string }>('streams', 'PutRecord', { StreamName: stream, PartitionKey: key, Data: btoa(bin) });
      setResult(`Put to ${out.ShardId} as ${out.SequenceNumber}`);
    } catch (err) {
      setError(String(err));
    }
  };
  return (
    <form class="put" aria-label="put a test record" onSubmit={(e) => void put(e)}>
      <h3>Put a test record</h3>
      <label>
        Partition key
        <input name="partitionKey" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
      </label>
      <label>
        Data
        <textarea name="data" rows={3} value={data} onInput={(e) => setData(e.currentTarget.value)} />
      </label>
      <button type="submit">Put record</button>
      {result && <p class="ok" data-put-result>{result}</p>}
      {error && <p class="error">{error}</p>}
    </form>
  );
}
