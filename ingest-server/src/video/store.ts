/**
 * The fragment store: video stream documents, the fragment index and the fragment files.
 * Implements FragmentReader and FragmentWriter (fragment-types.ts) for PutMedia and the reads.
 *
 * Invariants:
 * - Fragment bytes are files (fragment-files.ts), never LevelDB values; LevelDB under
 *   <location>/index holds stream documents, the index (index-keys.ts) and the counter.
 * - append: the file is written under a temp name, fdatasync'd and renamed, the directory
 *   synced, and only then indexed with one synced batch. So an index entry never names a
 *   missing file; a crash in between leaves an unindexed file that open() removes (it was
 *   never acknowledged, so the producer sends it again).
 * - Deletes go the other way: index entries first, then files. A stream being deleted is
 *   marked DELETING first, and open() finishes the job.
 * - One lock per stream serialises append, trim and delete, so the dedup check
 *   (stream, producer ms) and the write that follows it are atomic.
 * - Timestamps are whole milliseconds (rounded on append), the same in records and keys.
 */
import { join } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import { ENVELOPE_FORMAT } from '../keystore/envelope.js';
import { RivuletError } from '@rivulet/shared';
import { FragmentFiles } from './fragment-files.js';
import { formatFragmentNumber, isFragmentNumber, parseFragmentNumber } from './fragment-number.js';
import type { FragmentReader, FragmentRecord, FragmentWriter, TimestampKind, VideoStreamInfo } from './fragment-types.js';
import {
  STREAM_RANGE,
  decodeRecord,
  encodeRecord,
  fragmentKey,
  fragmentNumberOf,
  fragmentRange,
  settingKey,
  streamKey,
  streamTagRange,
  timeKey,
  timeRange,
} from './index-keys.js';
import { VideoStreamDoc, toStreamInfo } from './model.js';
import { recoverStore, type RecoveryReport } from './store-recovery.js';

export type { RecoveryReport } from './store-recovery.js';

/** The slice of the key store (keystore/key-store.ts) the fragment files need. */
export interface FragmentCipher {
  resolveKey(keyId: string): string;
  encrypt(keyId: string, plaintext: Uint8Array): Buffer;
  decrypt(envelope: Uint8Array): Buffer;
}

/** An MKV file starts with the EBML magic 0x1A; an encrypted fragment with the envelope format byte. */
const ENVELOPE_FIRST_BYTE = ENVELOPE_FORMAT;

export interface FragmentStoreOptions {
  /** A directory, normally <dataDir>/video: LevelDB in `index/`, fragment files in `fragments/`. */
  location: string;
  /** fdatasync fragment files and index batches before acknowledging (default true). */
  syncWrites?: boolean;
  /**
   * The key store, for streams created with a KmsKeyId: their fragment files are AES-256-GCM
   * envelopes (keystore/envelope.ts), decrypted on read. Without it such streams cannot be written.
   */
  cipher?: FragmentCipher | null;
  logger?: Logger;
}

/** A place in a time-ordered listing: the last fragment returned. */
export interface TimePosition {
  timestampMs: number;
  fragmentNumber: string;
}

export interface AppendInput {
  producerTimestampMs: number;
  serverTimestampMs: number;
  durationMs: number;
  bytes: Buffer;
}

type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

const NEXT_FRAGMENT = settingKey('next-fragment');
const NEXT_STREAM_ID = settingKey('next-stream-id');
const TRIM_BATCH = 500;

export class FragmentStore implements FragmentReader, FragmentWriter {
  readonly files: FragmentFiles;
  private readonly db: ClassicLevel<string, string>;
  private readonly syncWrites: boolean;
  private readonly byName = new Map<string, VideoStreamDoc>();
  private readonly byArn = new Map<string, VideoStreamDoc>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private nextFragment = 1;
  private nextStreamId = 1;
  private opened = false;

