/**
 * `rivulet replay` against a live server: the records that arrived within [--from, --to] — read
 * across a split that happened inside the window — are written into another stream exactly
 * once with their partition keys, and the progress summary line and the JSON summary agree.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../harness/cli.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Got {
  PartitionKey: string;
  Text: string;
  ApproximateArrivalTimestamp: string;
}

async function putBatch(stream: string, tag: string, count: number): Promise<void> {
  const Records = Array.from({ length: count }, (_, i) => ({ PartitionKey: `key-${i % 7}`, Data: Buffer.from(`${tag}-${i}`) }));
  const out = await suite.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
  expect(out.FailedRecordCount).toBe(0);
}

describe('rivulet replay', () => {
  it('copies exactly the records of the time window, across a split, keeping partition keys', async () => {
    for (const [name, shards] of [['source', 2], ['target', 1]] as const) {
      await suite.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      await waitUntilStreamExists({ client: suite.kinesis, maxWaitTime: 30 }, { StreamName: name });
    }
    const cli = (args: string[]) => runCli(args, { endpoint: suite.server.endpoint });
    await putBatch('source', 'early', 40);
    await pause(1200);
    await putBatch('source', 'in', 60);
    expect((await cli(['streams', 'split', 'source', '0'])).code).toBe(0);
    await putBatch('source', 'in-after-split', 60);
    await pause(1200);
    await putBatch('source', 'late', 40);

    // The window is the arrival times of the "in" records, as get reports them.
    const all = jsonLines<Got>((await cli(['get', 'source', '--json'])).stdout);
    expect(all).toHaveLength(200);
    const inside = all.filter((r) => r.Text.startsWith('in'));
    const times = inside.map((r) => Date.parse(r.ApproximateArrivalTimestamp));
    const from = new Date(Math.min(...times)).toISOString();
    const to = new Date(Math.max(...times)).toISOString();

    const replay = await cli(['replay', 'source', '--from', from, '--to', to, '--into', 'target', '--json']);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ Records: 120, Bytes: inside.reduce((n, r) => n + Buffer.byteLength(r.Text), 0), Into: 'target', From: from, To: to });
    // stderr is not a terminal here: one final progress line, no carriage returns.
    expect(replay.stderr).toMatch(/^replay \[#{24}\] 100% 120\/120 records {2}[\d.]+\/s\n$/);

    const copied = jsonLines<Got>((await cli(['get', 'target', '--json'])).stdout);
    expect(copied.map((r) => `${r.PartitionKey}/${r.Text}`).sort()).toEqual(inside.map((r) => `${r.PartitionKey}/${r.Text}`).sort());
    // Per key, the copies are in the source's order (get reads a parent before its children).
    for (let k = 0; k < 7; k++) {
      const order = (list: Got[]) => list.filter((r) => r.PartitionKey === `key-${k}`).map((r) => r.Text);
      expect(order(copied)).toEqual(order(inside));
    }

    const text = await cli(['replay', 'source', '--from', from, '--to', to, '--into', 'target']);
    expect(text.stdout).toMatch(/^replayed 120 records \(1\.3 KiB\) from source into target in \d+s\n$/);
    expect(await cli(['replay', 'source', '--from', to, '--to', from, '--into', 'target'])).toMatchObject({ code: 2, stderr: 'rivulet: UsageError: --to is before --from\n' });
    expect(await cli(['replay', 'source', '--from', '-1h', '--into', 'source'])).toMatchObject({ code: 2, stderr: 'rivulet: UsageError: replay --into must name another stream\n' });
    const missing = await cli(['replay', 'source', '--from', '-1h', '--into', 'nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rivulet: ResourceNotFoundException: [^\n]+\n$/);
  }, 300_000);
});
