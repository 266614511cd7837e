/**
 * ChunkLedger: which raw records of a delivery stream are still needed. A raw record may yield
 * several items (de-aggregation) or none (Dropped); it is consumed once every item it yielded
 * has been cut into a batch. A chunk with nothing left is deleted; a partly consumed chunk gets
 * a marker of the indexes done, so recovery processes only the rest. Whole chunks taken by a
 * batch leave the ledger: the batch owns them. Pure bookkeeping: the store applies the updates.
 */
import { CHUNK_SPAN, chunkOf, type ChunkUpdate } from './store.js';

export class ChunkLedger {
  private readonly chunks = new Map<number, { remaining: number; consumed: number[] }>();
  /** Raw seq -> items of it not yet cut. */
  private readonly outstanding = new Map<number, number>();

  /** A chunk as recovered: `consumed` are the indexes its marker lists. */
  restore(id: number, size: number, consumed: readonly number[]): void {
    this.chunks.set(id, { remaining: size - consumed.length, consumed: [...consumed] });
  }

  open(id: number, count: number): void {
    this.chunks.set(id, { remaining: count, consumed: [] });
  }

  /** The pipeline made one more item from raw record `seq`. */
  produced(seq: number): void {
    this.outstanding.set(seq, (this.outstanding.get(seq) ?? 0) + 1);
  }

  /** A batch takes these whole chunks: they are no longer the ledger's to delete. */
  take(ids: readonly number[]): void {
    for (const id of ids) this.chunks.delete(id);
  }

  /** Items from these raw seqs were cut (one entry per item); `whole` seqs stand for whole chunks. */
  cut(seqs: readonly number[], whole: ReadonlySet<number>): ChunkUpdate {
    const finished: number[] = [];
    for (const s of seqs) {
      const left = (this.outstanding.get(s) ?? 1) - 1;
      if (left <= 0) {
        this.outstanding.delete(s);
        finished.push(s);
      } else this.outstanding.set(s, left);
    }
    return this.consume(finished, whole);
  }

  /** Raw records that produced nothing (Dropped) are consumed as they are. */
  drop(seqs: readonly number[]): ChunkUpdate {
    return this.consume(seqs, NO_SEQS);
  }

  private consume(seqs: readonly number[], whole: ReadonlySet<number>): ChunkUpdate {
    const update: ChunkUpdate = { deleted: [], consumed: new Map() };
    const touched = new Set<number>();
    for (const seq of seqs) {
      const id = chunkOf(seq);
      const state = this.chunks.get(id);
      if (!state) continue;
      touched.add(id);
      if (whole.has(seq)) {
        state.remaining = 0;
        continue;
      }
      state.consumed.push(seq % CHUNK_SPAN);
      state.remaining--;
    }
    for (const id of touched) {
      const state = this.chunks.get(id)!;
      if (state.remaining <= 0) {
        update.deleted.push(id);
        this.chunks.delete(id);
      } else update.consumed.set(id, [...state.consumed]);
    }
    return update;
  }
}

const NO_SEQS: ReadonlySet<number> = new Set();
