/**
 * Follows every open shard of a data stream from a point in time, one GetRecords per shard a
 * second, and keeps the newest records (newest first). Used for the Analytics output table.
 */
import { useEffect, useState } from 'preact/hooks';
import type { KinesisRecord } from './kinesis-types.js';
import { getRecords, listAllShards, shardIterator } from './kinesis.js';

export function useStreamTail(streamName: string | null, sinceMs: number, keep: number): { records: KinesisRecord[]; error: string | null } {
  const [records, setRecords] = useState<KinesisRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!streamName) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setRecords([]);
    const run = async () => {
      try {
        const shards = (await listAllShards(streamName)).filter((s) => s.SequenceNumberRange.EndingSequenceNumber === undefined);
        const iterators = await Promise.all(shards.map((s) => shardIterator(streamName, s.ShardId, { type: 'AT_TIMESTAMP', timestampMs: sinceMs })));
        const step = async () => {
          if (stopped) return;
          try {
            const pages = await Promise.all(iterators.map((it) => (it ? getRecords(it, 500) : null)));
            const fresh: KinesisRecord[] = [];
            pages.forEach((page, i) => {
              if (!page) return;
              iterators[i] = page.NextShardIterator ?? '';
              fresh.push(...page.Records);
            });
            if (!stopped && fresh.length > 0) {
              fresh.sort((a, b) => b.ApproximateArrivalTimestamp - a.ApproximateArrivalTimestamp);
              setRecords((r) => [...fresh, ...r].slice(0, keep));
            }
            setError(null);
          } catch (err) {
            setError(String(err));
          }
          if (!stopped) timer = setTimeout(() => void step(), 1000);
        };
        await step();
      } catch (err) {
        setError(String(err));
      }
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [streamName, sinceMs, keep]);
  return { records, error };
}
