/**
 * `npm run demo` end to end: the demo (started exactly as npm runs it, on a fresh data directory)
 * gets data through every stage within 60 s — the three sensors into demo-sensors through the
 * agent's broker, the simulated camera into demo-camera as playable H.264 fragments, the agent's
 * health (with its buffer backlog) into device-health, files of readings into the delivery
 * directory, and averages that match the readings into demo-averages — then stops with exit 0,
 * and a second run on the same directory reuses everything it made.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthSample } from '@rivulet/shared';
import { readStream, type StreamRecord } from '../harness/analytics.js';
import { bucketLines } from '../harness/buckets.js';
import { stockKinesis, TEST_CREDENTIALS } from '../harness/clients.js';
import { startDemo, type DemoProcess } from '../harness/demo.js';
import { tempDir } from '../harness/ingest.js';

const run = promisify(execFile);
const SENSORS = ['sensor-1', 'sensor-2', 'sensor-3'];
const STAGE_DEADLINE_MS = 60_000;

interface Reading {
  sensor: string;
  temperature: number;
  humidity: number;
  at: number;
}
interface AverageRow {
  kind: 'minute' | 'sliding';
  sensor: string;
  avg_temperature: number;
  avg_humidity: number;
  readings: number;
  at: string;
}

const dataDir = tempDir('rivulet-demo-');
const running: DemoProcess[] = [];
afterAll(async () => {
  for (const demo of running) await demo.stop().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

/** Everything each stage holds right now; `done` once every stage has data. */
async function look(demo: DemoProcess, fromMs: number) {
  const kinesis = stockKinesis(demo.endpoint);
  const archive = new KinesisVideoArchivedMediaClient({ endpoint: demo.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  try {
    // The averages first: every reading they were computed from is then in the sensor stream.
    const averages = await readStream(kinesis, 'demo-averages');
    const readings = await readStream(kinesis, 'demo-sensors');
    const health = await readStream(kinesis, 'device-health');
    const fragments: Fragment[] = (
      await archive.send(
        new ListFragmentsCommand({
          StreamName: 'demo-camera',
          FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(fromMs - 60_000), EndTimestamp: new Date(Date.now() + 60_000) } },
        }),
      )
    ).Fragments ?? [];
    const delivered = bucketLines(demo.deliveryDir);
    const sensorsSeen = new Set(readings.map((r) => (JSON.parse(r.data) as Reading).sensor));
    const done =
      SENSORS.every((s) => sensorsSeen.has(s)) &&
      fragments.length > 0 &&
      health.some((h) => (JSON.parse(h.data) as HealthSample).buffer !== undefined) &&
      delivered.length > 0 &&
      SENSORS.every((s) => averages.some((a) => (JSON.parse(a.data) as AverageRow).sensor === s));
    return { averages, readings, health, fragments, delivered, done };
  } finally {
    kinesis.destroy();
    archive.destroy();
  }
}

/** `yyyy-MM-dd HH:mm:ss.SSS` (UTC), as KDA writes timestamps in JSON. */
const parseSqlTimestamp = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);

function expectAveragesMatch(rows: AverageRow[], readings: (Reading & { arrivalMs: number })[]): void {
  const bySensor = new Map(SENSORS.map((s) => [s, readings.filter((r) => r.sensor === s).sort((a, b) => a.arrivalMs - b.arrivalMs)]));
  const firstArrival = Math.min(...readings.map((r) => r.arrivalMs));
  let exact = 0;
  for (const row of rows) {
    const own = bySensor.get(row.sensor);
    expect(own, `a row for an unknown sensor: ${JSON.stringify(row)}`).toBeDefined();
    const temps = own!.map((r) => r.temperature);
    expect(row.avg_temperature).toBeGreaterThanOrEqual(Math.min(...temps) - 1e-9);
    expect(row.avg_temperature).toBeLessThanOrEqual(Math.max(...temps) + 1e-9);
    expect(row.readings).toBeGreaterThan(0);
    // Within the first minute the sliding window still holds every reading of the sensor so
    // far: its n-th row is the mean of the sensor's first n readings.
    if (row.kind === 'sliding' && parseSqlTimestamp(row.at) < firstArrival + 55_000) {
      const first = own!.slice(0, row.readings);
      expect(first.length).toBe(row.readings);
      expect(row.avg_temperature).toBeCloseTo(first.reduce((sum, r) => sum + r.temperature, 0) / first.length, 6);
      expect(row.avg_humidity).toBeCloseTo(first.reduce((sum, r) => sum + r.humidity, 0) / first.length, 6);
      exact++;
    }
  }
  expect(exact).toBeGreaterThanOrEqual(3);
}

