/**
 * The application graph: a KDA application's code compiled into in-application streams and
 * pumps, each pump a chain of incremental operators (join relation → body), run synchronously.
 *
 * Owns: statement checks (only CREATE STREAM and CREATE PUMP in application code), name
 * resolution of streams and reference tables, pump ordering (a pump runs after the pumps
 * that feed it; cycles are refused), INSERT column mapping with casts to the target's declared
 * types, the `error_stream` every failure is written to, ROWTIME monotonicity per stream, and
 * one snapshot of every operator's state.
 * Does not own: reading inputs, decoding records, watermarks, delivering outputs, persistence
 * (the runner), nor what each operator computes (engine/).
 *
 * Rows flow depth-first: `insert` pushes a row into a stream, which pushes it through every
 * pump reading that stream, whose outputs are inserted into their targets, and so on. A
 * listener on a stream (`onRow`) sees every row the stream receives, in ROWTIME order.
 */
import type { CreatePump, CreateStream, Position, Select, SqlType, Statement } from '../sql/index.js';
import { parseSql } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from '../engine/errors.js';
import { planRelation, type ReferenceTable, type RelationInput } from '../engine/join.js';
import type { Emitter, RowOperator } from '../engine/operator.js';
import { project, someNode } from '../engine/project.js';
import { sliding } from '../engine/sliding.js';
import { stagger } from '../engine/stagger.js';
import { tumbling } from '../engine/tumbling.js';
import type { Row, Value, ValueType } from '../engine/values.js';
import { castFunction, valueTypeOf } from '../engine/values.js';
import { ERROR_STREAM, ERROR_STREAM_COLUMNS, errorRow } from './error-stream.js';

export interface StreamColumn {
  readonly name: string;
  readonly type: ValueType;
  /** The declared type, for casts on INSERT; absent for columns typed by inference. */
  readonly sqlType?: SqlType;
}

export interface InAppStream {
  readonly name: string;
  readonly columns: readonly StreamColumn[];
}

export interface GraphOptions {
  /** How long a window stays open after its end for late rows (event-time windows). */
  readonly graceMs?: number;
  /** The time written to error_stream.ERROR_TIME. */
  readonly now: () => number;
}

interface Pump {
  readonly name: string;
  readonly target: string;
  readonly sources: readonly { stream: string; side: number }[];
  readonly relation: RowOperator | undefined;
  readonly body: RowOperator;
  /** Types of the rows the body reads (the relation's columns), for error_stream.DATA_ROW. */
  readonly inputTypes: readonly ValueType[];
  /** Per target column, the body column it takes (or -1 for NULL) and its cast. */
  readonly mapping: readonly { from: number; cast: ((v: Value) => Value) | undefined }[];
}

type Listener = (row: Row) => void;

interface Flow {
  last: number;
  readonly listeners: Listener[];
  readonly readers: { readonly push: (row: Row) => void }[];
}

/** The stream an ad-hoc query's rows go to. */
export const QUERY_RESULT = 'QUERY_RESULT';

const reservedNames = new Set([ERROR_STREAM, QUERY_RESULT]);

/** Builds the body operator that fits the SELECT's shape. */
function bodyOperator(select: Select, scope: Parameters<typeof project>[1], graceMs: number): RowOperator {
  if (select.windowedBy) return stagger(select, scope, { graceMs });
  if (select.groupBy?.length) return tumbling(select, scope, { graceMs });
  if (someNode(select.items, (n) => n.kind === 'call' && n.over !== undefined)) return sliding(select, scope);
  return project(select, scope);
}

function mappingOf(pump: CreatePump, body: RowOperator, target: InAppStream): Pump['mapping'] {
  // A bare ROWTIME item sets the output row's ROWTIME; it is not a column of the target.
  const usable = body.columns.map((name, i) => ({ name, i })).filter((c) => c.name !== 'ROWTIME');
  const targetColumns = pump.columns ?? target.columns.map((c) => c.name);
  if (pump.columns) {
    for (const name of pump.columns) {
      if (!target.columns.some((c) => c.name === name)) throw new SqlCompileError(`stream "${target.name}" has no column "${name}"`, pump.pos);
    }
  }
  if (usable.length !== targetColumns.length) {
    throw new SqlCompileError(`INSERT INTO "${target.name}" gives ${usable.length} values for ${targetColumns.length} columns`, pump.select.pos);
  }
  return target.columns.map((column) => {
    const k = targetColumns.indexOf(column.name);
    if (k === -1) return { from: -1, cast: undefined };
    const source = usable[k]!;
    const fromType = body.types[source.i] ?? 'NULL';
    const needsCast = column.sqlType !== undefined && (fromType !== column.type || column.sqlType.length !== undefined || column.sqlType.scale !== undefined);
    const cast = needsCast && column.sqlType ? castFunction(fromType, column.sqlType) : undefined;
    if (needsCast && !cast) throw new SqlCompileError(`cannot insert ${fromType} into column "${column.name}"`, pump.select.pos);
    return { from: source.i, cast };
  });
}

