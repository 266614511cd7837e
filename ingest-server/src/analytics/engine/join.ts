/**
 * The join stage of a pump: a SELECT's FROM plus its JOINs form one "relation" whose rows are
 * the joined inputs' values side by side; the rest of the SELECT is compiled against its Scope.
 *
 * Owns: name resolution of FROM / JOIN (stream or reference table), the combined Scope, ON
 * analysis (equality conjuncts become hash keys, the rest is a residual filter), the
 * stream-to-stream window join and its checkpoint. Reference-table lookups: reference-table.ts.
 * Does not own: projection, WHERE, GROUP BY or windows (compiled by others over `scope`),
 * merging the two inputs by ROWTIME (the runtime does, as SQLstream does), or loading tables.
 *
 * Stream-to-stream semantics (KDA SQL Reference, "JOIN clause"; SQLstream s-Server, "Creating
 * Streaming JOINs", on which KDA is built):
 * - Each side is a window over its stream relative to the query's current time T (the latest
 *   ROWTIME seen). "If no time window or row-based window is specified on the side of a join,
 *   then only the current row from that side participates": the FROM side (no OVER) is RANGE
 *   CURRENT ROW, rows with ROWTIME = T. The joined side is `OVER (RANGE r PRECEDING)`, rows with
 *   ROWTIME in [T - r, T] (bounds inclusive, as SQL's RANGE frame), or `OVER (ROWS n
 *   PRECEDING)`, its latest n + 1 rows (the SQL frame: n preceding plus the current row).
 * - So left row l and right row r pair when ON is TRUE and l.ROWTIME - r <= r.ROWTIME <=
 *   l.ROWTIME: a left row joins the right rows in the window preceding it, and a right row joins
 *   the left rows of its own ROWTIME (ties); each pair is emitted once, when its later row
 *   arrives, with ROWTIME = the later of the two (SQLstream: "the later of the rowtimes of the
 *   two input rows"), which here is always l.ROWTIME.
 * - LEFT JOIN: an unmatched left row is emitted with NULLs once no match can come any more:
 *   when time moves past its ROWTIME (a later row on either side, or `advance`). Its ROWTIME is
 *   its own, so outputs stay in ROWTIME order. Emitting it on arrival would be wrong: a right row
 *   with the same ROWTIME may still come and match it.
 * - The pairing rule assumes the two inputs arrive merged in ROWTIME order (SQLstream merges its
 *   inputs so). A row older than T enters at T instead, as app/graph.ts does for one stream:
 *   nothing is dropped and outputs stay in ROWTIME order, at the cost of a late row joining as
 *   of T.
 * - Windowed joins may not be partitioned (KDA SQL Reference, "Allowed and Disallowed Window
 *   Specifications": "For windowed join, partitioned windows are NOT allowed").
 */
import type { Expr, Position, Select } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Scope } from './expr.js';
import { compileExpr, resolveColumn, streamScope } from './expr.js';
import type { Emitter, RowOperator } from './operator.js';
import type { ReferenceTable } from './reference-table.js';
import { TableJoin } from './reference-table.js';
import { StreamJoin, type StreamJoinState } from './stream-join.js';
import type { Row, Value, ValueType } from './values.js';

export type { ReferenceTable } from './reference-table.js';

type ColumnDef = { readonly name: string; readonly type: ValueType };

/** What a FROM / JOIN name denotes. */
export type RelationInput =
  | { readonly kind: 'stream'; readonly name: string; readonly columns: readonly ColumnDef[] }
  | { readonly kind: 'table'; readonly name: string; readonly table: ReferenceTable };

/** A RowOperator over the relation's inputs, whose reference tables can be reloaded. */
export interface JoinOperator extends RowOperator {
  /** Swaps the data of every join on reference table `name`; other names are ignored. */
  setTable(name: string, table: ReferenceTable): void;
}

export interface Relation {
  /** Combined columns, in input order, each qualified by its input's name and alias. */
  readonly scope: Scope;
  /** In-application streams feeding the relation, by side: 0 is FROM, 1 the joined stream. */
  readonly streams: readonly string[];
  /** Reference tables joined, so the application knows which to load into `operator`. */
  readonly tables: readonly string[];
  /** Absent when there is no JOIN: rows pass through unchanged. */
  readonly operator?: JoinOperator;
}

/** A hash key: one value, or the JSON of several. */
export type HashKey = string | number | boolean;

/** An ON clause split for hashing. Keys are undefined when a key value is NULL (equals nothing). */
export interface JoinCondition {
  /** Key of a left row (everything joined so far); may throw a SqlRuntimeError. */
  readonly leftKey: (row: Row) => HashKey | undefined;
  /** Key of a right input's values; the right side of a key is a plain column, so it cannot throw. */
  readonly rightKey: (values: readonly Value[]) => HashKey | undefined;
  /** The conjuncts that are not keys, over the combined row; undefined when there are none. */
  readonly residual: ((row: Row) => boolean) | undefined;
}