describe('npm run demo', () => {
  it('gets data through every stage within 60 s, stops with exit 0, and reuses everything on a rerun', async () => {
    const startedMs = Date.now();
    const demo = await startDemo({ dataDir });
    running.push(demo);
    expect(demo.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console$/);
    expect(demo.consoleUrl).toBe(`${demo.endpoint}/console`);
    expect(demo.output()).toMatch(/^console: http:\/\/127\.0\.0\.1:\d+\/console$/m);
    expect(demo.deliveryDir).toBe(join(dataDir, 'delivery'));
    const status = (await (await fetch(`${demo.agentStatusUrl}status.json`)).json()) as { device: string; cameras: string[] };
    expect(status).toMatchObject({ device: 'demo-device', cameras: ['camera'] });

    let seen = await look(demo, startedMs);
    while (!seen.done && Date.now() - startedMs < STAGE_DEADLINE_MS) {
      await new Promise((r) => setTimeout(r, 2000));
      seen = await look(demo, startedMs);
    }
    const elapsedMs = Date.now() - startedMs;

    // Sensors -> embedded broker -> agent -> demo-sensors, keyed by sensor.
    const readings = seen.readings.map((r: StreamRecord) => ({ ...(JSON.parse(r.data) as Reading), arrivalMs: r.arrivalMs }));
    expect(new Set(readings.map((r) => r.sensor))).toEqual(new Set(SENSORS));
    for (const r of readings) expect(r).toMatchObject({ temperature: expect.any(Number), humidity: expect.any(Number), at: expect.any(Number) });

    // Simulated camera -> agent -> demo-camera: an H.264 fragment that ffprobe reads.
    expect(seen.fragments.length).toBeGreaterThan(0);
    const archive = new KinesisVideoArchivedMediaClient({ endpoint: demo.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
    const media = await archive.send(new GetMediaForFragmentListCommand({ StreamName: 'demo-camera', Fragments: [seen.fragments[0]!.FragmentNumber!] }));
    const file = join(dataDir, 'test-fragment.mkv');
    writeFileSync(file, Buffer.from(await media.Payload!.transformToByteArray()));
    archive.destroy();
    const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file]);
    expect(probe.stdout.trim()).toBe('h264,640,360');

    // Agent health, with the buffer backlog block.
    const samples = seen.health.map((h) => JSON.parse(h.data) as HealthSample);
    const withBuffer = samples.filter((s) => s.deviceId === 'demo-device' && s.buffer !== undefined);
    expect(withBuffer.length).toBeGreaterThan(0);
    expect(Value.Check(HealthSample, withBuffer[0])).toBe(true);
    expect(withBuffer[0]!.buffer).toMatchObject({ records: expect.any(Number), bytes: expect.any(Number) });

    // Firehose: files of readings, one JSON reading per line.
    expect(seen.delivered.length).toBeGreaterThan(0);
    for (const line of seen.delivered) {
      const r = JSON.parse(line) as Reading;
      expect(SENSORS).toContain(r.sensor);
      expect(typeof r.temperature).toBe('number');
    }

    // SQL application: averages that match the readings.
    const rows = seen.averages.map((a) => JSON.parse(a.data) as AverageRow);
    expect(new Set(rows.map((r) => r.sensor))).toEqual(new Set(SENSORS));
    expectAveragesMatch(rows, readings);

    expect(elapsedMs).toBeLessThanOrEqual(STAGE_DEADLINE_MS);
    console.log(`demo: every stage had data ${Math.round(elapsedMs / 1000)} s after the start (${readings.length} readings, ${seen.fragments.length} fragments, ${samples.length} health samples, ${seen.delivered.length} delivered lines, ${rows.length} average rows)`);

    await demo.stop();
    running.splice(running.indexOf(demo), 1);
    expect(demo.output()).toMatch(/^stopped; the data stays in /m);

    // A rerun on the same directory: everything is reused, and data flows again.
    const again = await startDemo({ dataDir });
    running.push(again);
    const out = () => again.output();
    for (const name of ['data stream demo-sensors', 'data stream device-health', 'data stream demo-averages', 'video stream demo-camera', 'delivery stream demo-delivery', 'SQL application demo-averages']) {
      expect(out()).toContain(`reusing ${name}`);
    }
    expect(out()).not.toMatch(/^created /m);
    const deadline = Date.now() + 30_000;
    const flowing = /sensor records [1-9]\d* .*video fragments [1-9]/;
    while (!flowing.test(out()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(out()).toMatch(flowing);
    expect(out()).not.toMatch(/^demo: /m);
    await again.stop();
    running.splice(running.indexOf(again), 1);
  }, 240_000);
});
