/**
 * The stateless operator: `SELECT STREAM a, b + 1 AS c FROM s WHERE ...` with no GROUP BY,
 * no OVER and no STAGGER. Each input row that passes WHERE becomes one output row right away,
 * with the input's ROWTIME.
 *
 * Owns: WHERE, the projection, `*` and `s.*` expansion, and output column naming (shared with
 * the window operators through `outputName`).
 * Does not own: joins (the relation in front of it), windows, or where the rows go.
 */
import type { Select } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Compiled, Scope } from './expr.js';
import { AGGREGATE_NAMES, compileExpr } from './expr.js';
import type { Emitter, RowOperator } from './operator.js';
import type { Row, Value } from './values.js';

type ExprItem = Extract<Select['items'][number], { kind: 'expr' }>;

/** The name of an output column: its alias, a bare column's name, ROWTIME, else `EXPR$i` (Calcite). */
export function outputName(item: ExprItem, index: number): string {
  if (item.alias !== undefined) return item.alias;
  if (item.expr.kind === 'column') return item.expr.name;
  if (item.expr.kind === 'rowtime') return 'ROWTIME';
  return `EXPR$${index}`;
}

/** True when some AST node under `value` (an Expr, a list, an item) satisfies `test`. */
export function someNode(value: unknown, test: (node: { kind: string } & Record<string, unknown>) => boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => someNode(v, test));
  if (value === null || typeof value !== 'object') return false;
  const node = value as { kind?: unknown } & Record<string, unknown>;
  if (typeof node.kind === 'string' && test(node as { kind: string } & Record<string, unknown>)) return true;
  return Object.entries(node).some(([key, v]) => key !== 'pos' && someNode(v, test));
}

const isAggregateCall = (n: { kind: string } & Record<string, unknown>) => n.kind === 'call' && AGGREGATE_NAMES.has(n.name as string);

/** True when the SELECT needs no state: no aggregate anywhere in its items, no window, no GROUP BY. */
export function isStateless(select: Select): boolean {
  if (select.groupBy?.length || select.windowedBy || select.having) return false;
  return !someNode(select.items, isAggregateCall);
}

/** Builds the filter-and-project operator over rows of `scope`. */
export function project(select: Select, scope: Scope): RowOperator {
  if (!isStateless(select)) throw new SqlCompileError('this SELECT aggregates: it needs GROUP BY with a window, OVER, or WINDOWED BY STAGGER', select.pos);
  const where = select.where && compileExpr(select.where, scope).fn;
  const columns: string[] = [];
  const outputs: Compiled[] = [];
  select.items.forEach((item, i) => {
    if (item.kind === 'star') {
      let any = false;
      scope.columns.forEach((c, slot) => {
        if (item.table !== undefined && !c.tables.includes(item.table)) return;
        any = true;
        columns.push(c.name);
        outputs.push({ type: c.type, fn: (row) => row.values[slot] ?? null });
      });
      if (!any) throw new SqlCompileError(`no columns match ${item.table ?? ''}.*`, item.pos);
      return;
    }
    columns.push(outputName(item, i));
    outputs.push(compileExpr(item.expr, scope));
  });
  const fns = outputs.map((o) => o.fn);
  const width = fns.length;

  return {
    columns,
    types: outputs.map((o) => o.type),
    push(row: Row, out: Emitter): void {
      let values: Value[];
      try {
        if (where && where(row) !== true) return;
        values = new Array<Value>(width);
        for (let i = 0; i < width; i++) values[i] = fns[i]!(row);
      } catch (err) {
        if (!(err instanceof SqlRuntimeError)) throw err;
        out.error(err, row);
        return;
      }
      out.row({ rowtime: row.rowtime, values });
    },
    advance(): void {},
    snapshot: () => null,
    restore(): void {},
  };
}
