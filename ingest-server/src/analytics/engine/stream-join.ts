/**
 * The stream-to-stream window join (the semantics are in join.ts's header): left rows at the
 * current time, right rows in the window, both hash-indexed on the ON clause's equality keys.
 *
 * Owns: the two buffers, eviction as time moves, LEFT JOIN's late NULL rows, and its snapshot.
 * Does not own: ON analysis or the relation's scope (join.ts).
 */
import { decodeValue, encodeValue } from './aggregates.js';
import type { HashKey, JoinCondition, JoinWindowSpec } from './join.js';
import type { Row, Value } from './values.js';

interface Entry { readonly row: Row; readonly key: HashKey | undefined; matched: boolean }

/** A FIFO with O(1) shift: right rows leave the window in arrival order. */
class Fifo<T> {
  items: T[] = [];
  head = 0;
  get size(): number { return this.items.length - this.head; }
  peek(): T | undefined { return this.items[this.head]; }
  shift(): T | undefined {
    const x = this.items[this.head++];
    // Compact once half is dead: amortized O(1), and a small bucket never keeps a long tail.
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

const concat = (a: readonly Value[], b: readonly Value[]): Value[] => {
  const out = new Array<Value>(a.length + b.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ?? null;
  for (let j = 0; j < b.length; j++) out[a.length + j] = b[j] ?? null;
  return out;
};

/** Snapshot values: JSON has no NaN, Infinity or -0 (aggregates.ts encodes them). */
const store = (vs: readonly Value[]): unknown[] => vs.map(encodeValue);
const load = (vs: readonly unknown[]): Value[] => vs.map(decodeValue);

export interface StreamJoinState {
  timeMs: number | null;
  left: { t: number; v: unknown[]; m: boolean }[];
  right: { t: number; v: unknown[] }[];
}

/** The stream-to-stream join: left rows at the current time, right rows in the window. */
export class StreamJoin {
  private timeMs = -Infinity;
  private left: Entry[] = [];
  private right = new Fifo<Entry>();
  private index = new Map<HashKey, Fifo<Entry>>();
  private readonly nulls: readonly null[];

  constructor(
    private readonly kind: 'INNER' | 'LEFT',
    readonly window: JoinWindowSpec,
    private readonly condition: JoinCondition,
    rightWidth: number,
  ) {
    this.nulls = new Array<null>(rightWidth).fill(null);
  }

  /** Rows held: left rows at the current time plus right rows in the window. */
  get bufferedRows(): number { return this.left.length + this.right.size; }

  /**
   * Moves the current time to `t`: left rows before it can match nothing more (LEFT JOIN emits
   * them), right rows before `t - range` can match no future left row. Returns the current
   * time, which never goes back.
   */
  advanceTo(t: number, emit: (row: Row) => void): number {
    if (t <= this.timeMs) return this.timeMs;
    this.timeMs = t;
    const done = this.left;
    this.left = [];
    if (this.kind === 'LEFT') for (const e of done) if (!e.matched) emit({ rowtime: e.row.rowtime, values: concat(e.row.values, this.nulls) });
    if ('rangeMs' in this.window) {
      const oldest = t - this.window.rangeMs;
      for (let e = this.right.peek(); e !== undefined && e.row.rowtime < oldest; e = this.right.peek()) this.evict();
    }
    return t;
  }

  /** A left row at the current time: joins the right window now, and stays for same-time right rows. */
  pushLeft(row: Row, emit: (row: Row) => void): void {
    const key = this.condition.leftKey(row);
    const bucket = key === undefined ? undefined : this.index.get(key);
    const out: Row[] = [];
    if (bucket) for (let i = bucket.head; i < bucket.items.length; i++) this.pair(row, (bucket.items[i] as Entry).row, out);
    this.left.push({ row, key, matched: out.length > 0 });
    for (const r of out) emit(r);
  }

  /** A right row at the current time: joins the left rows of this time, then enters the window. */
  pushRight(row: Row, emit: (row: Row) => void): void {
    const key = this.condition.rightKey(row.values);
    const out: Row[] = [];
    const matched: Entry[] = [];
    if (key !== undefined) {
      for (const l of this.left) if (l.key === key && this.pair(l.row, row, out)) matched.push(l);
    }
    for (const l of matched) l.matched = true;
    this.enter({ row, key, matched: false });
    for (const r of out) emit(r);
  }

  private pair(l: Row, r: Row, out: Row[]): boolean {
    const joined: Row = { rowtime: l.rowtime, values: concat(l.values, r.values) };
    if (this.condition.residual !== undefined && !this.condition.residual(joined)) return false;
    out.push(joined);
    return true;
  }

  private enter(e: Entry): void {
    this.right.items.push(e);
    if (e.key !== undefined) {
      let bucket = this.index.get(e.key);
      if (!bucket) this.index.set(e.key, (bucket = new Fifo<Entry>()));
      bucket.items.push(e);
    }
    if ('rows' in this.window) while (this.right.size > this.window.rows + 1) this.evict();
  }

  private evict(): void {
    const e = this.right.shift();
    if (e?.key === undefined) return;
    const bucket = this.index.get(e.key);
    // Buckets are in arrival order too, so the evicted row is its bucket's head.
    bucket?.shift();
    if (bucket?.size === 0) this.index.delete(e.key);
  }

  snapshot(): StreamJoinState {
    return {
      timeMs: Number.isFinite(this.timeMs) ? this.timeMs : null,
      left: this.left.map((e) => ({ t: e.row.rowtime, v: store(e.row.values), m: e.matched })),
      right: this.right.items.slice(this.right.head).map((e) => ({ t: e.row.rowtime, v: store(e.row.values) })),
    };
  }

  restore(state: StreamJoinState): void {
    this.timeMs = state.timeMs ?? -Infinity;
    this.left = state.left.map((s) => {
      const row = { rowtime: s.t, values: load(s.v) };
      return { row, key: this.condition.leftKey(row), matched: s.m };
    });
    this.right = new Fifo<Entry>();
    this.index = new Map();
    for (const s of state.right) {
      const row = { rowtime: s.t, values: load(s.v) };
      this.enter({ row, key: this.condition.rightKey(row.values), matched: false });
    }
  }
}

