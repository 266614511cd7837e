/**
 * The stream registry: every data stream's document and runtime state, loaded at open and
 * saved through the ShardStore on each change. Owns stream lifecycle and lookup by name or
 * ARN; does not own records (records.ts) or resharding (resharding.ts).
 *
 * On a shared store (several processes, `store.shared`) the registry is a cache of the store:
 * `sync()` applies every document change since the last one before each request, so a process
 * answers with what any process wrote before the request arrived; saves are compare-and-set on
 * the document's revision, and a lost race is ResourceInUseException with the cache reloaded.
 */
import { Value } from '@sinclair/typebox/value';
import { RivuletError, uniformRanges } from '@rivulet/shared';
import type { StreamsDeps } from './deps.js';
import type { SharedStreamsStore, StreamDocVersion } from './store.js';
import { StreamDoc, refreshOpenShards, toRuntimeShard, type ShardDoc, type StreamRuntime } from './model.js';

export interface StreamRef {
  StreamName?: string | undefined;
  StreamARN?: string | undefined;
}

const ARN_PATTERN = /^arn:aws[\w-]*:kinesis:([\w-]+):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})$/;

export class StreamRegistry {
  private readonly byName = new Map<string, StreamRuntime>();
  private readonly byStreamId = new Map<number, StreamRuntime>();
  private nextStreamId = 1;
  /** Shared store: each stream's document revision (tombstones too), and the newest revision applied. */
  private readonly revisions = new Map<string, number>();
  private revision = 0;
  private syncRunning: Promise<void> = Promise.resolve();
  private syncQueued: Promise<void> | null = null;

  constructor(private readonly deps: StreamsDeps) {}

  async load(): Promise<void> {
    const shared = this.deps.store.shared;
    if (shared) return this.loadShared(shared);
    const docs = await this.deps.store.loadStreams();
    const savedNextId = Number((await this.deps.store.getSetting('next-stream-id')) ?? '1');
    this.nextStreamId = Math.max(1, savedNextId);
    for (const [name, text] of docs) {
      const parsed: unknown = JSON.parse(text);
      if (!Value.Check(StreamDoc, parsed)) {
        throw new RivuletError('STREAMS_STORAGE', { message: `stream document for ${name} does not match its schema` });
      }
      const stream = this.runtimeFor(parsed);
      for (const shard of stream.shards.values()) {
        const tail = await this.deps.store.tail(parsed.id, shard.doc.index);
        shard.nextPosition = Math.max(tail.nextPosition ?? 0, shard.doc.endingPosition === null ? 0 : shard.doc.endingPosition + 1);
        shard.committedPosition = shard.nextPosition;
        shard.lastArrivalMs = tail.lastArrivalMs ?? 0;
      }
      // A crash mid-reshard leaves parents with children but no last position: every write that
      // reached them is durable or lost by now, so close them at their stored tail.
      const parents = new Set(parsed.shards.flatMap((s) => [s.parentIndex, s.adjacentParentIndex]));
      let repaired = false;
      for (const shard of stream.shards.values()) {
        if (shard.doc.endingPosition === null && parents.has(shard.doc.index)) {
          shard.doc.endingPosition = shard.nextPosition - 1;
          shard.closing = true;
          repaired = true;
        }
      }
      if (repaired) {
        refreshOpenShards(stream);
        await this.save(stream);
      }
      this.index(stream);
      this.nextStreamId = Math.max(this.nextStreamId, parsed.id + 1);
    }
  }

  /**
   * Shared store: brings the cache up to every change stored before this call (undefined, and
   * nothing to wait for, otherwise). Concurrent callers share one follow-up pull.
   */
  sync(): Promise<void> | undefined {
    const shared = this.deps.store.shared;
    if (!shared) return undefined;
    if (this.syncQueued) return this.syncQueued;
    const next: Promise<void> = this.syncRunning.then(() => {
      if (this.syncQueued === next) this.syncQueued = null;
      return this.pull(shared);
    });
    this.syncQueued = next;
    this.syncRunning = next.catch(() => undefined);
    return next;
  }

  private async loadShared(shared: SharedStreamsStore): Promise<void> {
    await this.pull(shared);
    // A reshard that crashed between closing shards in the store and saving the document left
    // the store's writable shards and the document apart: the document is the truth.
    for (const stream of this.byName.values()) {
      await shared.setWritableShards(stream.doc.id, stream.openShards.map((s) => s.doc.index));
    }
  }

