/**
 * A raw HTTP/1.1 load generator for bench/streams.ts, to measure what each server can take when
 * the client costs almost nothing: request bodies are serialized once up front and responses are
 * scanned, not parsed. The AWS SDK spends about as much CPU per record as the server does, so on
 * a 2-core machine the SDK rows measure client and server together; these rows isolate the server.
 * The same requests go to both servers (kinesalite checks that an Authorization header exists,
 * not what it says; rivulet runs with auth off on loopback). bench/analytics.ts makes its Kinesis
 * calls with `rawKinesis` too.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { BATCH_RECORDS, RECORD_BYTES, throughput, type ThroughputResult } from './streams-workload.js';

const HEADERS = {
  'content-type': 'application/x-amz-json-1.1',
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
  'x-amz-date': '20260101T000000Z',
};

/** One Kinesis API call over `agent`: the response body on 200, a rejection with its start otherwise. */
export function rawKinesis(agent: http.Agent, endpoint: string, action: string, body: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request(endpoint, { method: 'POST', agent, headers: { ...HEADERS, 'x-amz-target': `Kinesis_20131202.${action}` } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const out = Buffer.concat(parts);
        if (res.statusCode === 200) resolve(out);
        else reject(new Error(`${action} answered ${res.statusCode}: ${out.subarray(0, 200).toString()}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pre-serialized PutRecords bodies: 500 random 1 KiB records with random partition keys. */
export function rawBatches(stream: string, distinct = 8): Buffer[] {
  return Array.from({ length: distinct }, () =>
    Buffer.from(
      JSON.stringify({
        StreamName: stream,
        Records: Array.from({ length: BATCH_RECORDS }, () => ({ Data: randomBytes(RECORD_BYTES).toString('base64'), PartitionKey: randomBytes(8).toString('hex') })),
      }),
    ),
  );
}

export async function rawPutThroughput(endpoint: string, bodies: readonly Buffer[], opts: { concurrency: number; targetRecords: number; maxMs: number }): Promise<ThroughputResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const start = performance.now();
  let sent = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (sent < opts.targetRecords && performance.now() - start < opts.maxMs) {
      sent += BATCH_RECORDS;
      const body = bodies[next++ % bodies.length]!;
      const out = await rawKinesis(agent, endpoint, 'PutRecords', body);
      failed += Number(/"FailedRecordCount":(\d+)/.exec(out.toString('latin1', 0, 200))?.[1] ?? BATCH_RECORDS);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return throughput(sent - failed, failed, start);
}

function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

const SEQUENCE = Buffer.from('"SequenceNumber"');

/** The small fields sit at one end of the body or the other, depending on the server. */
function ends(out: Buffer): string {
  return out.toString('latin1', 0, Math.min(out.length, 2000)) + out.toString('latin1', Math.max(0, out.length - 2000));
}

function nextIterator(text: string): string | null {
  return /"NextShardIterator":"([^"]+)"/.exec(text)?.[1] ?? null;
}

function millisBehind(text: string): number {
  return Number(/"MillisBehindLatest":(\d+)/.exec(text)?.[1] ?? 0);
}

/**
 * Reads every shard from TRIM_HORIZON in parallel until an empty response at the tip
 * (MillisBehindLatest 0); counts records.
 */
export async function rawDrain(endpoint: string, stream: string, shardIds: readonly string[]): Promise<ThroughputResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: shardIds.length });
  const start = performance.now();
  let records = 0;
  try {
    await Promise.all(
      shardIds.map(async (shardId) => {
        const first = await rawKinesis(agent, endpoint, 'GetShardIterator', JSON.stringify({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
        let iterator: string | null = (JSON.parse(first.toString()) as { ShardIterator: string }).ShardIterator;
        while (iterator) {
          const out = await rawKinesis(agent, endpoint, 'GetRecords', JSON.stringify({ ShardIterator: iterator, Limit: 10_000 }));
          const n = countOccurrences(out, SEQUENCE);
          records += n;
          const text = ends(out);
          iterator = n === 0 && millisBehind(text) === 0 ? null : nextIterator(text);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return throughput(records, 0, start);
}
