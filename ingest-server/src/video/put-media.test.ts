/**
 * PutMedia over a real socket: a listening Fastify instance on 127.0.0.1, node:http as the
 * client sending real ffmpeg-made MKV in a chunked body, acknowledgements read as they stream.
 * The FragmentWriter here is an in-memory stand-in that records appends: the real store
 * (store.ts) is being written by another helper in parallel.
 */
import http, { type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, PUT_MEDIA_ERRORS, VIDEO_HEADERS, type PutMediaAck } from '@rivulet/shared';
import { mkvFile, mkvPipe, mkvSegments } from '../../../test/fixtures/mkv-ffmpeg.js';
import { AwsJsonRouter } from '../plugins/aws-json.js';
import { registerErrorHandler } from '../plugins/errors.js';
import { registerSigV4Auth } from '../plugins/sigv4-auth.js';
import type { FragmentWriter } from './fragment-types.js';
import { PUT_MEDIA_PATH, registerPutMedia } from './put-media.js';

const START_S = 1_700_000_000.5;
const KEY_ID = 'RIVTESTKEY1234567ABC';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

type Appended = Parameters<FragmentWriter['append']>[1] & { streamName: string };

/** Records appends in memory; the same producer timestamp is stored once, as the contract says. */
class MemoryWriter implements FragmentWriter {
  readonly appended: Appended[] = [];
  failWith: Error | null = null;

  async append(streamName: string, fragment: Parameters<FragmentWriter['append']>[1]) {
    if (this.failWith) throw this.failWith;
    const existing = this.appended.findIndex((a) => a.streamName === streamName && a.producerTimestampMs === fragment.producerTimestampMs);
    if (existing >= 0) return { fragmentNumber: String(existing + 1).padStart(20, '0'), duplicate: true };
    this.appended.push({ streamName, ...fragment });
    return { fragmentNumber: String(this.appended.length).padStart(20, '0'), duplicate: false };
  }
}

interface Harness {
  app: FastifyInstance;
  port: number;
  writer: MemoryWriter;
  clock: ManualClock;
  logs: string[];
}

let segments: Buffer[];
let pipe: Buffer;
let eleven: Buffer;
let fourTracks: Buffer;
let harness: Harness | null = null;

beforeAll(async () => {
  const small = { size: '160x120', preset: 'ultrafast' };
  [segments, pipe, eleven, fourTracks] = await Promise.all([
    mkvSegments(), mkvPipe({ seconds: 1 }), mkvFile({ ...small, seconds: 11 }), mkvFile({ ...small, seconds: 1, audioTracks: 3 }),
  ]);
});

afterEach(async () => {
  await harness?.app.close();
  harness = null;
});

async function start(opts: { auth?: boolean; status?: string } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const writer = new MemoryWriter();
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (line, _enc, done) => void (logs.push(String(line)), done()) }));
  const app = Fastify({ forceCloseConnections: true });
  registerErrorHandler(app, 1024 * 1024);
  // The app's JSON 1.1 parsers and POST / stay in place, as in the real server.
  new AwsJsonRouter().register(app);
  if (opts.auth) registerSigV4Auth(app, { lookupSecret: (id) => (id === KEY_ID ? SECRET : null), clock });
  const streams = { stream: async (name: string) => (name === 'cam' || name.endsWith(':stream/cam/1') ? { streamName: 'cam', status: opts.status ?? 'ACTIVE' } : null) };
  registerPutMedia(app, { writer, streams, clock, logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  harness = { app, port: (app.server.address() as AddressInfo).port, writer, clock, logs };
  return harness;
}

const GOOD_HEADERS = {
  [VIDEO_HEADERS.streamName]: 'cam',
  [VIDEO_HEADERS.fragmentTimecodeType]: 'RELATIVE',
  [VIDEO_HEADERS.producerStartTimestamp]: String(START_S),
};

/** One PutMedia call in progress: write body pieces, read acknowledgements as they arrive. */
class Call {
  readonly req: ClientRequest;
  readonly acks: PutMediaAck[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  text = '';
  private ended = false;
  private readonly waiters: (() => void)[] = [];

  constructor(port: number, headers: Record<string, string>) {
    this.req = http.request({ host: '127.0.0.1', port, method: 'POST', path: PUT_MEDIA_PATH, agent: false, headers: { ...headers, 'transfer-encoding': 'chunked' } });
    // The server closes the connection after an ERROR; writes after that may fail, as with KVS.
    this.req.on('error', () => this.finish());
    this.req.on('response', (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        this.text += text;
        if (this.status === 200) {
          // Acknowledgements are JSON objects, one per line; a partial line waits for the rest.
          const lines = this.text.split('\n');
          this.text = lines.pop() ?? '';
          for (const line of lines) if (line) this.acks.push(JSON.parse(line) as PutMediaAck);
        }
        this.notify();
      });
      res.on('close', () => this.finish());
    });
    this.req.flushHeaders();
  }

  /** Writes `bytes` in pieces of `piece` bytes, yielding to the event loop between them. */
  async send(bytes: Buffer, piece = 1500): Promise<void> {
    for (let at = 0; at < bytes.length && !this.ended; at += piece) {
      this.req.write(bytes.subarray(at, at + piece));
      await new Promise((r) => setImmediate(r));
    }
  }

  async end(bytes?: Buffer): Promise<PutMediaAck[]> {
    if (bytes) await this.send(bytes);
    this.req.end();
    await this.until(() => this.ended);
    return this.acks;
  }

  async waitFor(pred: (ack: PutMediaAck) => boolean): Promise<PutMediaAck> {
    await this.until(() => this.acks.some(pred) || this.ended);
    const ack = this.acks.find(pred);
    if (!ack) throw new Error(`response ended without the awaited ack; got ${JSON.stringify(this.acks)}`);
    return ack;
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }
}