  private async pull(shared: SharedStreamsStore): Promise<void> {
    for (const change of await shared.changesAfter(this.revision)) {
      try {
        this.apply(change);
      } catch (err) {
        // One unreadable document must not stop this process from following every other change.
        this.deps.logger.error({ err, stream: change.name, revision: change.revision }, 'skipping a stream document that cannot be read');
      }
      this.revision = Math.max(this.revision, change.revision);
    }
  }

  /** Replaces the cached stream with a stored version, unless the cache already has it. */
  private apply(version: StreamDocVersion): void {
    if ((this.revisions.get(version.name) ?? 0) >= version.revision) return;
    this.revisions.set(version.name, version.revision);
    const old = this.byName.get(version.name);
    if (old) {
      this.byName.delete(old.doc.name);
      this.byStreamId.delete(old.doc.id);
    }
    if (version.document === null) return;
    const parsed: unknown = JSON.parse(version.document);
    if (!Value.Check(StreamDoc, parsed)) {
      throw new RivuletError('STREAMS_STORAGE', { message: `stream document for ${version.name} does not match its schema` });
    }
    const stream = this.runtimeFor(parsed);
    stream.revision = version.revision;
    this.index(stream);
  }

  /** Shared store: replaces the cached stream with the stored one (after a failed change left the cache ahead of it). */
  async reload(name: string): Promise<void> {
    const shared = this.deps.store.shared;
    const current = shared ? await shared.loadStream(name) : null;
    if (current) {
      this.revisions.set(name, 0);
      this.apply(current);
    }
  }

  /** After a lost compare-and-set: reload the stream from the store, then refuse the request. */
  private async conflict(name: string): Promise<never> {
    await this.reload(name);
    throw new RivuletError('STREAMS_IN_USE', {
      message: `Stream ${name} under account ${this.deps.accountId} was changed by another request at the same time; retry.`,
    });
  }

  arnFor(name: string): string {
    return `arn:aws:kinesis:${this.deps.region}:${this.deps.accountId}:stream/${name}`;
  }

  list(): StreamRuntime[] {
    return [...this.byName.values()].sort((a, b) => (a.doc.name < b.doc.name ? -1 : a.doc.name > b.doc.name ? 1 : 0));
  }

  byId(streamId: number): StreamRuntime | undefined {
    return this.byStreamId.get(streamId);
  }

  /** Resolves StreamName and/or StreamARN to an existing stream, as every action does. */
  require(ref: StreamRef): StreamRuntime {
    const name = this.nameFrom(ref);
    const stream = this.byName.get(name);
    if (!stream) throw new RivuletError('STREAMS_NOT_FOUND', { stream: name, account: this.deps.accountId });
    return stream;
  }

