/**
 * Sends one fragment file to PutMedia as a chunked HTTP POST and reads the acknowledgement
 * stream until PERSISTED or ERROR. Owns the request (Kinesis Video headers, SigV4 with an
 * unsigned streaming payload) and the parsing of the acks; not retries or what a failure means
 * (the video uploader and the RetryScheduler decide).
 *
 * The acks are JSON objects one after another (shared/src/video.ts). The fragment counts as
 * stored only on PERSISTED: RECEIVED means the server has the bytes, not that they are durable.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { PutMediaAck, VIDEO_HEADERS, signRequest, type SigV4Credentials, type SigningKeyCache } from '@rivulet/shared';
import { Value } from '@sinclair/typebox/value';

export interface PutMediaRequest {
  /** Base URL of the server (the PutMedia endpoint is `${endpoint}/putMedia`). */
  endpoint: string;
  streamName: string;
  /** The MKV document to send. */
  file: string;
  /** The fragment's producer start (ms since the epoch); timecodes in the file are relative to it. */
  producerTimestampMs: number;
  region: string;
  credentials: SigV4Credentials | null;
  keyCache?: SigningKeyCache;
  nowMs: number;
  timeoutMs: number;
}

export type PutMediaResult =
  | { kind: 'persisted'; fragmentNumber: string; acks: PutMediaAck[] }
  | { kind: 'error'; ack: PutMediaAck | null; acks: PutMediaAck[] }
  | { kind: 'http'; status: number; headers: Record<string, string | undefined>; body: Buffer };

/** Reads concatenated (or newline-separated) JSON objects from a byte stream. */
export class AckParser {
  private text = '';

  /** Every complete ack in `chunk` and what came before it. Throws on bytes that are not acks. */
  push(chunk: string): PutMediaAck[] {
    this.text += chunk;
    const out: PutMediaAck[] = [];
    for (;;) {
      const start = this.text.search(/\S/);
      if (start < 0) {
        this.text = '';
        return out;
      }
      const end = objectEnd(this.text, start);
      if (end < 0) {
        this.text = this.text.slice(start);
        return out;
      }
      const value: unknown = JSON.parse(this.text.slice(start, end));
      if (!Value.Check(PutMediaAck, value)) throw new TypeError(`not a PutMedia acknowledgement: ${this.text.slice(start, end).slice(0, 200)}`);
      out.push(value);
      this.text = this.text.slice(end);
    }
  }
}

/** Index just past the JSON object starting at `start`, or -1 while it is incomplete. */
function objectEnd(text: string, start: number): number {
  if (text[start] !== '{') throw new TypeError(`expected a JSON object in the ack stream, got ${JSON.stringify(text.slice(start, start + 40))}`);
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

export function putMedia(req: PutMediaRequest): Promise<PutMediaResult> {
  const url = new URL('/putMedia', req.endpoint);
  const base: Record<string, string> = {
    [VIDEO_HEADERS.streamName]: req.streamName,
    [VIDEO_HEADERS.fragmentTimecodeType]: 'RELATIVE',
    [VIDEO_HEADERS.producerStartTimestamp]: (req.producerTimestampMs / 1000).toFixed(3),
    'content-type': 'application/octet-stream',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
  const headers = req.credentials
    ? signRequest({ method: 'POST', url, headers: base, body: Buffer.alloc(0) }, req.credentials, {
        region: req.region,
        service: 'kinesisvideo',
        nowMs: req.nowMs,
        ...(req.keyCache ? { keyCache: req.keyCache } : {}),
      })
    : base;
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const request = lib.request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' }, timeout: req.timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const h: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ kind: 'http', status, headers: h, body: Buffer.concat(parts) });
        });
        res.on('error', reject);
        return;
      }
      const parser = new AckParser();
      const acks: PutMediaAck[] = [];
      let settled = false;
      const settle = (result: PutMediaResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
        // One fragment per request: once it is settled, the rest of the response does not matter.
        res.destroy();
        request.destroy();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        try {
          for (const ack of parser.push(chunk)) {
            acks.push(ack);
            if (ack.EventType === 'PERSISTED' && ack.FragmentNumber) settle({ kind: 'persisted', fragmentNumber: ack.FragmentNumber, acks });
            if (ack.EventType === 'ERROR') settle({ kind: 'error', ack, acks });
          }
        } catch (err) {
          settled = true;
          reject(err);
          request.destroy();
        }
      });
      res.on('end', () => settle({ kind: 'error', ack: null, acks }));
      res.on('error', (err) => {
        if (!settled) reject(err);
      });
    });
    request.on('timeout', () => request.destroy(new Error(`PutMedia timed out after ${req.timeoutMs} ms`)));
    request.on('error', reject);
    const body = createReadStream(req.file);
    body.on('error', (err) => request.destroy(err));
    body.pipe(request);
  });
}