export type JoinWindowSpec = { readonly rangeMs: number } | { readonly rows: number };

/** Plans the FROM and JOINs of `select`. `resolve` says what a name is, or undefined. */
export function planRelation(select: Select, resolve: (name: string, pos: Position) => RelationInput | undefined): Relation {
  const lookup = (item: Select['from']): RelationInput => {
    if (item.kind !== 'stream') throw new SqlCompileError('a subquery is not supported in FROM or JOIN', item.pos);
    const input = resolve(item.name, item.pos);
    if (!input) throw new SqlCompileError(`unknown stream or reference table "${item.name}"`, item.pos);
    return input;
  };
  const from = select.from;
  const first = lookup(from);
  if (first.kind !== 'stream') throw new SqlCompileError(`FROM must name an in-application stream; join reference table "${first.name}" to one`, from.pos);
  let scope = inputScope(first, from.alias);
  const streams = [first.name];
  const tables: string[] = [];
  const stages: (TableJoin | StreamJoin)[] = [];
  for (const join of select.joins) {
    const input = lookup(join.source);
    // The guide's named-window example (`JOIN TradeStream OVER t ON o.orderId = t.orderId`)
    // qualifies the unaliased joined stream by its window's name; accept that.
    const windowName = join.window && 'name' in join.window ? join.window.name : undefined;
    const right = inputScope(input, join.source.alias ?? windowName);
    const combined: Scope = { columns: [...scope.columns, ...right.columns], tables: [...scope.tables, ...right.tables] };
    const condition = analyzeOn(join.on, scope, combined);
    if (input.kind === 'table') {
      if (join.window) throw new SqlCompileError(`reference table "${input.name}" cannot have an OVER window`, join.source.pos);
      stages.push(new TableJoin(input.name, join.kind, input.table, condition));
      tables.push(input.name);
    } else {
      if (!join.window) throw new SqlCompileError(`a join of stream "${input.name}" needs a window: OVER (RANGE INTERVAL ... PRECEDING) or OVER (ROWS n PRECEDING)`, join.source.pos);
      if (streams.length > 1) throw new SqlCompileError('only one stream-to-stream join per SELECT is supported', join.source.pos);
      stages.push(new StreamJoin(join.kind, windowOf(join.window, select, join.source.pos), condition, input.columns.length));
      streams.push(input.name);
    }
    scope = combined;
  }
  if (stages.length === 0) return { scope, streams, tables };
  return { scope, streams, tables, operator: new JoinPipeline(scope, stages) };
}

function inputScope(input: RelationInput, alias: string | undefined): Scope {
  if (input.kind === 'stream') return streamScope(input.name, input.columns, alias);
  // A reference table has no ROWTIME, so its names do not qualify one.
  return { columns: streamScope(input.name, input.table.columns, alias).columns, tables: [] };
}

