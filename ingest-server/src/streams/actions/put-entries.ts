/**
 * Shared by PutRecord and PutRecords: decoding wire records into PutEntry (base64 and size
 * checks, as Kinesis makes them) and the idempotent-producer headers.
 */
import { HEADERS, RivuletError } from '@rivulet/shared';
import type { FastifyRequest } from 'fastify';
import type { PutEntry, PutResult } from '../records.js';
import type { StreamRuntime } from '../model.js';
import type { StreamsService } from '../service.js';

/** Kinesis: a record's data blob is at most 1 MiB; a PutRecords request at most 5 MiB. */
export const MAX_RECORD_BYTES = 1024 * 1024;
export const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;

/** Decoding target for validation only; a record decodes to at most 1 MiB. */
const scratch = Buffer.allocUnsafe(MAX_RECORD_BYTES + 3);

/**
 * Checks a blob's base64 text (padded) and returns how many bytes it decodes to. The text itself
 * is what gets stored: GetRecords sends it back as it came. Node's decoder skips characters
 * outside the alphabet, so a text with any of them decodes short; that is the check, and it runs
 * in native code rather than a per-character regular expression.
 */
export function checkData(text: string, member: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = (text.length / 4) * 3 - padding;
  const valid = text.length % 4 === 0 && (bytes > MAX_RECORD_BYTES || scratch.write(text, 0, 'base64') === bytes);
  if (!valid) {
    throw new RivuletError('PROTOCOL_SERIALIZATION', { message: `Base64 encoded value at '${member}' is not valid` });
  }
  if (bytes > MAX_RECORD_BYTES) {
    throw new RivuletError('PROTOCOL_VALIDATION', {
      message: `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`,
    });
  }
  return bytes;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The producer id and batch sequence, when the client sent both headers. */
export function producerHeaders(request: FastifyRequest): { id: string; seq: number } | null {
  const id = header(request, HEADERS.producerId);
  const seqText = header(request, HEADERS.producerSequence);
  if (id === undefined && seqText === undefined) return null;
  if (id === undefined || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `${HEADERS.producerId} must be 1 to 128 of [A-Za-z0-9._:-]` });
  }
  const seq = seqText === undefined ? NaN : Number(seqText);
  if (!Number.isSafeInteger(seq) || seq < 0 || !/^\d+$/.test(seqText ?? '')) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `${HEADERS.producerSequence} must be a non-negative integer` });
  }
  return { id, seq };
}

/**
 * Appends entries, through the idempotent-producer window when the request carries its headers.
 * `format` turns per-record results into the response body text.
 */
export async function putWithProducer(
  svc: StreamsService,
  request: FastifyRequest,
  stream: StreamRuntime,
  entries: PutEntry[],
  format: (results: PutResult[]) => string,
): Promise<{ body: string; replayed: boolean }> {
  const producer = producerHeaders(request);
  const atomic = header(request, HEADERS.atomicBatch) === 'true';
  if (!producer) return { body: format(await svc.records.put(stream, entries, undefined, atomic)), replayed: false };
  const out = await svc.producers.run(producer.id, producer.seq, async (persist) => {
    let body = '';
    await svc.records.put(stream, entries, (results) => persist((body = format(results))), atomic, true, `${producer.id}/${producer.seq}`);
    return body;
  });
  return { body: out.response, replayed: out.replayed };
}