  constructor(private readonly options: FragmentStoreOptions) {
    this.syncWrites = options.syncWrites ?? true;
    this.db = new ClassicLevel<string, string>(join(options.location, 'index'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    this.files = new FragmentFiles(join(options.location, 'fragments'), this.syncWrites);
  }

  /** Opens the index, loads the streams and repairs what a crash left behind. */
  async open(): Promise<RecoveryReport> {
    await this.db.open({ createIfMissing: true });
    try {
      return await this.load();
    } catch (err) {
      // Leave nothing locked: a caller may retry, or open this directory again.
      await this.db.close().catch(() => undefined);
      throw err;
    }
  }

  private async load(): Promise<RecoveryReport> {
    const docs: VideoStreamDoc[] = [];
    for await (const [key, text] of this.db.iterator(STREAM_RANGE)) {
      const parsed: unknown = JSON.parse(text);
      if (!isStreamDoc(parsed)) throw new RivuletError('VIDEO_STORAGE', { message: `stream document ${key} does not match its schema` });
      docs.push(parsed);
    }
    this.nextStreamId = Math.max(1, Number((await this.db.get(NEXT_STREAM_ID)) ?? '1'), ...docs.map((d) => d.id + 1));
    const deleting = docs.filter((d) => d.status === 'DELETING');
    for (const doc of docs) if (doc.status !== 'DELETING') this.remember(doc);
    for (const doc of deleting) await this.purge(doc);
    const report = await recoverStore(this.db, this.files, [...this.byName.values()]);
    const stored = Number((await this.db.get(NEXT_FRAGMENT)) ?? '1');
    this.nextFragment = Math.max(stored, report.highestFragment === null ? 1 : parseFragmentNumber(report.highestFragment) + 1);
    this.opened = true;
    if (report.orphanFiles + report.danglingEntries + report.strayFiles > 0) {
      this.options.logger?.warn(report, 'video store repaired what an interrupted run left behind');
    }
    return report;
  }

  /** Readiness (/readyz): one cheap read of the index; throws while it is closed or failing. */
  async probe(): Promise<void> {
    await this.db.get(NEXT_FRAGMENT);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.locks.values()]);
    await this.db.close();
    this.opened = false;
  }

  // Stream documents