export class AppGraph {
  private readonly streamMap = new Map<string, InAppStream>();
  private readonly pumps: Pump[] = [];
  /** Per stream: its last ROWTIME, who listens, and the pumps reading it (with their emitters, made once). */
  private readonly flows = new Map<string, Flow>();
  private readonly tableNames = new Set<string>();

  private constructor(private readonly options: GraphOptions) {}

  /**
   * Compiles application code. Throws SqlSyntaxError or SqlCompileError (both with a line and
   * column) when the code cannot run; nothing is started.
   */
  static compile(code: string, inputs: readonly InAppStream[], tables: readonly { name: string; columns: readonly StreamColumn[] }[], options: GraphOptions): AppGraph {
    return AppGraph.fromStatements(parseSql(code), inputs, tables, options);
  }

  static fromStatements(statements: readonly Statement[], inputs: readonly InAppStream[], tables: readonly { name: string; columns: readonly StreamColumn[] }[], options: GraphOptions): AppGraph {
    const graph = new AppGraph(options);
    for (const input of inputs) graph.streamMap.set(input.name, input);
    graph.streamMap.set(ERROR_STREAM, { name: ERROR_STREAM, columns: ERROR_STREAM_COLUMNS });
    const tableMap = new Map(tables.map((t) => [t.name, t]));
    for (const t of tables) graph.tableNames.add(t.name);
    const pumps: CreatePump[] = [];
    for (const s of statements) {
      if (s.kind === 'CreateStream') graph.declareStream(s, tableMap);
      else if (s.kind === 'CreatePump') pumps.push(s);
      else throw new SqlCompileError('application code holds CREATE STREAM and CREATE PUMP statements only; run a bare SELECT as an ad-hoc query', s.pos);
    }
    const names = new Set<string>();
    const compiled = pumps.map((p) => {
      if (names.has(p.name)) throw new SqlCompileError(`pump "${p.name}" is defined twice`, p.pos);
      names.add(p.name);
      return graph.compilePump(p, tableMap);
    });
    for (const pump of orderPumps(compiled, pumps)) {
      graph.pumps.push(pump);
      for (const { stream, side } of pump.sources) graph.addReader(stream, pump, side);
    }
    return graph;
  }

  get streams(): ReadonlyMap<string, InAppStream> {
    return this.streamMap;
  }

  get pumpNames(): readonly string[] {
    return this.pumps.map((p) => p.name);
  }

  /** Calls `fn` with every row `stream` receives from now on. */
  onRow(stream: string, fn: Listener): void {
    this.flow(stream).listeners.push(fn);
  }

  /** A row enters `stream` (an input stream, or error_stream for rows that failed to decode). */
  insert(stream: string, row: Row): void {
    this.insertInto(this.flow(stream), row);
  }

  private insertInto(flow: Flow, row: Row): void {
    // ROWTIME of a stream never decreases: a row stamped earlier enters at the stream's time.
    const entered = row.rowtime < flow.last ? { rowtime: flow.last, values: row.values } : row;
    flow.last = entered.rowtime;
    for (const fn of flow.listeners) fn(entered);
    for (const r of flow.readers) r.push(entered);
  }

  private flow(stream: string): Flow {
    let f = this.flows.get(stream);
    if (!f) this.flows.set(stream, (f = { last: -Infinity, listeners: [], readers: [] }));
    return f;
  }

  private addReader(stream: string, pump: Pump, side: number): void {
    const relation = pump.relation;
    const body = pump.body;
    const out = relation ? this.relationOut(pump) : this.bodyOut(pump);
    this.flow(stream).readers.push({ push: relation ? (row) => relation.push(row, out, side) : (row) => body.push(row, out) });
  }

