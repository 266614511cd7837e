/**
 * The stream registry: every data stream's document and runtime state, loaded at open and
 * saved through the ShardStore on each change. Owns stream lifecycle and lookup by name or
 * ARN; does not own records (records.ts) or resharding (resharding.ts).
 */
import { Value } from '@sinclair/typebox/value';
import { RivuletError, uniformRanges } from '@rivulet/shared';
import type { StreamsDeps } from './deps.js';
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

  constructor(private readonly deps: StreamsDeps) {}

  async load(): Promise<void> {
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
    const id = this.nextStreamId++;
    await this.deps.store.putSetting('next-stream-id', String(this.nextStreamId));
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
    await this.save(stream);
    this.index(stream);
    return stream;
  }

  async delete(stream: StreamRuntime): Promise<void> {
    this.byName.delete(stream.doc.name);
    this.byStreamId.delete(stream.doc.id);
    await this.deps.store.deleteStream(stream.doc.name, stream.doc.id);
  }

  /** Durably writes the stream's document. */
  save(stream: StreamRuntime): Promise<void> {
    return this.deps.store.saveStream(stream.doc.name, JSON.stringify(stream.doc));
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
    const stream: StreamRuntime = { doc, arn: this.arnFor(doc.name), shards: new Map(), openShards: [], updating: false };
    for (const shard of doc.shards) stream.shards.set(shard.index, toRuntimeShard(shard, 0, 0));
    refreshOpenShards(stream);
    return stream;
  }

  private index(stream: StreamRuntime): void {
    this.byName.set(stream.doc.name, stream);
    this.byStreamId.set(stream.doc.id, stream);
  }
}
