/**
 * Names and headers of the JetStream ShardStore: which JetStream stream and subject hold a
 * Rivulet shard, which subject holds a metadata value, and how a chunk's position, count and
 * arrival travel as message headers. Pure functions only; the store (jetstream-shard-store.ts)
 * owns the I/O.
 */
import { RivuletError } from '@rivulet/shared';

/** JetStream stream names and subject tokens may not contain `.`, `*`, `>` or whitespace. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const HEADER_FIRST_POSITION = 'Rivulet-First-Position';
export const HEADER_COUNT = 'Rivulet-Count';
export const HEADER_ARRIVAL_MS = 'Rivulet-Arrival-Ms';

/**
 * Positions of appended chunks come from their JetStream sequence: a chunk stored at sequence S
 * starts at position S * POSITION_STRIDE, so positions grow with the stream's sequence whichever
 * process appended, and sequence numbers stay BigInt-comparable. Chunks copied by `rivulet
 * migrate` keep their LevelDB positions in a header instead (always below S * POSITION_STRIDE).
 */
export const POSITION_STRIDE = 65_536;

export function positionOfSeq(seq: number): number {
  return seq * POSITION_STRIDE;
}

export interface ChunkHeaders {
  firstPosition: number;
  count: number;
  arrivalMs: number;
}

export function validatePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RivuletError('STREAMS_STORAGE', { message: `storage prefix ${JSON.stringify(prefix)} must match ${PREFIX_PATTERN.source}` });
  }
  return prefix;
}

export class JetStreamNames {
  constructor(readonly prefix: string) {
    validatePrefix(prefix);
  }

  /** One JetStream stream per Rivulet stream. */
  chunkStream(streamId: number): string {
    return `${this.prefix}-s${streamId}`;
  }

  /** The streamId of a chunk stream name, or null for names this store does not own. */
  streamIdOf(jsStreamName: string): number | null {
    const m = /^(.*)-s(\d+)$/.exec(jsStreamName);
    return m && m[1] === this.prefix ? Number(m[2]) : null;
  }

  /** The subject filter holding every shard of a stream (migrated streams start with it). */
  chunkSubjects(streamId: number): string {
    return `${this.prefix}.s${streamId}.>`;
  }

  /** The shard index of one of `streamId`'s shard subjects, or null. */
  shardIndexOf(streamId: number, subject: string): number | null {
    const head = `${this.prefix}.s${streamId}.`;
    return subject.startsWith(head) && /^\d+$/.test(subject.slice(head.length)) ? Number(subject.slice(head.length)) : null;
  }

  /** One subject per shard, so JetStream keeps per-shard order and answers per-shard gets. */
  shardSubject(streamId: number, shardIndex: number): string {
    return `${this.prefix}.s${streamId}.${shardIndex}`;
  }

  /** Deterministic, so a publish retried after a leader change is absorbed by dedup. */
  chunkMsgId(streamId: number, shardIndex: number, firstPosition: number): string {
    return `${streamId}/${shardIndex}/${firstPosition}`;
  }

  /** The metadata stream: a KV-shaped stream (one message per subject). */
  metaStream(): string {
    return `${this.prefix}-meta`;
  }

  metaSubjects(): string {
    return `${this.prefix}.meta.>`;
  }

  metaSubject(kind: MetaKind, name: string): string {
    return `${this.prefix}.meta.${kind}.${encodeToken(name)}`;
  }

  metaKindSubjects(kind: MetaKind): string {
    return `${this.prefix}.meta.${kind}.>`;
  }

  /** The decoded name of a metadata subject of `kind`. */
  metaNameOf(kind: MetaKind, subject: string): string {
    const head = `${this.prefix}.meta.${kind}.`;
    if (!subject.startsWith(head)) throw new RivuletError('STREAMS_STORAGE', { message: `unexpected metadata subject ${subject}` });
    return decodeToken(subject.slice(head.length));
  }
}

export type MetaKind = 'stream' | 'producer' | 'setting';

/** Names (stream names, producer ids) become one subject token: hex of their UTF-8 bytes ("_" for empty). */
export function encodeToken(name: string): string {
  return name === '' ? '_' : Buffer.from(name, 'utf8').toString('hex');
}

export function decodeToken(token: string): string {
  return token === '_' ? '' : Buffer.from(token, 'hex').toString('utf8');
}

/** Header values for a chunk message; without `firstPosition` the position follows from the sequence. */
export function chunkHeaderValues(c: Omit<ChunkHeaders, 'firstPosition'> & { firstPosition?: number }): [string, string][] {
  const values: [string, string][] = [
    [HEADER_COUNT, String(c.count)],
    [HEADER_ARRIVAL_MS, String(c.arrivalMs)],
  ];
  if (c.firstPosition !== undefined) values.push([HEADER_FIRST_POSITION, String(c.firstPosition)]);
  return values;
}

/** Parses the headers of the chunk message at sequence `seq`; `get` is the message's header lookup. */
export function parseChunkHeaders(get: (name: string) => string, seq: number, where: string): ChunkHeaders {
  const read = (name: string) => {
    const text = get(name);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) {
      throw new RivuletError('STREAMS_STORAGE', { message: `chunk message ${where} has a bad ${name} header: ${JSON.stringify(text)}` });
    }
    return value;
  };
  const firstPosition = get(HEADER_FIRST_POSITION) === '' ? positionOfSeq(seq) : read(HEADER_FIRST_POSITION);
  return { firstPosition, count: read(HEADER_COUNT), arrivalMs: read(HEADER_ARRIVAL_MS) };
}