  /** Records a failure in error_stream on behalf of `pumpName` (the runner uses this for decoding errors). */
  error(error: SqlRuntimeError, input: Row | undefined, pumpName: string | null, rawData?: string, types?: readonly ValueType[]): void {
    this.insert(ERROR_STREAM, errorRow(this.options.now(), error, input, pumpName, rawData, types));
  }

  /** No row with ROWTIME below `watermarkMs` will enter any input any more: windows close. */
  advance(watermarkMs: number): void {
    for (const pump of this.pumps) {
      pump.relation?.advance(watermarkMs, this.relationOut(pump));
      pump.body.advance(watermarkMs, this.bodyOut(pump));
    }
  }

  /** Replaces a reference table's rows (reference data loaded or refreshed). */
  setTable(name: string, table: ReferenceTable): void {
    for (const pump of this.pumps) {
      const relation = pump.relation as (RowOperator & { setTable?: (n: string, t: ReferenceTable) => void }) | undefined;
      relation?.setTable?.(name, table);
    }
  }

  /** Every operator's state and each stream's ROWTIME, as JSON-ready data. */
  snapshot(): GraphSnapshot {
    const pumps: GraphSnapshot['pumps'] = {};
    for (const p of this.pumps) pumps[p.name] = { relation: p.relation?.snapshot() ?? null, body: p.body.snapshot() };
    const rowtimes: Record<string, number> = {};
    for (const [name, f] of this.flows) if (Number.isFinite(f.last)) rowtimes[name] = f.last;
    return { pumps, rowtimes };
  }

  restore(state: GraphSnapshot): void {
    for (const p of this.pumps) {
      const s = state.pumps[p.name];
      if (!s) continue;
      if (p.relation && s.relation !== null) p.relation.restore(s.relation);
      p.body.restore(s.body);
    }
    for (const f of this.flows.values()) f.last = -Infinity;
    for (const [k, v] of Object.entries(state.rowtimes)) this.flow(k).last = v;
  }

  private declareStream(s: CreateStream, tables: ReadonlyMap<string, unknown>): void {
    if (reservedNames.has(s.name) || tables.has(s.name)) throw new SqlCompileError(`"${s.name}" is already the name of ${tables.has(s.name) ? 'a reference table' : 'a system stream'}`, s.pos);
    const existing = this.streamMap.get(s.name);
    if (existing && !s.orReplace) throw new SqlCompileError(`stream "${s.name}" already exists`, s.pos);
    const columns = s.columns.map((c) => {
      const type = valueTypeOf(c.type);
      if (type === undefined) throw new SqlCompileError(`type ${c.type.name} is not supported`, c.pos);
      return { name: c.name, type, sqlType: c.type };
    });
    this.streamMap.set(s.name, { name: s.name, columns });
  }

  private compilePump(p: CreatePump, tables: ReadonlyMap<string, { name: string; columns: readonly StreamColumn[] }>): Pump {
    const target = this.streamMap.get(p.target);
    if (!target) throw new SqlCompileError(`INSERT INTO "${p.target}": no such stream; declare it with CREATE OR REPLACE STREAM`, p.pos);
    if (target.name === ERROR_STREAM) throw new SqlCompileError('a pump cannot insert into error_stream', p.pos);
    const { relation, body } = this.compileSelect(p.select, tables);
    return {
      name: p.name,
      target: target.name,
      sources: relation.streams.map((stream, side) => ({ stream, side })),
      relation: relation.operator,
      body,
      inputTypes: relation.scope.columns.map((c) => c.type),
      mapping: mappingOf(p, body, target),
    };
  }

  private compileSelect(select: Select, tables: ReadonlyMap<string, { name: string; columns: readonly StreamColumn[] }>) {
    const resolve = (name: string, pos: Position): RelationInput | undefined => {
      if (name === ERROR_STREAM) throw new SqlCompileError('error_stream cannot be read in SQL; add an application output named error_stream to keep its rows', pos);
      const stream = this.streamMap.get(name);
      if (stream) return { kind: 'stream', name, columns: stream.columns };
      const table = tables.get(name);
      if (table) return { kind: 'table', name, table: { columns: table.columns, rows: [] } };
      return undefined;
    };
    const relation = planRelation(select, resolve);
    return { relation, body: bodyOperator(select, relation.scope, this.options.graceMs ?? 0) };
  }

