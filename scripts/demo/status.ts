/**
 * The demo's status line: what reached each stage since this run started, read through the
 * APIs (GetRecords from where the last look stopped, ListFragments) and the delivery directory.
 * Cheap: one GetRecords per shard per look while nothing is behind, one ListFragments page per
 * thousand fragments.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ListFragmentsCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';

/** Counts the records of a data stream that arrived from `sinceMs` on, following each shard. */
export class StreamCounter {
  private readonly iterators = new Map<string, string | undefined>();
  private count = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly stream: string,
    private readonly sinceMs: number,
  ) {}

  async poll(): Promise<number> {
    if (this.iterators.size === 0) {
      const { Shards = [] } = await this.kinesis.send(new ListShardsCommand({ StreamName: this.stream }));
      for (const s of Shards) {
        const out = await this.kinesis.send(
          new GetShardIteratorCommand({ StreamName: this.stream, ShardId: s.ShardId!, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(this.sinceMs) }),
        );
        this.iterators.set(s.ShardId!, out.ShardIterator);
      }
    }
    for (const [shard, start] of this.iterators) {
      // Kinesis: 5 GetRecords a second per shard; a look every few seconds stays well under.
      let iterator = start;
      for (let calls = 0; iterator && calls < 4; calls++) {
        const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
        this.count += page.Records?.length ?? 0;
        iterator = page.NextShardIterator;
        if (!page.Records?.length || page.MillisBehindLatest === 0) break;
      }
      this.iterators.set(shard, iterator);
    }
    return this.count;
  }
}

/** Fragments of a video stream whose producer time is from `sinceMs` on. */
export async function countFragments(archive: KinesisVideoArchivedMediaClient, stream: string, sinceMs: number, nowMs: number): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await archive.send(
      new ListFragmentsCommand({
        StreamName: stream,
        MaxResults: 1000,
        ...(token
          ? { NextToken: token }
          : { FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(sinceMs), EndTimestamp: new Date(nowMs + 60_000) } } }),
      }),
    );
    count += page.Fragments?.length ?? 0;
    token = page.NextToken;
  } while (token);
  return count;
}

/** Files under `dir` (recursively), leaving out dotfiles: the file sink's objects being written. */
export function countFiles(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let count = 0;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat) count += stat.isDirectory() ? countFiles(path) : 1;
  }
  return count;
}