function types(acks: PutMediaAck[], timecode: number | undefined): string[] {
  return acks.filter((a) => a.FragmentTimecode === timecode).map((a) => a.EventType);
}

function errorOf(acks: PutMediaAck[]): PutMediaAck | undefined {
  return acks.find((a) => a.EventType === 'ERROR');
}

describe('PutMedia', () => {
  it('stores each fragment and acknowledges BUFFERING, RECEIVED, PERSISTED for each', async () => {
    const { port, writer, clock } = await start();
    const acks = await new Call(port, GOOD_HEADERS).end(Buffer.concat(segments));
    expect(writer.appended.map((a) => a.bytes.equals(segments[writer.appended.indexOf(a)] as Buffer))).toEqual([true, true]);
    const timecodes = [...new Set(acks.map((a) => a.FragmentTimecode))];
    expect(timecodes).toHaveLength(2);
    timecodes.forEach((tc, i) => {
      expect(types(acks, tc)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
      expect(writer.appended[i]?.producerTimestampMs).toBe(Math.round(START_S * 1000 + (tc as number)));
      expect(acks.find((a) => a.FragmentTimecode === tc && a.EventType === 'PERSISTED')?.FragmentNumber).toBe(String(i + 1).padStart(20, '0'));
    });
    for (const a of writer.appended) {
      expect(a.streamName).toBe('cam');
      expect(a.serverTimestampMs).toBe(clock.now());
      expect(a.durationMs).toBeGreaterThanOrEqual(1990);
      expect(a.durationMs).toBeLessThanOrEqual(2010);
    }
  });

  it('takes an unknown-size (pipe) document with ABSOLUTE timecodes, by stream ARN', async () => {
    const { port, writer } = await start();
    const headers = { [VIDEO_HEADERS.streamArn]: 'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam/1', [VIDEO_HEADERS.fragmentTimecodeType]: 'ABSOLUTE', [VIDEO_HEADERS.producerStartTimestamp]: '0' };
    const acks = await new Call(port, headers).end(pipe);
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    expect(writer.appended.map((a) => a.producerTimestampMs)).toEqual([0]);
    expect(writer.appended[0]?.bytes.equals(pipe)).toBe(true);
  });

  it('accepts any Content-Type, or none, without the JSON parsers getting in the way', async () => {
    const { port, writer } = await start();
    const types = [undefined, 'application/x-amz-json-1.1', 'application/json', 'video/x-matroska', 'not a media type;;'];
    for (const [i, type] of types.entries()) {
      const headers = { ...GOOD_HEADERS, [VIDEO_HEADERS.producerStartTimestamp]: String(1000 + i), ...(type ? { 'content-type': type } : {}) };
      const acks = await new Call(port, headers).end(segments[0]);
      expect(acks.at(-1)?.EventType, String(type)).toBe('PERSISTED');
    }
    expect(writer.appended).toHaveLength(types.length);
  });

  it('returns ResourceNotFoundException in the REST-JSON error shape for an unknown stream', async () => {
    const { port, writer } = await start();
    const call = new Call(port, { ...GOOD_HEADERS, [VIDEO_HEADERS.streamName]: 'nope' });
    await call.end(segments[0]);
    expect(call.status).toBe(404);
    expect(call.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    // The message wording belongs to the error registry; only the shape and the name are pinned here.
    expect(JSON.parse(call.text)).toEqual({ __type: 'ResourceNotFoundException', message: expect.stringContaining('nope') });
    expect(writer.appended).toEqual([]);
  });

  it('returns InvalidArgumentException for a missing or bad header', async () => {
    const { port } = await start();
    const cases = [
      { ...GOOD_HEADERS, [VIDEO_HEADERS.streamName]: undefined },
      { ...GOOD_HEADERS, [VIDEO_HEADERS.fragmentTimecodeType]: undefined },
      { ...GOOD_HEADERS, [VIDEO_HEADERS.fragmentTimecodeType]: 'SOMETIMES' },
      { ...GOOD_HEADERS, [VIDEO_HEADERS.producerStartTimestamp]: undefined },
      { ...GOOD_HEADERS, [VIDEO_HEADERS.producerStartTimestamp]: 'yesterday' },
    ];
    for (const headers of cases) {
      const call = new Call(port, Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>);
      await call.end(Buffer.from('x'));
      expect(call.status).toBe(400);
      expect(call.headers['x-amzn-errortype']).toBe('InvalidArgumentException');
      expect(JSON.parse(call.text).message).toMatch(/x-amzn-/);
    }
  });

  it('answers a truncated fragment with INVALID_MKV_DATA and keeps the fragment before it', async () => {
    const { port, writer } = await start();
    const [first, second] = segments as [Buffer, Buffer];
    const acks = await new Call(port, GOOD_HEADERS).end(Buffer.concat([first, second.subarray(0, second.length / 2)]));
    expect(errorOf(acks)).toMatchObject({ ErrorId: PUT_MEDIA_ERRORS.INVALID_MKV_DATA, ErrorCode: 'INVALID_MKV_DATA' });
    expect(acks.at(-1)?.EventType).toBe('ERROR');
    expect(acks.findIndex((a) => a.EventType === 'PERSISTED')).toBeLessThan(acks.findIndex((a) => a.EventType === 'ERROR'));
    expect(writer.appended.map((a) => a.bytes.equals(first))).toEqual([true]);
  });

  it('answers garbage with INVALID_MKV_DATA, storing nothing of it', async () => {
    const { port, writer } = await start();
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251));
    const alone = await new Call(port, GOOD_HEADERS).end(garbage);
    expect(alone.map((a) => a.EventType)).toEqual(['ERROR']);
    expect(errorOf(alone)?.ErrorId).toBe(PUT_MEDIA_ERRORS.INVALID_MKV_DATA);
    const after = await new Call(port, GOOD_HEADERS).end(Buffer.concat([segments[0] as Buffer, garbage]));
    expect(after.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR']);
    expect(writer.appended).toHaveLength(1);
  });

  it('answers timecodes going backwards with FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', async () => {
    const { port, writer } = await start();
    const [first, second] = segments as [Buffer, Buffer];
    const acks = await new Call(port, GOOD_HEADERS).end(Buffer.concat([second, first]));
    expect(errorOf(acks)).toMatchObject({ ErrorId: PUT_MEDIA_ERRORS.FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS, ErrorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS' });
    expect(writer.appended.map((a) => a.bytes.equals(second))).toEqual([true]);
  });

  it('answers an 11 s fragment with MAX_FRAGMENT_DURATION_REACHED', async () => {
    const { port, writer } = await start();
    const acks = await new Call(port, GOOD_HEADERS).end(eleven);
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'ERROR']);
    expect(errorOf(acks)).toMatchObject({ ErrorId: PUT_MEDIA_ERRORS.MAX_FRAGMENT_DURATION_REACHED, FragmentTimecode: 0 });
    expect(writer.appended).toEqual([]);
  });

  it('answers a fragment with 4 tracks with MORE_THAN_ALLOWED_TRACKS_FOUND', async () => {
    const { port, writer } = await start();
    const acks = await new Call(port, GOOD_HEADERS).end(fourTracks);
    expect(errorOf(acks)).toMatchObject({ ErrorId: PUT_MEDIA_ERRORS.MORE_THAN_ALLOWED_TRACKS_FOUND, ErrorCode: 'MORE_THAN_ALLOWED_TRACKS_FOUND' });
    expect(writer.appended).toEqual([]);
  });

  it('answers a fragment declaring more than 50 MB with MAX_FRAGMENT_SIZE_REACHED before reading it', async () => {
    const { port, writer } = await start();
    const big = Buffer.from(segments[0] as Buffer);
    // The Segment's 8-byte size field, rewritten to claim 60 MB.
    const at = big.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67])) + 4;
    expect(big[at]).toBe(0x01);
    big.writeUIntBE(60 * 1024 * 1024, at + 2, 6);
    const acks = await new Call(port, GOOD_HEADERS).end(big);
    expect(acks).toEqual([{ EventType: 'ERROR', ErrorId: PUT_MEDIA_ERRORS.MAX_FRAGMENT_SIZE_REACHED, ErrorCode: 'MAX_FRAGMENT_SIZE_REACHED' }]);
    expect(writer.appended).toEqual([]);
  });

  it('stores nothing of a fragment the client abandons midway', async () => {
    const { port, writer, logs } = await start();
    const [first, second] = segments as [Buffer, Buffer];
    const call = new Call(port, GOOD_HEADERS);
    await call.send(first);
    await call.waitFor((a) => a.EventType === 'PERSISTED');
    await call.send(second.subarray(0, second.length - 100));
    await call.waitFor((a) => a.EventType === 'BUFFERING' && a.FragmentTimecode !== call.acks[0]?.FragmentTimecode);
    call.req.destroy();
    while (!logs.some((l) => l.includes('went away'))) await new Promise((r) => setTimeout(r, 5));
    expect(writer.appended.map((a) => a.bytes.equals(first))).toEqual([true]);
  });

  it('sends IDLE while the connection is open without data', async () => {
    const { port, clock } = await start();
    const call = new Call(port, GOOD_HEADERS);
    await call.send(segments[0] as Buffer);
    await call.waitFor((a) => a.EventType === 'PERSISTED');
    clock.advance(3_000);
    await call.waitFor((a) => a.EventType === 'IDLE');
    const acks = await call.end();
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED', 'IDLE']);
  });

  it('answers a stream that is not ACTIVE with STREAM_NOT_ACTIVE', async () => {
    const { port, writer } = await start({ status: 'CREATING' });
    const acks = await new Call(port, GOOD_HEADERS).end(segments[0]);
    expect(acks).toEqual([{ EventType: 'ERROR', ErrorId: PUT_MEDIA_ERRORS.STREAM_NOT_ACTIVE, ErrorCode: 'STREAM_NOT_ACTIVE' }]);
    expect(writer.appended).toEqual([]);
  });

  it('answers a failed store with ARCHIVAL_ERROR', async () => {
    const { port, writer } = await start();
    writer.failWith = new Error('disk full');
    const acks = await new Call(port, GOOD_HEADERS).end(Buffer.concat(segments));
    expect(acks.filter((a) => a.EventType !== 'BUFFERING').map((a) => a.EventType)).toEqual(['RECEIVED', 'ERROR']);
    expect(errorOf(acks)?.ErrorId).toBe(PUT_MEDIA_ERRORS.ARCHIVAL_ERROR);
  });
});

