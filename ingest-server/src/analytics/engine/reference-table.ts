/**
 * The stream-to-reference-table join stage: each stream row is joined, right away, with the
 * matching rows of an in-application reference table.
 *
 * Owns: the table's rows and a hash index on the ON clause's equality keys (rebuilt whenever
 * `setTable` swaps the data: KDA reloads reference data from S3 on UpdateApplication), and the
 * INNER / LEFT semantics of one lookup. KDA SQL Reference, "JOIN clause": LEFT JOIN keeps the
 * left row with NULLs on the right when nothing matches.
 * Does not own: loading or parsing the table (the application reads the S3 object), the ON
 * clause analysis (join.ts), or checkpoints: table contents are reloaded, never snapshotted.
 */
import type { JoinCondition, HashKey } from './join.js';
import { SqlRuntimeError } from './errors.js';
import type { Row, Value, ValueType } from './values.js';

/** An in-application reference table: a fixed schema and the rows last loaded. */
export interface ReferenceTable {
  readonly columns: readonly { readonly name: string; readonly type: ValueType }[];
  readonly rows: readonly (readonly Value[])[];
}

/** One reference-table JOIN of a relation: the left row is everything joined before it. */
export class TableJoin {
  readonly name: string;
  private readonly kind: 'INNER' | 'LEFT';
  private readonly columns: readonly string[];
  private readonly condition: JoinCondition;
  private readonly nulls: readonly null[];
  /** Table rows by key, in table order. */
  private index = new Map<HashKey, (readonly Value[])[]>();

  constructor(name: string, kind: 'INNER' | 'LEFT', table: ReferenceTable, condition: JoinCondition) {
    this.name = name;
    this.kind = kind;
    this.columns = table.columns.map((c) => c.name);
    this.condition = condition;
    this.nulls = this.columns.map(() => null);
    this.setTable(table);
  }

  /**
   * Swaps in new data. The schema is the one the query was compiled against, so a table whose
   * columns differ is refused (the application recompiles its SQL when a schema changes).
   */
  setTable(table: ReferenceTable): void {
    const names = table.columns.map((c) => c.name);
    if (names.length !== this.columns.length || names.some((n, i) => n !== this.columns[i])) {
      throw new SqlRuntimeError('SchemaMismatch', `reference table "${this.name}" has columns (${names.join(', ')}), expected (${this.columns.join(', ')})`);
    }
    const index = new Map<HashKey, (readonly Value[])[]>();
    const width = this.columns.length;
    for (const raw of table.rows) {
      // A short row (a CSV line with missing fields) reads as NULLs, never as undefined.
      const row = raw.length === width ? raw : this.nulls.map((_, i) => raw[i] ?? null);
      const key = this.condition.rightKey(row);
      if (key === undefined) continue; // a NULL key equals nothing
      const bucket = index.get(key);
      if (bucket) bucket.push(row);
      else index.set(key, [row]);
    }
    this.index = index;
  }

  /**
   * The joined rows for one left row, in table order, with the left row's ROWTIME. Throws the
   * SqlRuntimeError of a failing ON clause before anything is emitted, so a row either joins
   * completely or goes to error_stream.
   */
  join(left: Row): Row[] {
    const { leftKey, residual } = this.condition;
    const key = leftKey(left);
    const bucket = key === undefined ? undefined : this.index.get(key);
    const out: Row[] = [];
    if (bucket) {
      const lv = left.values;
      const lw = lv.length;
      for (const right of bucket) {
        const values: Value[] = new Array<Value>(lw + right.length);
        for (let i = 0; i < lw; i++) values[i] = lv[i] ?? null;
        for (let j = 0; j < right.length; j++) values[lw + j] = right[j] ?? null;
        const row: Row = { rowtime: left.rowtime, values };
        if (residual === undefined || residual(row) === true) out.push(row);
      }
    }
    if (out.length === 0 && this.kind === 'LEFT') out.push({ rowtime: left.rowtime, values: [...left.values, ...this.nulls] });
    return out;
  }
}
