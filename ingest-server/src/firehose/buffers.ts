/**
 * PartitionBuffers: Firehose's buffering hints. Items accumulate per partition (one buffer per
 * dynamic partition, plus one per error output type and one for source backup); a buffer is cut
 * when it reaches the size hint, when the interval hint has passed since its first item (timed on
 * the injected clock), or when flushAll() is called at shutdown. Owns no storage: the cut callback
 * persists the batch. Cuts are handed over in the order they happen.
 */
import type { Clock, TimerHandle } from '@rivulet/shared';
import type { PartitionKeys, RoutedItem } from './pipeline.js';

export interface OpenBuffer {
  kind: RoutedItem['kind'];
  partition: string;
  keys: PartitionKeys;
  errorOutputType: string | undefined;
  items: Buffer[];
  rawSeqs: number[];
  /** The raw seqs that stand for whole chunks. */
  wholeSeqs: Set<number>;
  /** Records held (an item may be a whole chunk of them). */
  records: number;
  bytes: number;
  oldestArrivalMs: number;
  timer: TimerHandle | null;
}

export interface BufferLimits {
  bufferBytes: number;
  bufferIntervalMs: number;
  /** Data partitions open at once; past it an item is refused (the caller routes it to errors). */
  maxActivePartitions: number;
}

export class PartitionBuffers {
  private readonly open = new Map<string, OpenBuffer>();
  private dataPartitions = 0;

  constructor(
    private limits: BufferLimits,
    private readonly clock: Clock,
    private readonly onCut: (buffer: OpenBuffer) => void,
  ) {}

  setLimits(limits: BufferLimits): void {
    this.limits = limits;
  }

  /** False when the item would open a data partition past the active-partition limit. */
  add(item: RoutedItem): boolean {
    let buf = this.open.get(item.partition);
    if (!buf) {
      if (item.kind === 'data' && item.partition !== '' && this.dataPartitions >= this.limits.maxActivePartitions) return false;
      buf = {
        kind: item.kind,
        partition: item.partition,
        keys: item.kind === 'data' ? item.keys : { query: {}, lambda: {} },
        errorOutputType: item.kind === 'error' ? item.errorOutputType : undefined,
        items: [],
        rawSeqs: [],
        wholeSeqs: new Set(),
        records: 0,
        bytes: 0,
        oldestArrivalMs: item.arrivalMs,
        timer: null,
      };
      this.open.set(item.partition, buf);
      if (item.kind === 'data' && item.partition !== '') this.dataPartitions++;
      const opened = buf;
      if (this.limits.bufferIntervalMs > 0) opened.timer = this.clock.setTimer(() => this.cut(opened), this.limits.bufferIntervalMs);
    }
    buf.items.push(item.data);
    buf.rawSeqs.push(item.rawSeq);
    if (item.kind === 'data' && item.count !== undefined) {
      buf.wholeSeqs.add(item.rawSeq);
      buf.records += item.count;
    } else buf.records++;
    buf.bytes += item.data.byteLength;
    if (item.arrivalMs < buf.oldestArrivalMs) buf.oldestArrivalMs = item.arrivalMs;
    if (buf.bytes >= this.limits.bufferBytes) this.cut(buf);
    return true;
  }

  /** Interval 0: everything buffered so far goes out now (called after each processed chunk). */
  flushIfImmediate(): void {
    if (this.limits.bufferIntervalMs === 0) this.flushAll();
  }

  flushAll(): void {
    for (const buf of [...this.open.values()]) this.cut(buf);
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.bytes;
    return n;
  }

  /** Records, bytes and the oldest arrival held in open buffers (for the backlog metrics). */
  summary(): { records: number; bytes: number; oldestArrivalMs: number | null } {
    let records = 0;
    let bytes = 0;
    let oldest: number | null = null;
    for (const b of this.open.values()) {
      records += b.records;
      bytes += b.bytes;
      if (oldest === null || b.oldestArrivalMs < oldest) oldest = b.oldestArrivalMs;
    }
    return { records, bytes, oldestArrivalMs: oldest };
  }

  get activePartitions(): number {
    return this.dataPartitions;
  }

  private cut(buf: OpenBuffer): void {
    if (this.open.get(buf.partition) !== buf) return;
    this.open.delete(buf.partition);
    buf.timer?.cancel();
    if (buf.kind === 'data' && buf.partition !== '') this.dataPartitions--;
    if (buf.items.length > 0) this.onCut(buf);
  }
}
