import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, RivuletError, systemClock, type Clock } from '@rivulet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_ERROR_CODES, resolveFunction, transformBatch, type FunctionTarget, type TransformDeps, type TransformInputRecord } from './transform.js';

const STREAM_ARN = 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:enrich';

const records: TransformInputRecord[] = [
  { recordId: 'r1', approximateArrivalTimestamp: 1_700_000_000_001, data: Buffer.from('{"v":"one"}') },
  { recordId: 'r2', approximateArrivalTimestamp: 1_700_000_000_002, data: Buffer.from('{"v":"drop"}') },
  { recordId: 'r3', approximateArrivalTimestamp: 1_700_000_000_003, data: Buffer.from('{"v":"fail"}') },
];

function makeDeps(clock: Clock = new ManualClock()): TransformDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  let n = 0;
  return { clock, sleeps, sleep: async (ms) => void sleeps.push(ms), newId: () => `inv-${++n}` };
}

function options(target: FunctionTarget, over: { numberOfRetries?: number; timeoutMs?: number } = {}) {
  return { target, functionArn: FUNCTION_ARN, deliveryStreamArn: STREAM_ARN, numberOfRetries: over.numberOfRetries ?? 3, timeoutMs: over.timeoutMs ?? 5_000 };
}

describe('transformBatch with a module', () => {
  let dir: string;
  const mod = async (name: string, source: string): Promise<FunctionTarget> => {
    const path = join(dir, name);
    await writeFile(path, source);
    return { kind: 'module', path };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-transform-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('maps Ok, Dropped and ProcessingFailed back in input order, with data and partition keys', async () => {
    const target = await mod(
      'mixed.mjs',
      `export async function handler(event, context) {
        const out = event.records.map((r) => {
          const v = JSON.parse(Buffer.from(r.data, 'base64').toString()).v;
          if (v === 'drop') return { recordId: r.recordId, result: 'Dropped' };
          if (v === 'fail') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
          const body = JSON.stringify({ v: v.toUpperCase(), inv: event.invocationId, region: event.region, fn: context.functionName, at: r.approximateArrivalTimestamp });
          return { recordId: r.recordId, result: 'Ok', data: Buffer.from(body).toString('base64'), metadata: { partitionKeys: { v } } };
        });
        return { records: out.reverse() };
      }`,
    );
    const deps = makeDeps();
    const { outcomes, attempts } = await transformBatch(records, options(target), deps);
    expect(attempts).toBe(1);
    expect(deps.sleeps).toEqual([]);
    expect(outcomes.map((o) => [o.recordId, o.result])).toEqual([['r1', 'Ok'], ['r2', 'Dropped'], ['r3', 'ProcessingFailed']]);
    const ok = outcomes[0];
    if (ok?.result !== 'Ok') throw new Error('expected Ok');
    expect(JSON.parse(ok.data.toString())).toEqual({ v: 'ONE', inv: 'inv-1', region: 'eu-west-1', fn: 'enrich', at: 1_700_000_000_001 });
    expect(ok.partitionKeys).toEqual({ v: 'one' });
    expect(outcomes[2]).toMatchObject({ errorCode: LAMBDA_ERROR_CODES.processingFailedStatus });
  });

  it('accepts a CommonJS module whose handler returns synchronously', async () => {
    const target = await mod('sync.cjs', `exports.handler = (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) });`);
    const { outcomes } = await transformBatch(records, options(target), makeDeps());
    expect(outcomes.every((o) => o.result === 'Ok')).toBe(true);
    expect(outcomes[1]?.result === 'Ok' && outcomes[1].data.toString()).toBe('{"v":"drop"}');
  });

  it('imports a module once however many batches it handles', async () => {
    const target = await mod(
      'counted.mjs',
      `globalThis.__rivuletLoads = (globalThis.__rivuletLoads ?? 0) + 1;
       export const handler = (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(String(globalThis.__rivuletLoads)).toString('base64') })) });`,
    );
    await transformBatch(records, options(target), makeDeps());
    const { outcomes } = await transformBatch(records, options(target), makeDeps());
    expect(outcomes[0]?.result === 'Ok' && outcomes[0].data.toString()).toBe('1');
  });

  it('retries a throwing handler, then fails every record with Lambda.FunctionError', async () => {
    const target = await mod('throws.mjs', `export function handler() { throw new TypeError('bad input'); }`);
    const deps = makeDeps();
    const { outcomes, attempts } = await transformBatch(records, options(target, { numberOfRetries: 2 }), deps);
    expect(attempts).toBe(3);
    expect(deps.sleeps).toHaveLength(2);
    expect(deps.sleeps[1]).toBeGreaterThan(deps.sleeps[0] ?? Infinity);
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) expect(o).toMatchObject({ result: 'ProcessingFailed', errorCode: 'Lambda.FunctionError', errorMessage: expect.stringContaining('TypeError: bad input') });
  });

  it('fails the whole invocation with Lambda.MissingRecordId when a record is not returned', async () => {
    const target = await mod('missing.mjs', `export const handler = async (e) => ({ records: e.records.slice(1).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) });`);
    const { outcomes, attempts } = await transformBatch(records, options(target, { numberOfRetries: 1 }), makeDeps());
    expect(attempts).toBe(2);
    for (const o of outcomes) expect(o).toMatchObject({ result: 'ProcessingFailed', errorCode: 'Lambda.MissingRecordId' });
  });

  it('fails the whole invocation with Lambda.DuplicatedRecordId when an id comes back twice', async () => {
    const target = await mod(
      'dup.mjs',
      `export const handler = async (e) => ({ records: [...e.records, e.records[0]].map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) });`,
    );
    const { outcomes } = await transformBatch(records, options(target, { numberOfRetries: 0 }), makeDeps());
    for (const o of outcomes) expect(o).toMatchObject({ result: 'ProcessingFailed', errorCode: 'Lambda.DuplicatedRecordId' });
  });

  it('fails the invocation when an unknown record id is returned or the shape is wrong', async () => {
    const extra = await mod(
      'extra.mjs',
      `export const handler = async (e) => ({ records: [...e.records, { recordId: 'zz' }].map((r) => ({ recordId: r.recordId, result: 'Ok', data: '' })) });`,
    );
    const r1 = await transformBatch(records, options(extra, { numberOfRetries: 0 }), makeDeps());
    expect(r1.outcomes[0]).toMatchObject({ errorCode: 'Lambda.JsonProcessingException', errorMessage: expect.stringContaining('zz') });
    const shapeless = await mod('shape.mjs', `export const handler = async () => ([]);`);
    const r2 = await transformBatch(records, options(shapeless, { numberOfRetries: 0 }), makeDeps());
    expect(r2.outcomes[2]).toMatchObject({ errorCode: 'Lambda.JsonProcessingException' });
  });

  it('rejects only the records that break the status model', async () => {
    const target = await mod(
      'partial.mjs',
      `export const handler = async (e) => ({ records: [
        { recordId: 'r1', result: 'Ok', data: 'not base64!' },
        { recordId: 'r2', result: 'Maybe', data: '' },
        { recordId: 'r3', result: 'Ok', data: 'aGk' , metadata: { partitionKeys: { n: 1 } } },
      ] });`,
    );
    const { outcomes, attempts } = await transformBatch(records, options(target), makeDeps());
    expect(attempts).toBe(1);
    expect(outcomes[0]).toMatchObject({ result: 'ProcessingFailed', errorCode: 'Lambda.JsonProcessingException', errorMessage: expect.stringContaining('base64') });
    expect(outcomes[1]).toMatchObject({ result: 'ProcessingFailed', errorMessage: expect.stringContaining('"Maybe"') });
    expect(outcomes[2]).toMatchObject({ result: 'ProcessingFailed', errorMessage: expect.stringContaining('partition key n') });
  });

  it('decodes unpadded base64 as Java does', async () => {
    const target = await mod('unpadded.mjs', `export const handler = async (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: 'aGk' })) });`);
    const { outcomes } = await transformBatch(records, options(target), makeDeps());
    expect(outcomes[0]?.result === 'Ok' && outcomes[0].data.toString()).toBe('hi');
  });

  it('reports a missing module as Lambda.ResourceNotFound', async () => {
    const { outcomes } = await transformBatch(records, options({ kind: 'module', path: join(dir, 'nope.mjs') }, { numberOfRetries: 0 }), makeDeps());
    expect(outcomes[0]).toMatchObject({ errorCode: 'Lambda.ResourceNotFound' });
  });

  it('times out a handler that never answers', async () => {
    const target = await mod('hang.mjs', `export const handler = () => new Promise(() => {});`);
    const { outcomes, attempts } = await transformBatch(records, options(target, { numberOfRetries: 0, timeoutMs: 50 }), makeDeps(systemClock));
    expect(attempts).toBe(1);
    expect(outcomes[0]).toMatchObject({ errorCode: 'Lambda.FunctionError', errorMessage: 'Task timed out after 50 ms' });
  });

  it('does not invoke the function for an empty batch', async () => {
    expect(await transformBatch([], options({ kind: 'module', path: join(dir, 'nope.mjs') }), makeDeps())).toEqual({ outcomes: [], attempts: 0 });
  });
});