describe('PutMedia behind SigV4', () => {
  async function sign(port: number, clock: ManualClock, payloadHash: string | null): Promise<Record<string, string>> {
    const signer = new SignatureV4({ service: 'kinesisvideo', region: 'eu-west-1', credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET }, sha256: Hash.bind(null, 'sha256') });
    // A malformed Content-Type is signed too: the route must hand SigV4 the header as sent.
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`, 'content-type': 'not a media type;;', ...GOOD_HEADERS, ...(payloadHash ? { 'x-amz-content-sha256': payloadHash } : {}),
    };
    const request = new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: PUT_MEDIA_PATH, headers, body: segments[0] });
    const signed = await signer.sign(request, { signingDate: new Date(clock.now()) });
    return signed.headers;
  }

  it('verifies a request signed with UNSIGNED-PAYLOAD without buffering its body', async () => {
    const { port, clock, writer } = await start({ auth: true });
    const acks = await new Call(port, await sign(port, clock, 'UNSIGNED-PAYLOAD')).end(segments[0]);
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    expect(writer.appended).toHaveLength(1);
  });

  it('refuses a request whose signature covers the body hash, saying to use UNSIGNED-PAYLOAD', async () => {
    const { port, clock, writer } = await start({ auth: true });
    const call = new Call(port, await sign(port, clock, null));
    await call.end(segments[0]);
    expect(call.status).toBe(403);
    expect(call.headers['x-amzn-errortype']).toBe('IncompleteSignatureException');
    expect(JSON.parse(call.text).message).toMatch(/UNSIGNED-PAYLOAD/);
    expect(writer.appended).toEqual([]);
  });
});
