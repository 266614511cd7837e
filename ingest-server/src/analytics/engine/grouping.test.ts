import { describe, expect, it } from 'vitest';
import { streamScope } from './expr.js';
import { compileGrouping } from './grouping.js';
import { collectingEmitter } from './operator.js';
import { selectOf } from './operator-test.fixture.js';
import type { Row } from './values.js';

const scope = streamScope('S', [{ name: 'K', type: 'VARCHAR' }, { name: 'V', type: 'INTEGER' }]);
const SQL = `SELECT STREAM k, 12 / SUM(v) AS q FROM S WHERE v <> 0 AND 1 / (v + 1) >= 0
  WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '1' SECOND) HAVING COUNT(*) > 1`;

function grouping() {
  const select = selectOf(SQL);
  return compileGrouping(select, scope, select.windowedBy!.stagger!.partitionBy, [], 'must appear in PARTITION BY or inside an aggregate');
}

describe('compileGrouping', () => {
  it('accepts a row that passes WHERE and admit, leaving its keys in keyValues; a failing row goes to out.error with the row', () => {
    const g = grouping();
    const out = collectingEmitter();
    expect(g.accept({ rowtime: 0, values: ['a', 0] }, out)).toBe(false);
    const failing: Row = { rowtime: 0, values: ['a', -1] };
    expect(g.accept(failing, out)).toBe(false);
    expect(out.errors.map((e) => [e.error.name, e.input])).toEqual([['DivisionByZero', failing]]);
    expect(g.accept({ rowtime: 0, values: ['b', 3] }, out, () => false)).toBe(false);
    expect(g.accept({ rowtime: 0, values: ['c', 3] }, out)).toBe(true);
    expect(g.keyValues).toEqual(['c']);
    expect(g.keyCount).toBe(1);
    expect(g.columns).toEqual(['K', 'Q']);
  });

  it('folds the accepted rows\' arguments, and restores accumulators from their snapshots', () => {
    const g = grouping();
    const out = collectingEmitter();
    const accumulators = g.accumulators();
    for (const v of [2, 4]) {
      g.accept({ rowtime: 0, values: ['a', v] }, out);
      g.fold(accumulators);
    }
    const restored = g.accumulators(accumulators.map((a) => a.snapshot()));
    expect(restored.map((a) => a.result())).toEqual(accumulators.map((a) => a.result()));
    expect(accumulators.map((a) => a.result())).toEqual([6, 2]);
  });

  it('emits a group row through HAVING and the SELECT items at its ROWTIME; a failing item goes to out.error with no input', () => {
    const g = grouping();
    const out = collectingEmitter();
    g.emit({ rowtime: 5, values: ['a', 6, 2] }, out);
    g.emit({ rowtime: 6, values: ['b', 6, 1] }, out);
    g.emit({ rowtime: 7, values: ['c', 0, 2] }, out);
    expect(out.rows).toEqual([{ rowtime: 5, values: ['a', 2] }]);
    expect(out.errors.map((e) => [e.error.name, e.input])).toEqual([['DivisionByZero', undefined]]);
  });
});