describe('transformBatch over HTTP', () => {
  let server: Server;
  let url: string;
  let handle: (body: string, res: ServerResponse) => void = () => undefined;
  const bodies: string[] = [];

  const echoOk = (body: string, res: ServerResponse): void => {
    const event = JSON.parse(body) as { records: { recordId: string; data: string }[] };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) }));
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        bodies.push(body);
        handle(body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/transform`;
  });
  afterEach(() => {
    bodies.length = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs the Lambda event as JSON', async () => {
    handle = echoOk;
    const { outcomes } = await transformBatch(records.slice(0, 1), options({ kind: 'http', url }), makeDeps());
    expect(outcomes[0]?.result).toBe('Ok');
    expect(JSON.parse(bodies[0] ?? '')).toEqual({
      invocationId: 'inv-1',
      deliveryStreamArn: STREAM_ARN,
      region: 'eu-west-1',
      records: [{ recordId: 'r1', approximateArrivalTimestamp: 1_700_000_000_001, data: Buffer.from('{"v":"one"}').toString('base64') }],
    });
  });

  it('retries an endpoint that fails twice, then succeeds', async () => {
    let calls = 0;
    handle = (body, res) => {
      if (++calls <= 2) {
        res.statusCode = 500;
        res.end('overloaded');
      } else echoOk(body, res);
    };
    const deps = makeDeps();
    const { outcomes, attempts } = await transformBatch(records, options({ kind: 'http', url }), deps);
    expect(attempts).toBe(3);
    expect(deps.sleeps).toHaveLength(2);
    expect(outcomes.map((o) => o.result)).toEqual(['Ok', 'Ok', 'Ok']);
    expect(new Set(bodies.map((b) => (JSON.parse(b) as { invocationId: string }).invocationId)).size).toBe(1);
  });

  it('fails every record after the retries when the endpoint always answers 500', async () => {
    handle = (_body, res) => {
      res.statusCode = 500;
      res.end('kaput');
    };
    const { outcomes, attempts } = await transformBatch(records, options({ kind: 'http', url }, { numberOfRetries: 3 }), makeDeps());
    expect(attempts).toBe(4);
    expect(bodies).toHaveLength(4);
    for (const o of outcomes) expect(o).toMatchObject({ result: 'ProcessingFailed', errorCode: 'Lambda.FunctionError', errorMessage: expect.stringContaining('HTTP 500: kaput') });
  });

  it('maps HTTP 429 to Lambda.InvokeLimitExceeded', async () => {
    handle = (_body, res) => {
      res.statusCode = 429;
      res.end();
    };
    const { outcomes } = await transformBatch(records, options({ kind: 'http', url }, { numberOfRetries: 0 }), makeDeps());
    expect(outcomes[0]).toMatchObject({ errorCode: 'Lambda.InvokeLimitExceeded' });
  });

  it('fails with Lambda.JsonProcessingException when the answer is not JSON', async () => {
    handle = (_body, res) => res.end('<html>');
    const { outcomes } = await transformBatch(records, options({ kind: 'http', url }, { numberOfRetries: 0 }), makeDeps());
    expect(outcomes[0]).toMatchObject({ errorCode: 'Lambda.JsonProcessingException' });
  });

  it('times out a slow endpoint', async () => {
    handle = (body, res) => void setTimeout(() => echoOk(body, res), 2_000).unref();
    const { outcomes, attempts } = await transformBatch(records, options({ kind: 'http', url }, { numberOfRetries: 1, timeoutMs: 100 }), makeDeps(systemClock));
    expect(attempts).toBe(2);
    for (const o of outcomes) expect(o).toMatchObject({ errorCode: 'Lambda.FunctionError', errorMessage: 'Task timed out after 100 ms' });
  });

  it('reports a refused connection as Lambda.FunctionError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { outcomes } = await transformBatch(records, options({ kind: 'http', url: `http://127.0.0.1:${port}/` }, { numberOfRetries: 0 }), makeDeps());
    expect(outcomes[0]).toMatchObject({ errorCode: 'Lambda.FunctionError', errorMessage: expect.stringContaining('could not be reached') });
  });
});

