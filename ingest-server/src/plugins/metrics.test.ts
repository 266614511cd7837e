import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES as N } from '@rivulet/shared';
import { ServerMetrics, directoryBytes } from './metrics.js';

const line = (text: string, name: string, labels: string) => text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));

describe('ServerMetrics', () => {
  it('keeps two servers in one process apart: each has its own registry', async () => {
    const a = new ServerMetrics();
    const b = new ServerMetrics();
    a.streams.shard('s', 'shardId-000000000000').recordsIn(3, 30);
    a.observeRequest('streams', 'PutRecords', 200, 0.002, 2);
    const textA = (await a.text()).body;
    const textB = (await b.text()).body;
    expect(line(textA, N.streamIncomingRecords, 'stream="s",shard="shardId-000000000000"')).toMatch(/ 3$/);
    expect(line(textA, N.throttled, 'service="streams",action="PutRecords"')).toMatch(/ 2$/);
    expect(textB).not.toContain(`${N.streamIncomingRecords}{`);
    expect(textB).toContain('rivulet_process_cpu_seconds_total');
  });

  it('adds up per shard through a handle resolved once, and keeps the last iterator age', async () => {
    const m = new ServerMetrics();
    const shard = m.streams.shard('s', 'shardId-000000000001');
    shard.recordsIn(2, 20);
    shard.recordsIn(5, 50);
    shard.recordsOut(4, 40, 1500);
    shard.recordsOut(0, 0, 0);
    const text = (await m.text()).body;
    const labels = 'stream="s",shard="shardId-000000000001"';
    expect(line(text, N.streamIncomingRecords, labels)).toMatch(/ 7$/);
    expect(line(text, N.streamIncomingBytes, labels)).toMatch(/ 70$/);
    expect(line(text, N.streamOutgoingRecords, labels)).toMatch(/ 4$/);
    expect(line(text, N.streamIteratorAge, labels)).toMatch(/ 0$/);
  });

  it('reads open shards, Firehose backlog and freshness, and LevelDB sizes at scrape time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-metrics-'));
    mkdirSync(join(dir, 'db'));
    writeFileSync(join(dir, 'db', '000001.log'), Buffer.alloc(1234));
    writeFileSync(join(dir, 'db', 'CURRENT'), Buffer.alloc(16));
    const m = new ServerMetrics();
    m.watch({
      nowMs: () => 10_000,
      openShards: () => [{ stream: 'a', shards: 3 }],
      deliveryStreams: () => [
        { name: 'busy', backlog: { records: 4, bytes: 400, oldestArrivalMs: 7_500 }, lastDeliveryMs: 9_000 },
        { name: 'idle', backlog: { records: 0, bytes: 0, oldestArrivalMs: null }, lastDeliveryMs: null },
      ],
      leveldbDirs: { streams: join(dir, 'db'), video: join(dir, 'missing') },
    });
    const text = (await m.text()).body;
    expect(line(text, N.streamShards, 'stream="a"')).toMatch(/ 3$/);
    expect(line(text, N.firehoseBufferedRecords, 'delivery_stream="busy"')).toMatch(/ 4$/);
    expect(line(text, N.firehoseBufferedBytes, 'delivery_stream="busy"')).toMatch(/ 400$/);
    expect(line(text, N.firehoseDataFreshness, 'delivery_stream="busy"')).toMatch(/ 2.5$/);
    expect(line(text, N.firehoseDataFreshness, 'delivery_stream="idle"')).toMatch(/ 0$/);
    expect(line(text, N.firehoseLastDelivery, 'delivery_stream="busy"')).toMatch(/ 9$/);
    expect(line(text, N.firehoseLastDelivery, 'delivery_stream="idle"')).toBeUndefined();
    expect(line(text, N.leveldbSize, 'store="streams"')).toMatch(/ 1250$/);
    expect(line(text, N.leveldbSize, 'store="video"')).toMatch(/ 0$/);
  });

  it('counts directory bytes of regular files only, 0 for a directory that is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-metrics-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a'), Buffer.alloc(10));
    writeFileSync(join(dir, 'sub', 'b'), Buffer.alloc(99));
    expect(await directoryBytes(dir)).toBe(10);
    expect(await directoryBytes(join(dir, 'nope'))).toBe(0);
  });
});
