/**
 * The rivulet CLI against a live rivulet-ingest: stream administration (create, list, describe,
 * split, merge, scale, delete), put and get in both output modes, and the error contract
 * (exit 1 with one stderr line naming the exception; exit 2 for usage errors).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../harness/cli.js';
import { tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

/** Each CLI run starts a Node process (about 1-3 s on a shared CI machine). */
const CLI_TEST_MS = 180_000;
const suite = useIngestSuite({ client: 'http1' });
const cli = (args: string[], input?: string) => runCli(args, { endpoint: suite.server.endpoint, ...(input !== undefined ? { input } : {}) });

/** A failed command: the exit code, and stderr is exactly one line. */
function failure(r: { code: number | null; stderr: string }) {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return { code: r.code, line: lines[0]! };
}

describe('rivulet streams', () => {
  it('creates, lists and describes streams, with --json documents that parse', async () => {
    const created = await cli(['streams', 'create', 'orders', '--shards', '2']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('created stream orders: ACTIVE, PROVISIONED, 2 open shard(s)\n');
    const onDemand = await cli(['streams', 'create', 'elastic', '--on-demand', '--json']);
    expect(JSON.parse(onDemand.stdout)).toMatchObject({ StreamName: 'elastic', StreamStatus: 'ACTIVE', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });

    const listed = await cli(['streams', 'list']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+MODE\s+OPEN SHARDS\s+RETENTION$/);
    expect(listed.stdout).toMatch(/orders\s+ACTIVE\s+PROVISIONED\s+2\s+24h/);
    const listedJson = JSON.parse((await cli(['streams', 'list', '--json'])).stdout) as { Streams: { StreamName: string }[] };
    expect(listedJson.Streams.map((s) => s.StreamName).sort()).toEqual(['elastic', 'orders']);

    const described = JSON.parse((await cli(['--json', 'streams', 'describe', 'orders'])).stdout) as { Shards: { ShardId: string; HashKeyRange: { StartingHashKey: string } }[] };
    expect(described.Shards.map((s) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const text = await cli(['streams', 'describe', 'orders']);
    expect(text.stdout).toMatch(/^status:\s+ACTIVE$/m);
    expect(text.stdout).toMatch(/shardId-000000000001\s+open\s+170141183460469231731687303715884105728-340282366920938463463374607431768211455\s+-\s+-/);
  }, CLI_TEST_MS);

  it('splits at the midpoint, merges the children back, scales, and shows the lineage', async () => {
    await cli(['streams', 'create', 'reshard', '--shards', '1']);
    const split = await cli(['streams', 'split', 'reshard', '0', '--json']);
    expect(split.code).toBe(0);
    const children = (JSON.parse(split.stdout) as { ChildShards: { ShardId: string; ParentShardId: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string } }[] }).ChildShards;
    expect(children.map((c) => [c.ShardId, c.ParentShardId, c.HashKeyRange.StartingHashKey])).toEqual([
      ['shardId-000000000001', 'shardId-000000000000', '0'],
      ['shardId-000000000002', 'shardId-000000000000', (1n << 127n).toString()],
    ]);
    const merged = await cli(['streams', 'merge', 'reshard', 'shardId-000000000001', '2']);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/^merged shardId-000000000001 \+ shardId-000000000002 in reshard: ACTIVE$/m);
    expect(merged.stdout).toMatch(/shardId-000000000003\s+open\s+0-340282366920938463463374607431768211455\s+shardId-000000000001\s+shardId-000000000002/);
    const described = await cli(['streams', 'describe', 'reshard']);
    expect(described.stdout).toMatch(/shardId-000000000000\s+closed/);

    const scaled = await cli(['streams', 'scale', 'reshard', '--shards', '2']);
    expect(scaled.stdout).toBe('scaled reshard from 1 to 2 open shards: ACTIVE\n');
    const { Shards = [] } = await suite.kinesis.send(new ListShardsCommand({ StreamName: 'reshard' }));
    expect(Shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)).toHaveLength(2);
    // Kinesis: UpdateShardCount can at most double the open shards.
    expect(failure(await cli(['streams', 'scale', 'reshard', '--shards', '8']))).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: LimitExceededException: /) });
  }, CLI_TEST_MS);

  it('puts from an argument, a file and stdin lines, and gets them back as text or JSON', async () => {
    await cli(['streams', 'create', 'events', '--shards', '2']);
    const one = await cli(['put', 'events', '--key', 'device-1', 'hello world']);
    expect(one.stdout).toMatch(/^shardId-00000000000[01]\t\d{20,}\n$/);
    const dir = tempDir('rivulet-cli-put-');
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    writeFileSync(join(dir, 'blob.bin'), binary);
    const fromFile = await cli(['put', 'events', '--key', 'blob', '--file', join(dir, 'blob.bin'), '--json']);
    rmSync(dir, { recursive: true, force: true });
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ ShardId: expect.stringMatching(/^shardId-/), SequenceNumber: expect.stringMatching(/^\d+$/) });
    const lines = Array.from({ length: 30 }, (_, i) => `{"n":${i}}`);
    const fromStdin = await cli(['put', 'events', '-', '--json'], `${lines.join('\n')}\n`);
    expect(jsonLines(fromStdin.stdout)).toHaveLength(30);

    const got = await cli(['get', 'events', '--json']);
    const records = jsonLines<{ PartitionKey: string; Data: string; Text?: string; SequenceNumber: string }>(got.stdout);
    expect(records).toHaveLength(32);
    expect(records.find((r) => r.PartitionKey === 'device-1')?.Text).toBe('hello world');
    const blob = records.find((r) => r.PartitionKey === 'blob')!;
    expect(Buffer.from(blob.Data, 'base64').equals(binary)).toBe(true);
    expect(blob.Text).toBeUndefined();
    expect(records.filter((r) => r.Text?.startsWith('{"n":')).map((r) => r.Text).sort()).toEqual([...lines].sort());

    const text = await cli(['get', 'events', '--shard', '0', '--limit', '3']);
    const shown = text.stdout.trim().split('\n');
    expect(shown).toHaveLength(3);
    for (const line of shown) expect(line).toMatch(/^shardId-000000000000\t[^\t]+\t.+$/);
    const all = await cli(['get', 'events']);
    expect(all.stdout).toContain('\tblob\tbase64:AAEC+v8=\n');
    expect(all.stdout).toContain('\tdevice-1\thello world\n');

    const first = records.find((r) => r.PartitionKey === 'device-1')!;
    const after = await cli(['get', 'events', '--shard', (JSON.parse(one.stdout.replace(/^(\S+)\t(\d+)\n$/, '{"s":"$1"}')) as { s: string }).s, '--from', `after:${first.SequenceNumber}`, '--json']);
    expect(jsonLines<{ SequenceNumber: string }>(after.stdout).every((r) => BigInt(r.SequenceNumber) > BigInt(first.SequenceNumber))).toBe(true);
  }, CLI_TEST_MS);

  it('deletes a stream', async () => {
    await cli(['streams', 'create', 'doomed']);
    expect((await cli(['streams', 'delete', 'doomed'])).stdout).toBe('deleted stream doomed\n');
    const after = await cli(['streams', 'describe', 'doomed']);
    expect(failure(after)).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: ResourceNotFoundException: Stream doomed under account \d+ not found\.$/) });
  }, CLI_TEST_MS);

  it('fails with exit 1 and one line naming the exception, and exit 2 for usage errors', async () => {
    // Independent commands: run them side by side.
    const [getMissing, putMissing, badName, unknown, notANumber, badTime, noData, badOption, refused] = await Promise.all([
      cli(['get', 'missing']),
      cli(['put', 'missing', 'x']),
      cli(['streams', 'create', 'bad name!']),
      cli(['streams', 'frobnicate']),
      cli(['streams', 'create', 'x', '--shards', 'two']),
      cli(['get', 'events', '--from', 'yesterday']),
      cli(['put', 'events']),
      cli(['get', 'events', '--bogus']),
      runCli(['streams', 'list'], { endpoint: 'http://127.0.0.1:9' }),
    ]);
    expect(failure(getMissing)).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: ResourceNotFoundException: /) });
    expect(failure(putMissing)).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: ResourceNotFoundException: /) });
    expect(failure(badName)).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: (InvalidArgumentException|ValidationException): /) });
    expect(failure(unknown)).toEqual({ code: 2, line: expect.stringMatching(/^rivulet: UsageError: unknown command streams frobnicate/) });
    expect(failure(notANumber)).toEqual({ code: 2, line: 'rivulet: UsageError: --shards two is not a whole number ≥ 1' });
    expect(failure(badTime)).toEqual({ code: 2, line: expect.stringMatching(/^rivulet: UsageError: --from "yesterday" is not/) });
    expect(failure(noData)).toEqual({ code: 2, line: expect.stringMatching(/^rivulet: UsageError: put needs DATA/) });
    expect(failure(badOption)).toEqual({ code: 2, line: expect.stringMatching(/^rivulet: UsageError: Unknown option '--bogus'/) });
    expect(failure(refused)).toEqual({ code: 1, line: expect.stringMatching(/^rivulet: ConnectionError: .*ECONNREFUSED/) });
  }, CLI_TEST_MS);

  it('prints help for the tool, a group and a command, with exit 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['streams create', 'put', 'get', 'tail', 'replay', 'keys create', 'firehose create', 'apps create', 'apps output', 'video clip', 'video export']) {
      expect(top.stdout).toContain(`  ${command} `);
    }
    expect((await cli(['streams'])).stdout).toMatch(/^usage: rivulet streams <command>/);
    const tail = await cli(['tail', '--help']);
    expect(tail.stdout).toMatch(/^usage: rivulet tail STREAM/);
    expect(tail.stdout).toContain('--count N');
  }, CLI_TEST_MS);
});
