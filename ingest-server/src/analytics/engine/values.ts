/**
 * Runtime value model of the analytics engine, and CAST.
 *
 * Owns: how SQL values live in JS. Every value is a `Value`: VARCHAR/CHAR are strings; all
 * integer types, DOUBLE/REAL/DECIMAL, TIMESTAMP (epoch ms, UTC) and day-time INTERVAL (ms)
 * are numbers; BOOLEAN is a boolean; SQL NULL is `null`. Because a number does not say
 * whether it is an INTEGER or a TIMESTAMP, the engine tracks a static `ValueType` per
 * expression, and CAST is compiled from a (source type, target type) pair.
 * Does not own: expressions (expr.ts) or how rows arrive (the pump).
 */
import type { SqlType } from '../sql/index.js';
import { SqlRuntimeError } from './errors.js';

export type Value = string | number | boolean | null;

/** Static type of an expression. `NULL` is the type of the bare NULL literal: it fits anywhere. */
export type ValueType = 'VARCHAR' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'INTERVAL' | 'NULL';

/** A row of a stream: ROWTIME plus one value per column, in the stream's column order. */
export interface Row {
  readonly rowtime: number;
  readonly values: readonly Value[];
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32_768, 32_767],
  INTEGER: [-2_147_483_648, 2_147_483_647],
  INT: [-2_147_483_648, 2_147_483_647],
  // BIGINT is held in a JS number, so only the safe-integer range is exact.
  BIGINT: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const STRING_TYPES = new Set(['VARCHAR', 'CHAR', 'CHARACTER', 'CHARACTER VARYING', 'CHAR VARYING']);
const DOUBLE_TYPES = new Set(['DOUBLE', 'DOUBLE PRECISION', 'REAL', 'FLOAT', 'DECIMAL', 'DEC', 'NUMERIC']);
const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'DATE']);

/** The runtime type of a declared SQL type, or undefined when the engine does not support it. */
export function valueTypeOf(type: SqlType): ValueType | undefined {
  if (STRING_TYPES.has(type.name)) return 'VARCHAR';
  if (type.name in INTEGER_RANGES) return 'INTEGER';
  if (DOUBLE_TYPES.has(type.name)) return 'DOUBLE';
  if (type.name === 'BOOLEAN') return 'BOOLEAN';
  if (TIMESTAMP_TYPES.has(type.name)) return 'TIMESTAMP';
  return undefined;
}

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?$/;

/** `'2018-08-01 20:17:20.5'` (UTC) → epoch ms; undefined when the text is not a timestamp. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), frac ? Math.round(Number(frac) * 1000) : 0);
  const check = new Date(ms);
  // Date.UTC rolls 2018-02-30 over to March; SQL rejects it.
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  return ms;
}

/** Epoch ms → `'2018-08-01 20:17:20.000'` (UTC), the form KDA writes to CSV and JSON outputs. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function coercionError(value: Value, target: SqlType): SqlRuntimeError {
  return new SqlRuntimeError('TypeCoercion', `cannot cast ${JSON.stringify(value)} to ${typeText(target)}`);
}

function typeText(t: SqlType): string {
  if (t.length !== undefined) return `${t.name}(${t.length})`;
  if (t.precision !== undefined) return `${t.name}(${t.precision}${t.scale !== undefined ? `,${t.scale}` : ''})`;
  return t.name;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Formats a value of a known type as SQL text: what CAST(x AS VARCHAR) yields. */
export function valueToText(value: number | string | boolean, from: ValueType): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (from === 'TIMESTAMP') return formatTimestamp(value);
  return String(value);
}

/**
 * Compiles CAST from `from` to `target` into a function. NULL casts to NULL. A value that does
 * not fit throws a `SqlRuntimeError` named 'TypeCoercion'. Returns undefined when the target
 * type is not supported at all (the caller reports that at compile time).
 */
export function castFunction(from: ValueType, target: SqlType): ((v: Value) => Value) | undefined {
  const to = valueTypeOf(target);
  if (to === undefined) return undefined;
  switch (to) {
    case 'VARCHAR': {
      const length = target.length;
      const pad = target.name === 'CHAR' || target.name === 'CHARACTER';
      return (v) => {
        if (v === null) return null;
        let s = valueToText(v, from);
        if (length !== undefined) s = pad ? s.padEnd(length).slice(0, length) : s.slice(0, length);
        return s;
      };
    }
    case 'INTEGER': {
      const [min, max] = INTEGER_RANGES[target.name] ?? [-Infinity, Infinity];
      return (v) => {
        if (v === null) return null;
        let n: number;
        if (typeof v === 'number' && (from === 'INTEGER' || from === 'DOUBLE')) n = Math.trunc(v);
        else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) n = Number(v.trim());
        else if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) n = Math.trunc(Number(v.trim()));
        else throw coercionError(v, target);
        if (n < min || n > max) throw coercionError(v, target);
        return n;
      };
    }
    case 'DOUBLE': {
      const { precision, scale } = target;
      return (v) => {
        if (v === null) return null;
        let n: number;
        if (typeof v === 'number' && (from === 'INTEGER' || from === 'DOUBLE')) n = v;
        else if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) n = Number(v.trim());
        else throw coercionError(v, target);
        if (scale !== undefined) n = Math.round(n * 10 ** scale) / 10 ** scale;
        if (precision !== undefined && Math.abs(n) >= 10 ** (precision - (scale ?? 0))) throw coercionError(v, target);
        return n;
      };
    }
    case 'BOOLEAN':
      return (v) => {
        if (v === null || typeof v === 'boolean') return v;
        if (typeof v === 'string') {
          const word = v.trim().toUpperCase();
          if (word === 'TRUE') return true;
          if (word === 'FALSE') return false;
          if (word === 'UNKNOWN') return null;
        }
        throw coercionError(v, target);
      };
    case 'TIMESTAMP': {
      const dateOnly = target.name === 'DATE';
      return (v) => {
        if (v === null) return null;
        let ms: number | undefined;
        if (typeof v === 'number' && from === 'TIMESTAMP') ms = v;
        else if (typeof v === 'string') ms = parseTimestamp(v);
        if (ms === undefined) throw coercionError(v, target);
        return dateOnly ? Math.floor(ms / 86_400_000) * 86_400_000 : ms;
      };
    }
    default:
      return undefined;
  }
}

/**
 * SQL ordering of two non-null values of the same type: negative, zero or positive.
 * Strings compare by UTF-16 code units (binary collation), as KDA's default collation does.
 */
export function compareValues(a: string | number | boolean, b: string | number | boolean): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
