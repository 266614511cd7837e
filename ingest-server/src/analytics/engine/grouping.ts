/**
 * The grouping the aggregating window operators (tumbling, stagger) share: WHERE, the key and
 * aggregate-argument expressions evaluated into reusable buffers, the groups' accumulators, and
 * one group's output through HAVING and the SELECT items.
 *
 * Owns: evaluating a row before it touches any state, and emitting one group row.
 * Does not own: which window or group a row goes to, when windows close, or the operators' state
 * and snapshots.
 */
import type { Expr, Select } from '../sql/index.js';
import type { CheckpointAccumulator, GroupOutputs } from './aggregates.js';
import { compileGroupOutputs } from './aggregates.js';
import { SqlRuntimeError } from './errors.js';
import type { Scope } from './expr.js';
import { compileExpr } from './expr.js';
import type { Emitter } from './operator.js';
import type { Row, Value, ValueType } from './values.js';

export interface Grouping extends GroupOutputs {
  readonly keyCount: number;
  /** The keys of the row `accept` took last; reused, so copy it before keeping it. */
  readonly keyValues: Value[];
  /**
   * Takes `row` if it passes WHERE and `admit` (the operator's window and late-row checks), and
   * evaluates its keys and aggregate arguments. A SqlRuntimeError on the way goes to `out.error`
   * with the row. When this returns false the row has left no trace.
   */
  accept(row: Row, out: Emitter, admit?: (row: Row, out: Emitter) => boolean): boolean;
  /** New accumulators for a group, loaded from `states` (their snapshots) when given. */
  accumulators(states?: readonly unknown[]): CheckpointAccumulator[];
  /** Folds the arguments of the row `accept` took last into a group's accumulators. */
  fold(accumulators: readonly CheckpointAccumulator[]): void;
  /**
   * Emits the output row of one group row (`[leading..., keys..., aggregates...]`) at its
   * ROWTIME, unless HAVING drops it; a failure goes to `out.error` with no input row.
   */
  emit(groupRow: Row, out: Emitter): void;
}

/**
 * Compiles the grouping of `select` by `keyExprs`. The group rows start with `leading` slots (the
 * tumbling window's start) before the keys; `unresolvedReason` says why a bare column is refused.
 */
export function compileGrouping(
  select: Select,
  scope: Scope,
  keyExprs: readonly Expr[],
  leading: readonly { readonly expr: Expr; readonly type: ValueType }[],
  unresolvedReason: string,
): Grouping {
  const where = select.where && compileExpr(select.where, scope).fn;
  const keys = keyExprs.map((e) => compileExpr(e, scope));
  const keyFns = keys.map((k) => k.fn);
  const group = compileGroupOutputs(select, scope, [...leading, ...keyExprs.map((expr, i) => ({ expr, type: keys[i]?.type ?? ('NULL' as ValueType) }))], unresolvedReason);
  const { aggregates, outputs, having } = group;
  const argFns = aggregates.map((a) => a.arg?.fn);
  const keyCount = keyFns.length;
  const argCount = argFns.length;
  const args: Value[] = new Array<Value>(argCount).fill(null);
  const keyValues: Value[] = new Array<Value>(keyCount).fill(null);

  return {
    ...group,
    keyCount,
    keyValues,
    accept(row, out, admit) {
      try {
        if (where && where(row) !== true) return false;
        if (admit && !admit(row, out)) return false;
        // Evaluate everything before touching state, so a failing row leaves no trace.
        for (let i = 0; i < keyCount; i++) keyValues[i] = keyFns[i]!(row);
        for (let i = 0; i < argCount; i++) args[i] = argFns[i]?.(row) ?? null;
        return true;
      } catch (err) {
        if (!(err instanceof SqlRuntimeError)) throw err;
        out.error(err, row);
        return false;
      }
    },
    accumulators(states) {
      const accumulators = aggregates.map((a) => a.create());
      if (states) accumulators.forEach((acc, i) => acc.restore(states[i]));
      return accumulators;
    },
    fold(accumulators) {
      for (let i = 0; i < argCount; i++) accumulators[i]!.add(args[i] ?? null);
    },
    emit(groupRow, out) {
      let values: Value[];
      try {
        if (having && having(groupRow) !== true) return;
        values = outputs.map((f) => f(groupRow));
      } catch (err) {
        if (!(err instanceof SqlRuntimeError)) throw err;
        out.error(err, undefined);
        return;
      }
      out.row({ rowtime: groupRow.rowtime, values });
    },
  };
}
