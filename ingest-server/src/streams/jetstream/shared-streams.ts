/**
 * The multi-process half of the JetStream ShardStore (SharedStreamsStore): what lets several
 * rivulet-ingest processes serve the same streams with no state of their own.
 *
 * - Stream documents live in the meta stream; a document's revision is its message sequence and
 *   every change is a compare-and-set on it. A delete leaves an empty tombstone, so other
 *   processes following `changesAfter` see it.
 * - A shard takes writes while its subject is in its JetStream stream's `subjects`. Closing
 *   shards (a reshard) is one stream-config update, which JetStream applies atomically through
 *   the stream's Raft group: from then on a publish to a closed shard reaches no stream, in
 *   every process at once, and the parent's last chunk is final. Children start above it:
 *   positions come from the JetStream sequence, shared by all shards of a stream.
 * - Stream ids come from a compare-and-set counter; settings such as the iterator secret are
 *   claimed create-only, so processes starting together agree on one.
 */
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { RivuletError } from '@rivulet/shared';
import type { AppendChunk, AppendOutcome, SharedStreamsStore, StreamDocVersion } from '../store.js';
import type { ChunkAppender } from './chunk-appender.js';
import { guarded, storageError } from './js-errors.js';
import type { MetaStore } from './meta-store.js';
import { waitForLeader } from './leader-get.js';
import type { JetStreamNames } from './naming.js';

const NEXT_STREAM_ID = 'next-stream-id';
const MAX_CAS_ATTEMPTS = 100;
const DUPLICATE_WINDOW_NS = 120 * 1_000_000_000;
const LEADER_WAIT_MS = 10_000;

export interface SharedStreamsParts {
  jsm: JetStreamManager;
  meta: MetaStore;
  appender: ChunkAppender;
  names: JetStreamNames;
  replicas: number;
  /** Throws if a chunk cannot be one message. */
  assertFits(chunk: AppendChunk): void;
  /** Forgets what the store cached about a deleted stream. */
  forget(streamId: number): void;
}

export class JetStreamSharedStreams implements SharedStreamsStore {
  constructor(private readonly parts: SharedStreamsParts) {}

  async append(chunks: AppendChunk[]): Promise<AppendOutcome[]> {
    for (const c of chunks) this.parts.assertFits(c);
    const settled = await Promise.allSettled(chunks.map((c) => this.parts.appender.append(c)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw storageError('append failed', failed.reason);
    return settled.map((s) => (s as PromiseFulfilledResult<AppendOutcome>).value);
  }

  async changesAfter(revision: number): Promise<StreamDocVersion[]> {
    const changes = await this.parts.meta.changesAfter('stream', revision);
    return changes.map((c) => ({ name: c.name, document: c.value === '' ? null : c.value, revision: c.revision }));
  }

  async loadStream(name: string): Promise<StreamDocVersion | null> {
    const v = await this.parts.meta.getVersion('stream', name);
    return v === null ? null : { name, document: v.value === '' ? null : v.value, revision: v.revision };
  }

  saveStreamIf(name: string, document: string, expected: number): Promise<number | null> {
    return this.parts.meta.putIf('stream', name, document, expected);
  }

  async deleteStreamIf(name: string, streamId: number, expected: number): Promise<boolean> {
    if ((await this.parts.meta.putIf('stream', name, '', expected)) === null) return false;
    const jsName = this.parts.names.chunkStream(streamId);
    await guarded(`deleting ${jsName}`, async () => {
      if ((await this.info(streamId)) !== null) await this.parts.jsm.streams.delete(jsName);
    });
    this.parts.forget(streamId);
    return true;
  }

  async setWritableShards(streamId: number, shardIndexes: readonly number[]): Promise<void> {
    const { names, jsm, replicas } = this.parts;
    const name = names.chunkStream(streamId);
    const subjects = shardIndexes.map((i) => names.shardSubject(streamId, i));
    if (subjects.length === 0) throw new RivuletError('STREAMS_STORAGE', { message: `stream ${name} must keep at least one writable shard` });
    await guarded(`setting the writable shards of ${name}`, async () => {
      const info = await this.info(streamId);
      if (info === null) {
        await jsm.streams.add({ name, subjects, num_replicas: replicas, allow_direct: true, duplicate_window: DUPLICATE_WINDOW_NS });
        await waitForLeader(jsm, name, LEADER_WAIT_MS);
        return;
      }
      const current = info.config.subjects ?? [];
      if (current.length === subjects.length && subjects.every((s) => current.includes(s))) return;
      await jsm.streams.update(name, { ...info.config, subjects });
    });
  }

  /** Whether a shard takes writes now: its subject (or the migrated streams' wildcard) is in the stream's subjects. */
  async isWritable(streamId: number, shardIndex: number): Promise<boolean> {
    const info = await guarded(`looking up ${this.parts.names.chunkStream(streamId)}`, () => this.info(streamId));
    if (info === null) return false;
    const subjects = info.config.subjects ?? [];
    return subjects.includes(this.parts.names.shardSubject(streamId, shardIndex)) || subjects.includes(this.parts.names.chunkSubjects(streamId));
  }

  async claimSetting(name: string, value: string): Promise<string> {
    if ((await this.parts.meta.putIf('setting', name, value, 0)) !== null) return value;
    const stored = await this.parts.meta.get('setting', name);
    if (stored === null) throw new RivuletError('STREAMS_STORAGE', { message: `setting ${name} exists but cannot be read` });
    return stored;
  }

  async allocateStreamId(): Promise<number> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.parts.meta.getVersion('setting', NEXT_STREAM_ID);
      const id = Math.max(1, Number(current?.value ?? '1') || 1);
      if ((await this.parts.meta.putIf('setting', NEXT_STREAM_ID, String(id + 1), current?.revision ?? 0)) !== null) return id;
    }
    throw new RivuletError('STREAMS_STORAGE_UNAVAILABLE', { message: 'could not allocate a stream id: too many concurrent creates' });
  }

  private async info(streamId: number): Promise<StreamInfo | null> {
    try {
      return await this.parts.jsm.streams.info(this.parts.names.chunkStream(streamId));
    } catch (cause) {
      if (isStreamNotFound(cause)) return null;
      throw cause;
    }
  }
}

export function isStreamNotFound(cause: unknown): boolean {
  return (cause as { code?: number }).code === 10059 || (cause instanceof Error && cause.name === 'StreamNotFoundError');
}
