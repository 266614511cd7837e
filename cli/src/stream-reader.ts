/**
 * Reads a data stream across all its shards and their lineage, for get, tail, replay and apps
 * output. Owns the GetShardIterator/GetRecords loop per shard (throttling backoff, expired
 * iterators renewed after the last sequence number), following a closed shard's children once
 * all their parents are exhausted (shard-lineage.ts), and stopping: at the tip when not
 * following, at an arrival-time bound, or when the signal aborts. Does not own output.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard, type _Record } from '@aws-sdk/client-kinesis';
import type { Clock } from '@rivulet/shared';
import { backoffMs, isThrottle, sleep } from './backoff.js';
import { ShardLineage, type ShardNode } from './shard-lineage.js';
import { iteratorInput, type StartPosition } from './start-position.js';

export interface ReadBatch {
  shardId: string;
  records: _Record[];
  /** MillisBehindLatest of the page these records came in. */
  millisBehindLatest: number;
}

export interface ReadOptions {
  kinesis: KinesisClient;
  clock: Clock;
  stream: string;
  start: StartPosition;
  /** true (tail): poll open shards at the tip until aborted. false: stop each shard at its tip. */
  follow: boolean;
  /** Only these shards, without following their children (get --shard). */
  shardIds?: string[];
  /** Stop a shard at the first record that arrived after this time (the record is not delivered). */
  untilArrivalMs?: number;
  /** Called in order per shard; awaited before the shard's next GetRecords. */
  onBatch: (batch: ReadBatch) => void | Promise<void>;
  /** Called after each empty page and when a shard ends, for progress. */
  onPosition?: (shardId: string, position: { millisBehindLatest: number; ended: boolean }) => void;
  signal: AbortSignal;
  /** Pause after an empty page (Kinesis allows 5 GetRecords per second per shard). */
  pollIntervalMs?: number;
  random?: () => number;
}

const DEFAULT_POLL_MS = 250;
/** Kinesis: GetRecords returns at most 10,000 records. */
const PAGE_LIMIT = 10_000;

type ShardEnd = 'closed' | 'tip' | 'bound' | 'aborted';

/**
 * Resolves when every shard is read (not following), or when the signal aborts. Rejects with
 * the first error that is not a throttle or an expired iterator.
 * @example
 * await readStream({ kinesis, clock, stream: 'orders', start: { type: 'TRIM_HORIZON' }, follow: false, signal, onBatch: (b) => print(b) });
 */
export async function readStream(o: ReadOptions): Promise<void> {
  const inner = new AbortController();
  const signal = AbortSignal.any([o.signal, inner.signal]);
  const childStart: StartPosition = o.start.type === 'AT_TIMESTAMP' ? o.start : { type: 'TRIM_HORIZON' };
  const lineage = o.shardIds
    ? new ShardLineage(o.shardIds.map((shardId) => ({ shardId, open: true })), false)
    : new ShardLineage(await listShards(o.kinesis, o.stream, signal), o.start.type === 'LATEST');
  const running = new Map<string, Promise<void>>();
  let firstError: unknown;
  const launch = (position: StartPosition) => {
    for (const shardId of lineage.ready()) {
      const task = readShard(o, shardId, position, signal).then(
        (end) => {
          if (end !== 'aborted') lineage.finish(shardId, end === 'bound');
          running.delete(shardId);
        },
        (e: unknown) => {
          firstError ??= e;
          inner.abort();
          running.delete(shardId);
        },
      );
      running.set(shardId, task);
    }
  };
  // The first shards start where asked; children start at their beginning (or the same time).
  launch(o.start);
  while (running.size > 0) {
    await Promise.race(running.values());
    if (signal.aborted) {
      await Promise.allSettled(running.values());
      break;
    }
    if (!o.shardIds) {
      try {
        lineage.update(await listShards(o.kinesis, o.stream, signal));
      } catch (e) {
        if (signal.aborted) break;
        firstError ??= e;
        inner.abort();
        await Promise.allSettled(running.values());
        break;
      }
      launch(childStart);
    }
  }
  if (firstError !== undefined) throw firstError;
}

async function readShard(o: ReadOptions, shardId: string, start: StartPosition, signal: AbortSignal): Promise<ShardEnd> {
  const random = o.random ?? Math.random;
  let lastSequence: string | undefined;
  let attempt = 0;
  const iteratorFor = async (): Promise<string | undefined> => {
    const position: StartPosition = lastSequence ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastSequence } : start;
    for (;;) {
      try {
        const out = await o.kinesis.send(new GetShardIteratorCommand(iteratorInput(o.stream, shardId, position)), { abortSignal: signal });
        return out.ShardIterator;
      } catch (e) {
        if (!isThrottle(e) || signal.aborted) throw e;
        await sleep(o.clock, backoffMs(attempt++, random), signal);
      }
    }
  };
  let iterator: string | undefined;
  try {
    iterator = await iteratorFor();
    while (iterator !== undefined && !signal.aborted) {
      let page;
      try {
        page = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT }), { abortSignal: signal });
        attempt = 0;
      } catch (e) {
        if (signal.aborted) return 'aborted';
        if (isThrottle(e)) {
          await sleep(o.clock, backoffMs(attempt++, random), signal);
          continue;
        }
        if ((e as { name?: string }).name === 'ExpiredIteratorException') {
          iterator = await iteratorFor();
          continue;
        }
        throw e;
      }
      const millisBehindLatest = page.MillisBehindLatest ?? 0;
      let records = page.Records ?? [];
      let end: ShardEnd | undefined;
      if (o.untilArrivalMs !== undefined) {
        const cut = records.findIndex((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) > o.untilArrivalMs!);
        if (cut >= 0) {
          records = records.slice(0, cut);
          end = 'bound';
        }
      }
      if (records.length > 0) {
        lastSequence = records.at(-1)!.SequenceNumber;
        await o.onBatch({ shardId, records, millisBehindLatest });
      }
      iterator = page.NextShardIterator ?? undefined;
      if (end === undefined && iterator === undefined) end = 'closed';
      if (end === undefined && records.length === 0 && millisBehindLatest === 0 && !o.follow) end = 'tip';
      if (end !== undefined) {
        o.onPosition?.(shardId, { millisBehindLatest, ended: true });
        return end;
      }
      if (records.length === 0) {
        o.onPosition?.(shardId, { millisBehindLatest, ended: false });
        await sleep(o.clock, o.pollIntervalMs ?? DEFAULT_POLL_MS, signal);
      }
    }
  } catch (e) {
    if (signal.aborted) return 'aborted';
    throw e;
  }
  return signal.aborted ? 'aborted' : 'closed';
}

/** Every shard of the stream (ListShards pages), as lineage nodes. */
export async function listShards(kinesis: KinesisClient, stream: string, signal?: AbortSignal): Promise<ShardNode[]> {
  return (await listShardDetails(kinesis, stream, signal)).map((s) => ({
    shardId: s.ShardId!,
    ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}),
    ...(s.AdjacentParentShardId ? { adjacentParentShardId: s.AdjacentParentShardId } : {}),
    open: s.SequenceNumberRange?.EndingSequenceNumber === undefined,
  }));
}

export async function listShardDetails(kinesis: KinesisClient, stream: string, signal?: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }), signal ? { abortSignal: signal } : {});
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}