function windowOf(w: NonNullable<Select['joins'][number]['window']>, select: Select, pos: Position): JoinWindowSpec {
  if (!('name' in w)) return w;
  const named = select.windows?.find((d) => d.name === w.name);
  if (!named) throw new SqlCompileError(`window "${w.name}" is not defined`, pos);
  if (named.partitionBy.length > 0) throw new SqlCompileError(`window "${w.name}" of a join cannot have PARTITION BY`, named.pos);
  return named.frame.kind === 'RANGE' ? { rangeMs: named.frame.ms } : { rows: named.frame.n };
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** Calls `visit` on every expression node under `x`, `x` included. */
function walk(x: unknown, visit: (e: Expr) => void): void {
  if (Array.isArray(x)) for (const item of x) walk(item, visit);
  else if (typeof x === 'object' && x !== null) {
    if ('kind' in x && 'pos' in x) visit(x as Expr);
    for (const v of Object.values(x)) walk(v, visit);
  }
}

/** Bit 1: reads the left (columns before `split`, or ROWTIME); bit 2: reads the right input. */
function sidesOf(e: Expr, combined: Scope, split: number): number {
  let sides = 0;
  walk(e, (n) => {
    if (n.kind === 'column') sides |= resolveColumn(combined, n.table, n.name, n.pos) < split ? 1 : 2;
    else if (n.kind === 'rowtime') sides |= 1;
  });
  return sides;
}

const validKey = (v: Value): v is HashKey => v !== null && v === v; // NaN equals nothing, as in SQL

/** Splits ON into hash keys (`leftExpr = right.column`) and a residual filter. */
export function analyzeOn(on: Expr, left: Scope, combined: Scope): JoinCondition {
  const whole = compileExpr(on, combined); // reports unknown and ambiguous names at their position
  if (whole.type !== 'BOOLEAN' && whole.type !== 'NULL') throw new SqlCompileError(`ON must be a BOOLEAN condition, found ${whole.type}`, on.pos);
  const split = left.columns.length;
  const keys: { fn: (row: Row) => Value; index: number }[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts(on)) {
    const pair = c.kind === 'binary' && c.op === '=' ? ([[c.left, c.right], [c.right, c.left]] as const).find(([l, r]) => r.kind === 'column' && sidesOf(r, combined, split) === 2 && (sidesOf(l, combined, split) & 2) === 0) : undefined;
    if (pair && pair[1].kind === 'column') {
      keys.push({ fn: compileExpr(pair[0], left).fn, index: resolveColumn(combined, pair[1].table, pair[1].name, pair[1].pos) - split });
    } else rest.push(c);
  }
  const filters = rest.map((c) => compileExpr(c, combined).fn);
  const residual = filters.length === 0 ? undefined : (row: Row) => filters.every((f) => f(row) === true);
  const only = keys[0];
  if (!only) return { leftKey: () => 0, rightKey: () => 0, residual }; // one bucket: a nested loop
  if (keys.length === 1) {
    const { fn, index } = only;
    return { leftKey: (row) => { const v = fn(row); return validKey(v) ? v : undefined; }, rightKey: (vs) => { const v = vs[index] ?? null; return validKey(v) ? v : undefined; }, residual };
  }
  const composite = (get: (k: (typeof keys)[number]) => Value): HashKey | undefined => {
    const vs: Value[] = [];
    for (const k of keys) {
      const v = get(k);
      if (!validKey(v)) return undefined;
      vs.push(v);
    }
    return JSON.stringify(vs);
  };
  return { leftKey: (row) => composite((k) => k.fn(row)), rightKey: (vs) => composite((k) => vs[k.index] ?? null), residual };
}

const SNAPSHOT_VERSION = 1;

/** Runs the stages in JOIN order: table lookups are stateless, the stream join holds windows. */
class JoinPipeline implements JoinOperator {
  readonly columns: readonly string[];
  readonly types: readonly ValueType[];
  private readonly tables: readonly TableJoin[];
  private readonly stream: StreamJoin | undefined;
  /** Table joins before the stream join (applied to left rows) and after it (to joined rows). */
  private readonly before: readonly TableJoin[];
  private readonly after: readonly TableJoin[];

  constructor(scope: Scope, stages: readonly (TableJoin | StreamJoin)[]) {
    this.columns = scope.columns.map((c) => c.name);
    this.types = scope.columns.map((c) => c.type);
    this.tables = stages.filter((s): s is TableJoin => s instanceof TableJoin);
    const at = stages.findIndex((s) => s instanceof StreamJoin);
    this.stream = at === -1 ? undefined : (stages[at] as StreamJoin);
    this.before = at === -1 ? this.tables : (stages.slice(0, at) as TableJoin[]);
    this.after = at === -1 ? [] : (stages.slice(at + 1) as TableJoin[]);
  }

  /** Rows buffered by the stream join (0 without one): what `advance` and pushes bound. */
  get bufferedRows(): number { return this.stream?.bufferedRows ?? 0; }

  setTable(name: string, table: ReferenceTable): void {
    for (const t of this.tables) if (t.name === name) t.setTable(table);
  }

  push(row: Row, out: Emitter, side = 0): void {
    try {
      const stream = this.stream;
      if (!stream) {
        if (side !== 0) throw new SqlRuntimeError('InvalidArgument', `this relation has no input on side ${side}`);
        this.through(this.before, 0, row, (r) => out.row(r));
        return;
      }
      const emit = this.emitter(out);
      const now = stream.advanceTo(row.rowtime, emit);
      const entered = row.rowtime < now ? { rowtime: now, values: row.values } : row;
      if (side === 1) stream.pushRight(entered, emit);
      else this.through(this.before, 0, entered, (l) => stream.pushLeft(l, emit));
    } catch (err) {
      if (!(err instanceof SqlRuntimeError)) throw err;
      out.error(err, row);
    }
  }

  advance(watermarkMs: number, out: Emitter): void {
    this.stream?.advanceTo(watermarkMs, this.emitter(out));
  }

  snapshot(): unknown {
    return { version: SNAPSHOT_VERSION, stream: this.stream?.snapshot() ?? null };
  }

  restore(state: unknown): void {
    const s = state as { version?: unknown; stream?: StreamJoinState | null } | null;
    if (s?.version !== SNAPSHOT_VERSION) throw new SqlRuntimeError('SchemaMismatch', 'not a snapshot of this join');
    if (this.stream && s.stream) this.stream.restore(s.stream);
  }

  /** Joined rows go through the table joins after the stream join; a failure there names the joined row. */
  private emitter(out: Emitter): (row: Row) => void {
    return (joined) => {
      try {
        this.through(this.after, 0, joined, (r) => out.row(r));
      } catch (err) {
        if (!(err instanceof SqlRuntimeError)) throw err;
        out.error(err, joined);
      }
    };
  }

  private through(stages: readonly TableJoin[], i: number, row: Row, next: (row: Row) => void): void {
    const stage = stages[i];
    if (!stage) return next(row);
    for (const r of stage.join(row)) this.through(stages, i + 1, r, next);
  }
}
