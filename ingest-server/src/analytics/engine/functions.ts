/**
 * Scalar functions of the KDA dialect, compiled to closures.
 *
 * Owns: the ordinary calls (UPPER, LOWER, CHAR_LENGTH, ABS, MOD, numeric FLOOR/CEIL) and the
 * special forms the parser gives their own nodes: FLOOR/CEIL(ts TO unit), STEP(x BY n),
 * SUBSTRING, TRIM, POSITION. Every function returns NULL when an argument is NULL. Time units
 * are UTC.
 * Does not own: operators and name resolution (expr.ts), aggregates (the window operators).
 */
import type { Expr, FloorUnit, Position } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import type { Compiled } from './expr.js';
import type { Row, Value, ValueType } from './values.js';

const MS_PER_UNIT: Readonly<Partial<Record<FloorUnit, number>>> = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

/** Start (UTC) of the `unit` containing `ms`. */
export function floorTimestamp(ms: number, unit: FloorUnit): number {
  const fixed = MS_PER_UNIT[unit];
  if (fixed !== undefined) return Math.floor(ms / fixed) * fixed;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), unit === 'YEAR' ? 0 : d.getUTCMonth(), 1);
}

/** Smallest `unit` boundary (UTC) at or after `ms`. */
export function ceilTimestamp(ms: number, unit: FloorUnit): number {
  const floor = floorTimestamp(ms, unit);
  if (floor === ms) return ms;
  const fixed = MS_PER_UNIT[unit];
  if (fixed !== undefined) return floor + fixed;
  const d = new Date(floor);
  return unit === 'YEAR' ? Date.UTC(d.getUTCFullYear() + 1, 0, 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Largest multiple of `step` at or below `x` (epoch-aligned when `x` is a timestamp). */
export function stepFloor(x: number, step: number): number {
  return Math.floor(x / step) * step;
}

type Fn1 = (a: Value) => Value;

function unary(arg: Compiled, type: ValueType, f: (v: never) => Value): Compiled {
  const a = arg.fn;
  const g = f as Fn1;
  return { type, fn: (row) => { const v = a(row); return v === null ? null : g(v); } };
}

function expectType(arg: Compiled | undefined, allowed: readonly ValueType[], what: string, pos: Position): Compiled {
  if (!arg) throw new SqlCompileError(`${what}: missing argument`, pos);
  if (arg.type !== 'NULL' && !allowed.includes(arg.type)) throw new SqlCompileError(`${what} does not take ${arg.type}`, pos);
  return arg;
}

function arity(name: string, args: readonly Compiled[], n: number, pos: Position): void {
  if (args.length !== n) throw new SqlCompileError(`${name} takes ${n} argument${n === 1 ? '' : 's'}, found ${args.length}`, pos);
}

const NUMBERS: readonly ValueType[] = ['INTEGER', 'DOUBLE'];

/** Compiles an ordinary call `NAME(args)`; an unknown name is a compile error at `pos`. */
export function compileCall(name: string, args: readonly Compiled[], pos: Position): Compiled {
  switch (name) {
    case 'UPPER':
    case 'LOWER': {
      arity(name, args, 1, pos);
      const arg = expectType(args[0], ['VARCHAR'], name, pos);
      return unary(arg, 'VARCHAR', name === 'UPPER' ? (s: string) => s.toUpperCase() : (s: string) => s.toLowerCase());
    }
    case 'CHAR_LENGTH':
    case 'CHARACTER_LENGTH':
      arity(name, args, 1, pos);
      return unary(expectType(args[0], ['VARCHAR'], name, pos), 'INTEGER', (s: string) => s.length);
    case 'ABS': {
      arity(name, args, 1, pos);
      const arg = expectType(args[0], [...NUMBERS, 'INTERVAL'], name, pos);
      return unary(arg, arg.type, (n: number) => Math.abs(n));
    }
    case 'FLOOR':
    case 'CEIL':
    case 'CEILING': {
      arity(name, args, 1, pos);
      const arg = expectType(args[0], NUMBERS, name, pos);
      return unary(arg, arg.type, name === 'FLOOR' ? (n: number) => Math.floor(n) : (n: number) => Math.ceil(n));
    }
    case 'MOD': {
      arity(name, args, 2, pos);
      const a = expectType(args[0], ['INTEGER'], name, pos).fn;
      const b = expectType(args[1], ['INTEGER'], name, pos).fn;
      return {
        type: 'INTEGER',
        fn: (row) => {
          const x = a(row);
          const y = b(row);
          if (x === null || y === null) return null;
          if (y === 0) throw new SqlRuntimeError('DivisionByZero', 'division by zero in MOD');
          return (x as number) % (y as number);
        },
      };
    }
    default:
      throw new SqlCompileError(`unknown function ${name}`, pos);
  }
}

type Special = Extract<Expr, { kind: 'timeFloor' | 'step' | 'substring' | 'trim' | 'position' }>;

/** Compiles the call forms with their own syntax. */
export function compileSpecial(e: Special, compile: (e: Expr) => Compiled): Compiled {
  switch (e.kind) {
    case 'timeFloor': {
      const arg = expectType(compile(e.operand), ['TIMESTAMP'], `${e.fn}(... TO ${e.unit})`, e.pos);
      const unit = e.unit;
      return unary(arg, 'TIMESTAMP', e.fn === 'FLOOR' ? (ms: number) => floorTimestamp(ms, unit) : (ms: number) => ceilTimestamp(ms, unit));
    }
    case 'step': {
      const arg = expectType(compile(e.operand), ['TIMESTAMP', 'INTEGER'], 'STEP', e.pos);
      const by = compile(e.by);
      const wanted = arg.type === 'INTEGER' ? 'INTEGER' : 'INTERVAL';
      if (by.type !== wanted) throw new SqlCompileError(`STEP over ${arg.type} needs a${wanted === 'INTEGER' ? 'n INTEGER' : 'n INTERVAL'} step, found ${by.type}`, e.by.pos);
      const size = by.fn({ rowtime: 0, values: [] });
      // KDA: the step is a literal (`STEP(x BY INTERVAL '60' SECOND)`, `STEP(23 BY 5)`).
      if (typeof size !== 'number' || size <= 0) throw new SqlCompileError('STEP needs a positive literal step', e.by.pos);
      return unary(arg, arg.type, (x: number) => stepFloor(x, size));
    }
    case 'substring': {
      const s = expectType(compile(e.operand), ['VARCHAR'], 'SUBSTRING', e.pos).fn;
      const start = expectType(compile(e.start), ['INTEGER'], 'SUBSTRING start', e.pos).fn;
      const length = e.length && expectType(compile(e.length), ['INTEGER'], 'SUBSTRING length', e.pos).fn;
      return { type: 'VARCHAR', fn: (row) => substring(s(row), start(row), length ? length(row) : undefined) };
    }
    case 'trim': {
      const s = expectType(compile(e.operand), ['VARCHAR'], 'TRIM', e.pos).fn;
      const chars = e.chars && expectType(compile(e.chars), ['VARCHAR'], 'TRIM characters', e.pos).fn;
      const mode = e.mode;
      return {
        type: 'VARCHAR',
        fn: (row) => {
          const v = s(row);
          const c = chars ? chars(row) : ' ';
          return v === null || c === null ? null : trim(v as string, c as string, mode);
        },
      };
    }
    case 'position': {
      const needle = expectType(compile(e.needle), ['VARCHAR'], 'POSITION', e.pos).fn;
      const haystack = expectType(compile(e.haystack), ['VARCHAR'], 'POSITION', e.pos).fn;
      return {
        type: 'INTEGER',
        fn: (row: Row) => {
          const n = needle(row);
          const h = haystack(row);
          return n === null || h === null ? null : (h as string).indexOf(n as string) + 1;
        },
      };
    }
  }
}

/** SQL SUBSTRING: 1-based; characters at positions [start, start + length) that exist. */
function substring(s: Value, start: Value, length: Value | undefined): Value {
  if (s === null || start === null || length === null) return null;
  const from = start as number;
  if (length !== undefined && (length as number) < 0) throw new SqlRuntimeError('InvalidArgument', `SUBSTRING length ${String(length)} is negative`);
  const end = length === undefined ? Infinity : from + (length as number);
  const str = s as string;
  return str.slice(Math.max(from, 1) - 1, Math.max(Math.min(end, str.length + 1), 1) - 1);
}

/** SQL TRIM; the standard wants exactly one trim character. */
function trim(s: string, ch: string, mode: 'BOTH' | 'LEADING' | 'TRAILING'): string {
  if (ch.length !== 1) throw new SqlRuntimeError('InvalidArgument', `TRIM character must be one character, found '${ch}'`);
  let a = 0;
  let b = s.length;
  if (mode !== 'TRAILING') while (a < b && s.charAt(a) === ch) a++;
  if (mode !== 'LEADING') while (b > a && s.charAt(b - 1) === ch) b--;
  return s.slice(a, b);
}