  /** Live streams (not being deleted), by name. */
  streamDocs(): VideoStreamDoc[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  streamDoc(nameOrArn: string): VideoStreamDoc | null {
    return this.byName.get(nameOrArn) ?? this.byArn.get(nameOrArn) ?? null;
  }

  /** Stores a new stream under a fresh internal id; a live stream by that name is ResourceInUse. */
  async createStream(fields: Omit<VideoStreamDoc, 'id'>): Promise<VideoStreamDoc> {
    if (this.byName.has(fields.name)) throw new RivuletError('VIDEO_IN_USE', { message: `The stream ${fields.name} already exists.` });
    // An unknown key is refused now (KMS's error), not at the first PutMedia.
    if (fields.kmsKeyId !== undefined) {
      if (!this.options.cipher) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'KmsKeyId needs the server key store' });
      this.options.cipher.resolveKey(fields.kmsKeyId);
    }
    const doc: VideoStreamDoc = { ...fields, id: this.nextStreamId++ };
    await this.db.batch(
      [
        { type: 'put', key: streamKey(doc.id), value: JSON.stringify(doc) },
        { type: 'put', key: NEXT_STREAM_ID, value: String(this.nextStreamId) },
      ],
      { sync: true },
    );
    this.remember(doc);
    return doc;
  }

  /** Saves a changed document of a live stream. */
  async saveStream(doc: VideoStreamDoc): Promise<void> {
    const current = this.byName.get(doc.name);
    if (!current || current.id !== doc.id) throw this.notFound(doc.name);
    await this.db.put(streamKey(doc.id), JSON.stringify(doc), { sync: true });
    this.remember(doc);
  }

  /** Deletes the stream, its index and its files. */
  async deleteStream(nameOrArn: string): Promise<void> {
    const doc = this.require(nameOrArn);
    await this.withLock(doc.id, async () => {
      const marked: VideoStreamDoc = { ...doc, status: 'DELETING' };
      await this.db.put(streamKey(doc.id), JSON.stringify(marked), { sync: true });
      this.forget(doc);
      await this.purge(marked);
    });
  }

  // FragmentReader

  async stream(nameOrArn: string): Promise<VideoStreamInfo | null> {
    const doc = this.streamDoc(nameOrArn);
    return doc ? toStreamInfo(doc) : null;
  }

  async listByTime(streamName: string, kind: TimestampKind, fromMs: number, toMs: number): Promise<FragmentRecord[]> {
    return this.listByTimePage(streamName, kind, fromMs, toMs, null, Infinity);
  }

  /** listByTime, one page at a time: at most `limit` fragments after `after`. */
  async listByTimePage(streamName: string, kind: TimestampKind, fromMs: number, toMs: number, after: TimePosition | null, limit: number): Promise<FragmentRecord[]> {
    const doc = this.require(streamName);
    if (toMs < fromMs || limit <= 0) return [];
    const range = timeRange(kind === 'PRODUCER_TIMESTAMP' ? 'p' : 't', doc.id, fromMs, toMs, after);
    const keys = await this.db.keys({ ...range, ...(Number.isFinite(limit) ? { limit } : {}) }).all();
    return this.records(doc, keys.map(fragmentNumberOf));
  }

  async listByNumber(streamName: string, from: string | null, limit: number): Promise<FragmentRecord[]> {
    const doc = this.require(streamName);
    if (limit <= 0) return [];
    const entries = await this.db.iterator({ ...fragmentRange(doc.id, from), ...(Number.isFinite(limit) ? { limit } : {}) }).all();
    return entries.map(([key, text]) => decodeRecord(doc.name, fragmentNumberOf(key), text));
  }

  async get(streamName: string, fragmentNumber: string): Promise<FragmentRecord | null> {
    const doc = this.require(streamName);
    if (!isFragmentNumber(fragmentNumber)) return null;
    const text = await this.db.get(fragmentKey(doc.id, fragmentNumber));
    return text === undefined ? null : decodeRecord(doc.name, fragmentNumber, text);
  }

  async read(streamName: string, fragmentNumber: string): Promise<Buffer> {
    const doc = this.require(streamName);
    if (!(await this.get(doc.name, fragmentNumber))) throw new RivuletError('VIDEO_FRAGMENT_NOT_FOUND', { fragment: fragmentNumber.slice(0, 128), stream: doc.name });
    let bytes: Buffer;
    try {
      bytes = await this.files.read(doc.id, fragmentNumber);
    } catch (err) {
      // Trimmed or deleted between the index check and the read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RivuletError('VIDEO_FRAGMENT_NOT_FOUND', { fragment: fragmentNumber, stream: doc.name }, { cause: err });
      throw new RivuletError('VIDEO_STORAGE', { message: `reading fragment ${fragmentNumber} failed` }, { cause: err });
    }
    if (bytes[0] !== ENVELOPE_FIRST_BYTE) return bytes;
    if (!this.options.cipher) throw new RivuletError('VIDEO_STORAGE', { message: `fragment ${fragmentNumber} is encrypted and no key store is configured` });
    return this.options.cipher.decrypt(bytes);
  }

  // FragmentWriter

  async append(streamName: string, fragment: AppendInput): Promise<{ fragmentNumber: string; duplicate: boolean }> {
    const doc = this.require(streamName);
    const producerMs = Math.round(fragment.producerTimestampMs);
    const serverMs = Math.round(fragment.serverTimestampMs);
    if (!Number.isFinite(producerMs) || producerMs < 0 || !Number.isFinite(serverMs) || serverMs < 0) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Fragment timestamps must be non-negative milliseconds since the epoch' });
    }
    if (!Number.isFinite(fragment.durationMs) || fragment.durationMs < 0) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'Fragment duration must be non-negative' });
    }
    return this.withLock(doc.id, async () => {
      if (this.byName.get(doc.name)?.id !== doc.id) throw this.notFound(doc.name);
      const existing = await this.db.keys({ ...timeRange('p', doc.id, producerMs, producerMs, null), limit: 1 }).all();
      if (existing[0] !== undefined) return { fragmentNumber: fragmentNumberOf(existing[0]), duplicate: true };
      const fragmentNumber = formatFragmentNumber(this.nextFragment++);
      const record: FragmentRecord = {
        streamName: doc.name,
        fragmentNumber,
        producerTimestampMs: producerMs,
        serverTimestampMs: serverMs,
        durationMs: Math.round(fragment.durationMs),
        sizeBytes: fragment.bytes.byteLength,
      };
      try {
        await this.files.write(doc.id, fragmentNumber, this.encrypted(doc.kmsKeyId, fragment.bytes));
        await this.db.batch(
          [
            { type: 'put', key: fragmentKey(doc.id, fragmentNumber), value: encodeRecord(record) },
            { type: 'put', key: timeKey('p', doc.id, producerMs, fragmentNumber), value: '' },
            { type: 'put', key: timeKey('t', doc.id, serverMs, fragmentNumber), value: '' },
            { type: 'put', key: NEXT_FRAGMENT, value: String(this.nextFragment) },
          ],
          { sync: this.syncWrites },
        );
      } catch (err) {
        await this.files.remove(doc.id, fragmentNumber).catch(() => undefined);
        throw new RivuletError('VIDEO_STORAGE', { message: `storing a fragment of ${doc.name} failed` }, { cause: err });
      }
      return { fragmentNumber, duplicate: false };
    });
  }

  /** The bytes to store: an envelope under the stream's key, when it has one. */
  private encrypted(kmsKeyId: string | undefined, bytes: Buffer): Buffer {
    if (kmsKeyId === undefined) return bytes;
    if (!this.options.cipher) throw new RivuletError('VIDEO_STORAGE', { message: 'the stream has a KmsKeyId but no key store is configured' });
    return this.options.cipher.encrypt(this.options.cipher.resolveKey(kmsKeyId), bytes);
  }

  // Retention

  /** Deletes the stream's fragments that arrived before cutoffMs (server time); returns how many. */
  async trimBefore(nameOrArn: string, cutoffMs: number): Promise<number> {
    const doc = this.streamDoc(nameOrArn);
    if (!doc || cutoffMs <= 0) return 0;
    let deleted = 0;
    for (;;) {
      const count = await this.withLock(doc.id, async () => {
        if (this.byName.get(doc.name)?.id !== doc.id) return 0;
        const keys = await this.db.keys({ ...timeRange('t', doc.id, 0, cutoffMs - 1, null), limit: TRIM_BATCH }).all();
        if (keys.length === 0) return 0;
        const numbers = keys.map(fragmentNumberOf);
        const values = await this.db.getMany(numbers.map((n) => fragmentKey(doc.id, n)));
        const ops: BatchOp[] = keys.map((key) => ({ type: 'del', key }));
        numbers.forEach((n, i) => {
          ops.push({ type: 'del', key: fragmentKey(doc.id, n) });
          const text = values[i];
          if (text !== undefined) ops.push({ type: 'del', key: timeKey('p', doc.id, decodeRecord(doc.name, n, text).producerTimestampMs, n) });
        });
        // Index first, files after: a crash in between leaves only orphan files, removed on open.
        await this.db.batch(ops, { sync: this.syncWrites });
        for (const n of numbers) await this.files.remove(doc.id, n);
        return numbers.length;
      });
      deleted += count;
      if (count < TRIM_BATCH) return deleted;
    }
  }

  // Internals

  private require(nameOrArn: string): VideoStreamDoc {
    if (!this.opened) throw new RivuletError('VIDEO_STORAGE', { message: 'the fragment store is not open' });
    const doc = this.streamDoc(nameOrArn);
    if (!doc) throw this.notFound(nameOrArn);
    return doc;
  }

  private notFound(name: string): RivuletError {
    return new RivuletError('VIDEO_STREAM_NOT_FOUND', { stream: name.slice(0, 300) });
  }

  private async records(doc: VideoStreamDoc, numbers: string[]): Promise<FragmentRecord[]> {
    if (numbers.length === 0) return [];
    const values = await this.db.getMany(numbers.map((n) => fragmentKey(doc.id, n)));
    const out: FragmentRecord[] = [];
    numbers.forEach((n, i) => {
      const text = values[i];
      if (text !== undefined) out.push(decodeRecord(doc.name, n, text));
    });
    return out;
  }

  private remember(doc: VideoStreamDoc): void {
    const old = this.byName.get(doc.name);
    if (old) this.byArn.delete(old.arn);
    this.byName.set(doc.name, doc);
    this.byArn.set(doc.arn, doc);
  }

  private forget(doc: VideoStreamDoc): void {
    this.byName.delete(doc.name);
    this.byArn.delete(doc.arn);
  }

  /** Removes a DELETING stream's index, files and document, in that order. */
  private async purge(doc: VideoStreamDoc): Promise<void> {
    for (const tag of ['f', 'p', 't'] as const) await this.db.clear(streamTagRange(tag, doc.id));
    await this.files.removeStream(doc.id);
    await this.db.del(streamKey(doc.id), { sync: true });
  }

  /** Runs fn after every earlier fn for the same stream has settled. */
  private withLock<T>(streamId: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(streamId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(streamId, settled);
    void settled.then(() => {
      if (this.locks.get(streamId) === settled) this.locks.delete(streamId);
    });
    return run;
  }
}

const docCheck = TypeCompiler.Compile(VideoStreamDoc);

function isStreamDoc(value: unknown): value is VideoStreamDoc {
  return docCheck.Check(value);
}
