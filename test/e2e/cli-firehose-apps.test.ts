/**
 * `rivulet firehose ...` and `rivulet apps ...` against a live server: a delivery stream created
 * from flags delivers what `firehose put` sent into its bucket directory; one created from a
 * JSON config and one reading a data stream are listed and deleted. A SQL application created
 * from a file (input schema discovered) runs, and `apps output` prints its rows; bad SQL fails
 * with CodeValidationException and its line and column on one line.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../harness/cli.js';
import { tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });
const cli = (args: string[], input?: string) => runCli(args, { endpoint: suite.server.endpoint, ...(input !== undefined ? { input } : {}) });
const files = tempDir('rivulet-cli-files-');
afterAll(() => rmSync(files, { recursive: true, force: true }));

async function eventually<T>(read: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    value = await read();
  }
  return value;
}

function bucketObjects(bucket: string): Buffer[] {
  const dir = join(suite.server.dataDir, 'firehose', 'buckets', bucket);
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => readFileSync(join(e.parentPath, e.name)));
}

describe('rivulet firehose', () => {
  it('creates a delivery stream to a bucket, puts records, and they are delivered (GZIP) one per line', async () => {
    const created = await cli(['firehose', 'create', 'to-bucket', '--bucket', 'cli-bucket', '--prefix', 'raw/', '--interval', '1', '--size', '1', '--compression', 'GZIP']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('created delivery stream to-bucket: ACTIVE, DirectPut, s3 arn:aws:s3:::cli-bucket prefix raw/, 1 s / 1 MB, GZIP\n');
    const one = await cli(['firehose', 'put', 'to-bucket', '{"n":0}', '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ RecordId: expect.any(String) });
    const many = await cli(['firehose', 'put', 'to-bucket', '-'], `${Array.from({ length: 20 }, (_, i) => `{"n":${i + 1}}`).join('\n')}\n`);
    expect(many.stdout.trim().split('\n')).toHaveLength(20);
    const delivered = await eventually(
      () => bucketObjects('cli-bucket').flatMap((b) => gunzipSync(b).toString('utf8').split('\n').filter((l) => l !== '')),
      (lines) => lines.length >= 21,
    );
    expect(delivered.map((l) => (JSON.parse(l) as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));

    const described = await cli(['firehose', 'describe', 'to-bucket']);
    expect(described.stdout).toMatch(/^status:\s+ACTIVE$/m);
    expect(JSON.parse((await cli(['firehose', 'describe', 'to-bucket', '--json'])).stdout)).toMatchObject({ DeliveryStreamName: 'to-bucket', DeliveryStreamType: 'DirectPut' });
  }, 180_000);

  it('creates from a JSON config and from a source stream, lists and deletes them', async () => {
    const config = join(files, 'firehose.json');
    writeFileSync(config, JSON.stringify({ ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::config-bucket', BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 } } }));
    expect((await cli(['firehose', 'create', 'from-config', '--config', config])).code).toBe(0);
    expect((await cli(['streams', 'create', 'fh-source'])).code).toBe(0);
    const sourced = JSON.parse((await cli(['firehose', 'create', 'from-stream', '--bucket', 'stream-bucket', '--source-stream', 'fh-source', '--json'])).stdout) as Record<string, unknown>;
    expect(sourced).toMatchObject({ DeliveryStreamType: 'KinesisStreamAsSource', Source: { KinesisStreamSourceDescription: { KinesisStreamARN: expect.stringMatching(/:stream\/fh-source$/) } } });
    const listed = await cli(['firehose', 'list']);
    expect(listed.stdout).toMatch(/^from-config\s+ACTIVE\s+DirectPut\s+s3 arn:aws:s3:::config-bucket, 60 s \/ 5 MB, UNCOMPRESSED$/m);
    expect(listed.stdout).toMatch(/^from-stream\s+ACTIVE\s+KinesisStreamAsSource\s+/m);
    expect((await cli(['firehose', 'delete', 'from-config'])).stdout).toBe('deleted delivery stream from-config\n');
    const names = (JSON.parse((await cli(['firehose', 'list', '--json'])).stdout) as { DeliveryStreams: { DeliveryStreamName: string }[] }).DeliveryStreams.map((d) => d.DeliveryStreamName);
    expect(names).not.toContain('from-config');
    const missing = await cli(['firehose', 'put', 'from-config', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rivulet: ResourceNotFoundException: [^\n]+\n$/);
    expect(await cli(['firehose', 'create', 'nothing'])).toMatchObject({ code: 2, stderr: 'rivulet: UsageError: firehose create needs --bucket NAME or --config FILE.json\n' });
  }, 180_000);
});

const SQL = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (sensor VARCHAR(8), doubled DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
  SELECT STREAM "sensor", "reading" * 2 FROM "SOURCE_SQL_STREAM_001";
`;

describe('rivulet apps', () => {
  it('creates an application from a SQL file with a discovered schema, starts it, prints its output, updates, stops and deletes it', async () => {
    for (const s of ['readings', 'doubled']) expect((await cli(['streams', 'create', s])).code).toBe(0);
    const readings = Array.from({ length: 10 }, (_, i) => JSON.stringify({ sensor: `s${i % 3}`, reading: i + 0.5 }));
    expect((await cli(['put', 'readings', '-'], `${readings.join('\n')}\n`)).code).toBe(0);
    const sql = join(files, 'double.sql');
    writeFileSync(sql, SQL);

    const created = await cli(['apps', 'create', 'doubler', '--sql', sql, '--input', 'readings', '--output', 'doubled', '--input-format', 'json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^created application doubler: READY; input readings \(JSON: sensor VARCHAR\(\d+\), reading DOUBLE\) -> output doubled\n$/);
    expect((await cli(['apps', 'list'])).stdout).toMatch(/^doubler\s+READY$/m);
    const started = await cli(['apps', 'start', 'doubler', '--from', 'TRIM_HORIZON']);
    expect(started.stdout).toBe('started application doubler from TRIM_HORIZON: RUNNING\n');

    const rows = await eventually(
      async () => jsonLines<{ Row: { SENSOR: string; DOUBLED: number } }>((await cli(['apps', 'output', 'doubler', '--json'])).stdout),
      (list) => list.length >= 10,
      60_000,
    );
    expect(rows.map((r) => r.Row.DOUBLED).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 0.5) * 2));
    const text = await cli(['apps', 'output', 'doubler', '--count', '2']);
    expect(text.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toHaveLength(2);
    const followed = await cli(['apps', 'output', 'doubler', '--follow', '--count', '10']);
    expect(followed.stdout.trim().split('\n')).toHaveLength(10);

    const describedApp = await cli(['apps', 'describe', 'doubler']);
    expect(describedApp.stdout).toMatch(/^status:\s+RUNNING$/m);
    expect(describedApp.stdout).toMatch(/^output DESTINATION_SQL_STREAM -> arn:aws:kinesis:[^:]*:\d+:stream\/doubled \(JSON\)$/m);
    expect(describedApp.stdout).toContain('"reading" * 2');

    const updated = await cli(['apps', 'update', 'doubler', '--sql', sql, '--json']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ ApplicationName: 'doubler', ApplicationVersionId: 2 });
    expect((await cli(['apps', 'stop', 'doubler'])).stdout).toBe('stopped application doubler: READY\n');
    expect((await cli(['apps', 'delete', 'doubler'])).stdout).toBe('deleted application doubler\n');
    expect((await cli(['apps', 'list', '--json'])).stdout).toBe('{\n  "ApplicationSummaries": []\n}\n');
  }, 240_000);

  it('reports bad SQL as CodeValidationException with its line and column, on one line, exit 1', async () => {
    const bad = join(files, 'bad.sql');
    writeFileSync(bad, 'CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (a INTEGER);\nCREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"\n  SELECT STREAM FROM WHERE;\n');
    expect((await cli(['streams', 'create', 'empty-in'])).code).toBe(0);
    // An explicit --schema: the stream is empty, so there is nothing to discover.
    const schema = join(files, 'schema.json');
    writeFileSync(schema, JSON.stringify({ RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } }, RecordEncoding: 'UTF-8', RecordColumns: [{ Name: 'A', SqlType: 'INTEGER', Mapping: '$.a' }] }));
    const r = await cli(['apps', 'create', 'broken', '--sql', bad, '--input', 'empty-in', '--output', 'empty-in', '--schema', schema]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rivulet: CodeValidationException: [^\n]*line 3, column \d+[^\n]*\n$/);
    expect(await cli(['apps', 'describe', 'broken'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^rivulet: ResourceNotFoundException: /) });
    expect(await cli(['apps', 'create', 'x', '--sql', join(files, 'none.sql'), '--input', 'empty-in', '--output', 'empty-in'])).toMatchObject({
      code: 1,
      stderr: `rivulet: InvalidInputError: cannot read ${join(files, 'none.sql')}: ENOENT\n`,
    });
  }, 120_000);
});
