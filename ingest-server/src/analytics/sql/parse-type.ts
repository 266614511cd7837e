/**
 * Parsers for the two typed literals that stand apart from expressions: data types
 * (`VARCHAR(4)`, `DECIMAL(8,2)`, `DOUBLE PRECISION`) and INTERVAL literals with their units.
 *
 * Owns: the list of known type names and which of them take a length; interval qualifiers
 * (`MINUTE TO SECOND`, field precision), and turning a bad INTERVAL into a positioned error.
 * Does not own: the arithmetic of interval values (interval.ts) nor expressions.
 */
import type { IntervalLiteral, IntervalUnit, SqlType } from './ast.js';
import { INTERVAL_UNITS, intervalValue } from './interval.js';
import type { TokenCursor } from './token-cursor.js';

const LENGTH_TYPES: ReadonlySet<string> = new Set(['CHAR', 'CHARACTER', 'VARCHAR', 'CHARACTER VARYING', 'BINARY', 'VARBINARY']);
/** Kinesis Data Analytics SQL Reference, "Data Types". */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'BIGINT', 'BINARY', 'BOOLEAN', 'CHAR', 'CHARACTER', 'CHARACTER VARYING', 'DATE', 'DECIMAL', 'DEC',
  'DOUBLE', 'DOUBLE PRECISION', 'FLOAT', 'INT', 'INTEGER', 'NUMERIC', 'REAL', 'SMALLINT', 'TIME',
  'TIMESTAMP', 'TINYINT', 'VARBINARY', 'VARCHAR',
]);

/** A time unit word: SECOND, MINUTE, HOUR, DAY, MONTH or YEAR. */
export function parseUnit(c: TokenCursor): IntervalUnit {
  const unit = INTERVAL_UNITS.find((u) => c.isWord(u));
  if (unit === undefined) return c.fail(`a time unit (${INTERVAL_UNITS.join(', ')})`);
  c.next();
  return unit;
}

/** INTERVAL [-] 'text' unit [(precision)] [TO unit [(precision)]] */
export function parseInterval(c: TokenCursor): IntervalLiteral {
  const pos = c.pos(c.expectWord('INTERVAL'));
  const negative = c.acceptOp('-');
  if (!negative) c.acceptOp('+');
  const literal = c.peek();
  if (literal.kind !== 'string') c.fail("a quoted interval value such as '1'");
  c.next();
  const from = parseUnit(c);
  skipPrecision(c);
  const to = acceptTrailingUnit(c, from);
  if (to !== undefined) skipPrecision(c);
  const text = negative ? `-${literal.value}` : literal.value;
  const value = intervalValue(text, from, to);
  if ('error' in value) return c.failAt(literal, value.error);
  return { kind: 'interval', text: literal.value, from, ...(to && { to }), ...value, pos };
}

/**
 * `TO unit` after an interval's leading unit, taken only when the unit is finer than the leading
 * one: in `FLOOR(ts - INTERVAL '1' MINUTE TO HOUR)` the `TO HOUR` belongs to FLOOR.
 */
function acceptTrailingUnit(c: TokenCursor, from: IntervalUnit): IntervalUnit | undefined {
  if (!c.isWord('TO')) return undefined;
  const to = INTERVAL_UNITS.find((u) => c.isWord(u, 1));
  if (to === undefined || INTERVAL_UNITS.indexOf(to) <= INTERVAL_UNITS.indexOf(from)) return undefined;
  c.next();
  c.next();
  return to;
}

/** Interval field precision, e.g. `DAY(3)`: accepted and not needed, since values are exact. */
function skipPrecision(c: TokenCursor): void {
  if (!c.acceptOp('(')) return;
  if (c.peek().kind !== 'number') c.fail('a precision');
  c.next();
  c.expectOp(')');
}

/** A data type: `VARCHAR(4)`, `DECIMAL(8,2)`, `DOUBLE PRECISION`, `TIMESTAMP`. */
export function parseType(c: TokenCursor): SqlType {
  const t = c.peek();
  if (t.kind !== 'ident') return c.fail('a data type');
  c.next();
  let name = t.value;
  if (name === 'DOUBLE' && c.acceptWord('PRECISION')) name = 'DOUBLE PRECISION';
  if (name === 'CHARACTER' && c.acceptWord('VARYING')) name = 'CHARACTER VARYING';
  if (!KNOWN_TYPES.has(name)) c.failAt(t, `unknown data type "${t.text}"`);
  if (!c.acceptOp('(')) return { name };
  const first = expectInteger(c);
  const second = c.acceptOp(',') ? expectInteger(c) : undefined;
  c.expectOp(')');
  if (LENGTH_TYPES.has(name)) return { name, length: first };
  return second === undefined ? { name, precision: first } : { name, precision: first, scale: second };
}

export function expectInteger(c: TokenCursor): number {
  const t = c.peek();
  if (t.kind !== 'number' || !/^\d+$/.test(t.value)) return c.fail('an integer');
  c.next();
  return Number(t.value);
}