  /**
   * Compiles a bare SELECT (the ad-hoc query endpoint) as a pump into the stream QUERY_RESULT,
   * whose columns are the SELECT's, ROWTIME included when it is selected.
   */
  static forQuery(select: Select, inputs: readonly InAppStream[], tables: readonly { name: string; columns: readonly StreamColumn[] }[], options: GraphOptions): AppGraph {
    const graph = new AppGraph(options);
    for (const input of inputs) graph.streamMap.set(input.name, input);
    graph.streamMap.set(ERROR_STREAM, { name: ERROR_STREAM, columns: ERROR_STREAM_COLUMNS });
    const { relation, body } = graph.compileSelect(select, new Map(tables.map((t) => [t.name, t])));
    graph.streamMap.set(QUERY_RESULT, { name: QUERY_RESULT, columns: body.columns.map((name, i) => ({ name, type: body.types[i] ?? 'NULL' })) });
    const pump: Pump = {
      name: 'QUERY',
      target: QUERY_RESULT,
      sources: relation.streams.map((stream, side) => ({ stream, side })),
      relation: relation.operator,
      body,
      inputTypes: relation.scope.columns.map((c) => c.type),
      mapping: body.columns.map((_, i) => ({ from: i, cast: undefined })),
    };
    graph.pumps.push(pump);
    for (const { stream, side } of pump.sources) graph.addReader(stream, pump, side);
    return graph;
  }

  private readonly relationEmitters = new Map<Pump, Emitter>();
  private readonly bodyEmitters = new Map<Pump, Emitter>();

  /** The emitter a pump's join relation feeds its body through (made once: this is per row). */
  private relationOut(pump: Pump): Emitter {
    let e = this.relationEmitters.get(pump);
    if (!e) this.relationEmitters.set(pump, (e = this.makeRelationOut(pump)));
    return e;
  }

  private bodyOut(pump: Pump): Emitter {
    let e = this.bodyEmitters.get(pump);
    if (!e) this.bodyEmitters.set(pump, (e = this.makeBodyOut(pump)));
    return e;
  }

  private makeRelationOut(pump: Pump): Emitter {
    const body = this.bodyOut(pump);
    return {
      row: (r) => pump.body.push(r, body),
      error: (e, input) => this.error(e, input, pump.name, undefined, input && this.typesOfSourceRow(pump, input)),
    };
  }

  private makeBodyOut(pump: Pump): Emitter {
    const target = this.flow(pump.target);
    return {
      row: (r) => {
        const values = new Array<Value>(pump.mapping.length);
        try {
          for (let i = 0; i < values.length; i++) {
            const m = pump.mapping[i]!;
            const v = m.from === -1 ? null : (r.values[m.from] ?? null);
            values[i] = m.cast ? m.cast(v) : v;
          }
        } catch (err) {
          if (!(err instanceof SqlRuntimeError)) throw err;
          this.error(err, r, pump.name, undefined, pump.body.types);
          return;
        }
        this.insertInto(target, { rowtime: r.rowtime, values });
      },
      error: (e, input) => this.error(e, input, pump.name, undefined, pump.inputTypes),
    };
  }

  /** The column types of a row a pump's join received: the source stream whose width it has. */
  private typesOfSourceRow(pump: Pump, row: Row): readonly ValueType[] | undefined {
    for (const { stream } of pump.sources) {
      const columns = this.streamMap.get(stream)?.columns;
      if (columns?.length === row.values.length) return columns.map((c) => c.type);
    }
    return undefined;
  }
}

export interface GraphSnapshot {
  pumps: Record<string, { relation: unknown; body: unknown }>;
  rowtimes: Record<string, number>;
}

/** Orders pumps so each runs after every pump that feeds a stream it reads. */
function orderPumps(pumps: readonly Pump[], defs: readonly CreatePump[]): Pump[] {
  const ordered: Pump[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (pump: Pump, index: number): void => {
    const s = state.get(pump.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new SqlCompileError(`pumps form a cycle through stream "${pump.target}"`, defs[index]!.pos);
    state.set(pump.name, 'visiting');
    pumps.forEach((other, j) => {
      if (pump.sources.some((src) => src.stream === other.target)) visit(other, j);
    });
    state.set(pump.name, 'done');
    ordered.push(pump);
  };
  pumps.forEach(visit);
  return ordered;
}