  nameFrom(ref: StreamRef): string {
    if (ref.StreamARN !== undefined) {
      const m = ARN_PATTERN.exec(ref.StreamARN);
      if (!m) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Invalid StreamARN ${ref.StreamARN}` });
      const arnName = m[3]!;
      if (ref.StreamName !== undefined && ref.StreamName !== arnName) {
        throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'StreamName and StreamARN name different streams' });
      }
      if (m[2] !== this.deps.accountId || m[1] !== this.deps.region) {
        throw new RivuletError('STREAMS_NOT_FOUND', { stream: ref.StreamARN, account: this.deps.accountId });
      }
      return arnName;
    }
    if (ref.StreamName === undefined) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Either StreamName or StreamARN must be provided' });
    }
    return ref.StreamName;
  }

  openShardCount(): number {
    let n = 0;
    for (const s of this.byName.values()) n += s.openShards.length;
    return n;
  }

  onDemandStreamCount(): number {
    let n = 0;
    for (const s of this.byName.values()) if (s.doc.mode === 'ON_DEMAND') n++;
    return n;
  }

  async create(name: string, shardCount: number, mode: 'PROVISIONED' | 'ON_DEMAND', tags: Record<string, string>): Promise<StreamRuntime> {
    if (this.byName.has(name)) {
      throw new RivuletError('STREAMS_IN_USE', { message: `Stream ${name} under account ${this.deps.accountId} already exists.` });
    }
    const limit = this.deps.config.shardLimit;
    if (this.openShardCount() + shardCount > limit) {
      throw new RivuletError('STREAMS_LIMIT', {
        message: `This request would exceed the shard limit for the account ${this.deps.accountId} in ${this.deps.region}. Current shard count for the account: ${this.openShardCount()}. Limit: ${limit}.`,
      });
    }
    if (mode === 'ON_DEMAND' && this.onDemandStreamCount() >= this.deps.config.onDemandStreamLimit) {
      throw new RivuletError('STREAMS_LIMIT', { message: `On-demand stream count limit of ${this.deps.config.onDemandStreamLimit} reached` });
    }
    const now = this.deps.clock.now();
    const shared = this.deps.store.shared;
    let id: number;
    if (shared) {
      id = await shared.allocateStreamId();
    } else {
      id = this.nextStreamId++;
      await this.deps.store.putSetting('next-stream-id', String(this.nextStreamId));
    }
    const shards: ShardDoc[] = uniformRanges(shardCount).map((r, index) => ({
      index,
      parentIndex: null,
      adjacentParentIndex: null,
      startingHashKey: r.startingHashKey.toString(),
      endingHashKey: r.endingHashKey.toString(),
      createdAtMs: now,
      endingPosition: null,
    }));
    const doc: StreamDoc = {
      name,
      id,
      mode,
      createdAtMs: now,
      retentionHours: 24,
      shards,
      nextShardIndex: shardCount,
      tags,
      encryption: { type: 'NONE' },
      consumers: [],
      shardLevelMetrics: [],
    };
    const stream = this.runtimeFor(doc);
    if (shared) {
      // The document first, so no process's retention sweep takes the new records' stream for an orphan.
      if ((await shared.saveStreamIf(name, JSON.stringify(doc), this.revisions.get(name) ?? 0)) === null) {
        await this.sync();
        throw new RivuletError('STREAMS_IN_USE', { message: `Stream ${name} under account ${this.deps.accountId} already exists.` });
      }
      await this.sync();
      await shared.setWritableShards(id, shards.map((s) => s.index));
      return this.byName.get(name) ?? stream;
    }
    await this.save(stream);
    this.index(stream);
    return stream;
  }

  async delete(stream: StreamRuntime): Promise<void> {
    const shared = this.deps.store.shared;
    if (shared) {
      if (!(await shared.deleteStreamIf(stream.doc.name, stream.doc.id, stream.revision))) await this.conflict(stream.doc.name);
      await this.sync();
      return;
    }
    this.byName.delete(stream.doc.name);
    this.byStreamId.delete(stream.doc.id);
    await this.deps.store.deleteStream(stream.doc.name, stream.doc.id);
  }

  /** Durably writes the stream's document (shared store: only over the revision this process has). */
  async save(stream: StreamRuntime): Promise<void> {
    const shared = this.deps.store.shared;
    if (!shared) return this.deps.store.saveStream(stream.doc.name, JSON.stringify(stream.doc));
    const name = stream.doc.name;
    const revision = await shared.saveStreamIf(name, JSON.stringify(stream.doc), stream.revision);
    if (revision === null) return this.conflict(name);
    stream.revision = revision;
    if ((this.revisions.get(name) ?? 0) < revision) this.revisions.set(name, revision);
  }

  /** Runs fn as the stream's only structural update at a time (reshard, mode, retention...). */
  async exclusive<T>(stream: StreamRuntime, fn: () => Promise<T>): Promise<T> {
    if (stream.updating) {
      throw new RivuletError('STREAMS_IN_USE', {
        message: `Stream ${stream.doc.name} under account ${this.deps.accountId} not ACTIVE, instead in state UPDATING`,
      });
    }
    stream.updating = true;
    try {
      return await fn();
    } finally {
      stream.updating = false;
    }
  }

  private runtimeFor(doc: StreamDoc): StreamRuntime {
    const stream: StreamRuntime = { doc, arn: this.arnFor(doc.name), shards: new Map(), openShards: [], updating: false, revision: 0 };
    for (const shard of doc.shards) stream.shards.set(shard.index, toRuntimeShard(shard, 0, 0));
    refreshOpenShards(stream);
    return stream;
  }

  private index(stream: StreamRuntime): void {
    this.byName.set(stream.doc.name, stream);
    this.byStreamId.set(stream.doc.id, stream);
  }
}
