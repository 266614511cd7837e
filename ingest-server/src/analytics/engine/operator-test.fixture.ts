/**
 * Test support for the window operators (tumbling, stagger, sliding): the SELECT of a query, the
 * guide's demo stream as a scope, driving an operator through rows and watermarks, and running it
 * against a naive recomputation and a copy restored from its snapshot.
 */
import { at, DEMO_COLUMNS, SOURCE } from '../sql/aws-examples.fixture.js';
import type { Select, Statement } from '../sql/index.js';
import { parseSql } from '../sql/index.js';
import { streamScope } from './expr.js';
import type { RowOperator } from './operator.js';
import { collectingEmitter } from './operator.js';
import type { Row } from './values.js';

export { at, SOURCE };

/** Developer Guide, "Getting Started": the demo stream's schema, as a scope. */
export const demoScope = streamScope(SOURCE, DEMO_COLUMNS);

/** The SELECT of the last statement of `sql` (a plain SELECT or a pump's). */
export function selectOf(sql: string): Select {
  const statements: Statement[] = parseSql(sql);
  const last = statements[statements.length - 1];
  if (last?.kind === 'CreatePump' || last?.kind === 'Select') return last.select;
  throw new Error('no SELECT in the SQL');
}

export type CollectingEmitter = ReturnType<typeof collectingEmitter>;

/** Pushes rows and advances to watermarks (the numbers), collecting everything the operator emits. */
export function drive(op: RowOperator, steps: readonly (Row | number)[]): CollectingEmitter {
  const out = collectingEmitter();
  for (const step of steps) {
    if (typeof step === 'number') op.advance(step, out);
    else op.push(step, out);
  }
  return out;
}

/**
 * A naive recomputation to check a window operator against: it keeps every accepted row and, at
 * each watermark, recomputes from scratch the windows that close (`close`). Rows `isLate` finds
 * behind what has closed go to `lateRows`.
 */
export abstract class NaiveWindows {
  protected readonly accepted: Row[] = [];
  protected closedThrough = -Infinity;
  readonly lateRows: Row[] = [];

  constructor(protected readonly graceMs: number) {}

  protected abstract isLate(row: Row): boolean;
  /** The rows of the windows that close between `before` and `threshold` (the watermark less the grace). */
  protected abstract close(before: number, threshold: number, watermark: number): Row[];

  push(row: Row): void {
    if (this.isLate(row)) this.lateRows.push(row);
    else this.accepted.push(row);
  }

  /** The rows of the windows that close at this watermark. */
  advance(watermark: number): Row[] {
    const threshold = watermark - this.graceMs;
    if (threshold <= this.closedThrough) return [];
    const before = this.closedThrough;
    this.closedThrough = threshold;
    return this.close(before, threshold, watermark);
  }
}

/**
 * An operator run side by side with a naive recomputation (what it emits collects in
 * `expected`) and, once `restore` is called, with a copy restored from its snapshot.
 */
export interface CheckedRun {
  readonly out: CollectingEmitter;
  /** What the restored copy emitted, starting with what `op` had emitted when it was restored. */
  readonly restoredOut: CollectingEmitter;
  /** What the naive recomputation emitted. */
  readonly expected: Row[];
  push(row: Row): void;
  advance(watermarkMs: number): void;
  /** Builds the copy with `rebuild` and loads `op`'s snapshot into it, through JSON. */
  restore(): void;
}

export function runAgainst(op: RowOperator, naive: Pick<NaiveWindows, 'push' | 'advance'>, rebuild?: () => RowOperator): CheckedRun {
  const out = collectingEmitter();
  const restoredOut = collectingEmitter();
  const expected: Row[] = [];
  let restored: RowOperator | undefined;
  return {
    out,
    restoredOut,
    expected,
    push(row) {
      naive.push(row);
      op.push(row, out);
      restored?.push(row, restoredOut);
    },
    advance(watermarkMs) {
      expected.push(...naive.advance(watermarkMs));
      op.advance(watermarkMs, out);
      restored?.advance(watermarkMs, restoredOut);
    },
    restore() {
      if (!rebuild) throw new Error('runAgainst: no rebuild given');
      restored = rebuild();
      restored.restore(JSON.parse(JSON.stringify(op.snapshot())));
      restoredOut.rows.push(...out.rows);
      restoredOut.errors.push(...out.errors);
    },
  };
}
