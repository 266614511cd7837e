/**
 * `rivulet tail` across resharding, against a live server: records put with a few partition
 * keys while the stream is split and then merged under a running tail are each printed exactly
 * once, in put order per key, and Ctrl-C ends the tail with exit code 0.
 */
import { CreateStreamCommand, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, spawnCli } from '../harness/cli.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });
const KEYS = ['sensor-a', 'sensor-b', 'sensor-c', 'sensor-d', 'sensor-e', 'sensor-f'];

interface Printed {
  ShardId: string;
  SequenceNumber: string;
  PartitionKey: string;
  Text: string;
}

/** Puts `count` records one at a time (so each key's order is the put order), cycling through the keys. */
async function putRound(stream: string, round: string, count: number): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = KEYS[i % KEYS.length]!;
    const text = `${key}:${round}:${i}`;
    await suite.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: Buffer.from(text) }));
    sent.push(text);
  }
  return sent;
}

const printed = (stdout: string) => jsonLines<Printed>(stdout.split('\n').filter((l) => l.endsWith('}')).join('\n'));

describe('rivulet tail', () => {
  it('prints every record exactly once, in per-key order, while the stream is split and merged under it; Ctrl-C exits 0', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'ticks', ShardCount: 1 }));
    await waitUntilStreamExists({ client: suite.kinesis, maxWaitTime: 30 }, { StreamName: 'ticks' });
    const tail = spawnCli(['tail', 'ticks', '--from', 'TRIM_HORIZON', '--json', '--poll-interval', '100'], { endpoint: suite.server.endpoint });
    const sent: string[] = [];
    sent.push(...(await putRound('ticks', 'before', 30)));
    await tail.waitFor((out) => printed(out).length >= 30, 60_000);

    // Split the only shard while the tail is reading it; the rest goes to the two children.
    const split = await runCli(['streams', 'split', 'ticks', '0'], { endpoint: suite.server.endpoint });
    expect(split.code).toBe(0);
    sent.push(...(await putRound('ticks', 'split', 30)));
    await tail.waitFor((out) => printed(out).length >= 60, 60_000);

    // Merge the children back into one shard; the rest goes to the grandchild.
    const merge = await runCli(['streams', 'merge', 'ticks', '1', '2'], { endpoint: suite.server.endpoint });
    expect(merge.code).toBe(0);
    sent.push(...(await putRound('ticks', 'merged', 30)));
    await tail.waitFor((out) => printed(out).length >= 90, 60_000);
    // Nothing more arrives late (no duplicates from re-reading a parent or a child).
    await new Promise((r) => setTimeout(r, 1500));

    tail.child.kill('SIGINT');
    const result = await tail.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const records = printed(result.stdout);
    expect(records.map((r) => r.Text).sort()).toEqual([...sent].sort());
    expect(new Set(records.map((r) => r.SequenceNumber)).size).toBe(records.length);
    for (const key of KEYS) {
      expect(records.filter((r) => r.PartitionKey === key).map((r) => r.Text)).toEqual(sent.filter((t) => t.startsWith(`${key}:`)));
    }
    // It did follow the lineage: the parent, both split children and the merged grandchild.
    expect(new Set(records.map((r) => r.ShardId))).toEqual(new Set(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']));
  }, 300_000);

  it('stops after --count records or at --timeout, exit 0, and prints text lines without --json', async () => {
    await suite.kinesis.send(new CreateStreamCommand({ StreamName: 'quiet', ShardCount: 2 }));
    await waitUntilStreamExists({ client: suite.kinesis, maxWaitTime: 30 }, { StreamName: 'quiet' });
    await putRound('quiet', 'r', 6);
    const counted = await runCli(['tail', 'quiet', '--from', 'TRIM_HORIZON', '--count', '4'], { endpoint: suite.server.endpoint });
    expect(counted.code).toBe(0);
    const lines = counted.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/^shardId-00000000000[01]\tsensor-[a-f]\tsensor-[a-f]:r:\d$/);
    const started = Date.now();
    const timed = await runCli(['tail', 'quiet', '--timeout', '2'], { endpoint: suite.server.endpoint });
    expect(timed).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const missing = await runCli(['tail', 'nope'], { endpoint: suite.server.endpoint });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rivulet: ResourceNotFoundException: [^\n]+\n$/);
  }, 180_000);
});