describe('resolveFunction', () => {
  const functions = { enrich: { module: '/srv/fn/enrich.mjs' }, 'enrich:prod': { url: 'http://127.0.0.1:9000/prod' }, remote: { url: 'https://fn.example/x' } };

  it('uses http(s) URLs as they are', () => {
    expect(resolveFunction('https://fn.example/t', functions)).toEqual({ kind: 'http', url: 'https://fn.example/t' });
  });

  it('looks Lambda ARNs up by name, preferring an entry for the alias', () => {
    expect(resolveFunction('arn:aws:lambda:us-east-1:123456789012:function:enrich', functions)).toEqual({ kind: 'module', path: '/srv/fn/enrich.mjs' });
    expect(resolveFunction('arn:aws:lambda:us-east-1:123456789012:function:enrich:$LATEST', functions)).toEqual({ kind: 'module', path: '/srv/fn/enrich.mjs' });
    expect(resolveFunction('arn:aws:lambda:us-east-1:123456789012:function:enrich:prod', functions)).toEqual({ kind: 'http', url: 'http://127.0.0.1:9000/prod' });
    expect(resolveFunction('arn:aws:lambda:us-east-1:123456789012:function:remote', functions)).toEqual({ kind: 'http', url: 'https://fn.example/x' });
  });

  it.each([
    ['arn:aws:lambda:us-east-1:123456789012:function:unknown', 'not configured'],
    ['arn:aws:s3:::bucket', 'LambdaArn must be'],
    ['enrich', 'LambdaArn must be'],
    ['arn:aws:lambda:us-east-1:123456789012:function:toString', 'not configured'],
  ])('rejects %s with FIREHOSE_INVALID_ARGUMENT', (arn, text) => {
    let caught: unknown;
    try {
      resolveFunction(arn, functions);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RivuletError);
    expect((caught as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect((caught as RivuletError).message).toContain(text);
  });
});
