/**
 * Compiles an AST `Expr` into a closure `(row) => Value`, once per query.
 *
 * Owns: name resolution against a `Scope` (unquoted names arrive upper-cased from the parser,
 * quoted ones exact, so resolution is plain string equality), static typing, and the SQL
 * semantics of operators: NULL propagation, three-valued AND/OR/NOT, comparisons, BETWEEN, IN,
 * LIKE / SIMILAR TO, CASE, CAST, `||`, and timestamp ± interval arithmetic.
 * Does not own: scalar functions and the special call forms (functions.ts), aggregates (the
 * window operators swap them in through `CompileOptions.substitute`), nor rows' origin.
 *
 * Errors: what is wrong with the query is a `SqlCompileError` at the node's position, thrown
 * here; what is wrong with one row is a `SqlRuntimeError`, thrown by the closure.
 */
import type { Expr, Position } from '../sql/index.js';
import { SqlCompileError, SqlRuntimeError } from './errors.js';
import { compileCall, compileSpecial } from './functions.js';
import type { Row, Value, ValueType } from './values.js';
import { castFunction, compareValues, parseTimestamp, valueToText, valueTypeOf } from './values.js';

/** A compiled expression: its static type and the closure that evaluates it. */
export interface Compiled {
  readonly type: ValueType;
  readonly fn: (row: Row) => Value;
}

export interface ScopeColumn {
  readonly name: string;
  readonly type: ValueType;
  /** Names that may qualify this column: the stream's name and its alias. */
  readonly tables: readonly string[];
}

/** What names mean: `row.values[i]` is the value of `columns[i]`. */
export interface Scope {
  readonly columns: readonly ScopeColumn[];
  /** Names that may qualify ROWTIME. */
  readonly tables: readonly string[];
  /** Why a column reference cannot resolve here, e.g. "must appear in GROUP BY". */
  readonly unresolvedReason?: string;
}

export interface CompileOptions {
  /** Consulted at every node before compiling it; a result replaces the node (aggregates, GROUP BY keys). */
  readonly substitute?: (expr: Expr) => Compiled | undefined;
}

/** Aggregate function names: these only compile where an operator substitutes them. */
export const AGGREGATE_NAMES: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** A scope over one stream: `columns` in row order, qualified by the stream name and alias. */
export function streamScope(stream: string, columns: readonly { name: string; type: ValueType }[], alias?: string): Scope {
  const tables = alias === undefined ? [stream] : [stream, alias];
  return { columns: columns.map((c) => ({ ...c, tables })), tables };
}

/** Index of the column `table.name` in the scope; throws at `pos` when absent or ambiguous. */
export function resolveColumn(scope: Scope, table: string | undefined, name: string, pos: Position): number {
  let found = -1;
  for (const [i, c] of scope.columns.entries()) {
    if (c.name !== name || (table !== undefined && !c.tables.includes(table))) continue;
    if (found !== -1) throw new SqlCompileError(`column "${name}" is ambiguous`, pos);
    found = i;
  }
  if (found === -1) {
    const shown = table === undefined ? `"${name}"` : `"${table}"."${name}"`;
    throw new SqlCompileError(`column ${shown} ${scope.unresolvedReason ?? 'not found'}`, pos);
  }
  return found;
}

const isNumeric = (t: ValueType) => t === 'INTEGER' || t === 'DOUBLE' || t === 'NULL';

/** Compiles `expr` against `scope`. */
export function compileExpr(expr: Expr, scope: Scope, options: CompileOptions = {}): Compiled {
  const compile = (e: Expr): Compiled => options.substitute?.(e) ?? compileNode(e);

  function compileNode(e: Expr): Compiled {
    switch (e.kind) {
      case 'number':
        return constant(/[.eE]/.test(e.text) ? 'DOUBLE' : 'INTEGER', e.value);
      case 'string':
        return constant('VARCHAR', e.value);
      case 'boolean':
        return constant('BOOLEAN', e.value);
      case 'null':
        return constant('NULL', null);
      case 'datetime': {
        const ms = e.type === 'TIME' ? undefined : parseTimestamp(e.text);
        if (ms === undefined) throw new SqlCompileError(`unsupported or invalid ${e.type} literal '${e.text}'`, e.pos);
        return constant('TIMESTAMP', e.type === 'DATE' ? Math.floor(ms / 86_400_000) * 86_400_000 : ms);
      }
      case 'interval':
        if (e.ms === undefined) throw new SqlCompileError('year-month INTERVALs are not supported', e.pos);
        return constant('INTERVAL', e.ms);
      case 'column': {
        const i = resolveColumn(scope, e.table, e.name, e.pos);
        const type = scope.columns[i]?.type ?? 'NULL';
        return { type, fn: (row) => row.values[i] ?? null };
      }
      case 'rowtime':
        if (e.table !== undefined && !scope.tables.includes(e.table)) throw new SqlCompileError(`unknown stream "${e.table}"`, e.pos);
        return { type: 'TIMESTAMP', fn: (row) => row.rowtime };
      case 'unary':
        return compileUnary(e.op, compile(e.operand), e.pos);
      case 'binary':
        return compileBinary(e.op, compile(e.left), compile(e.right), e.pos);
      case 'isNull': {
        const { fn } = compile(e.operand);
        return { type: 'BOOLEAN', fn: e.negated ? (row) => fn(row) !== null : (row) => fn(row) === null };
      }
      case 'between': {
        const x = compile(e.operand);
        const ge = compileBinary('>=', x, compile(e.low), e.pos);
        const le = compileBinary('<=', x, compile(e.high), e.pos);
        return not(compileBinary('AND', ge, le, e.pos), e.negated);
      }
      case 'in': {
        const x = compile(e.operand);
        const tests = e.list.map((item) => compileBinary('=', x, compile(item), item.pos).fn);
        const fn = (row: Row): Value => {
          let sawNull = false;
          for (const test of tests) {
            const r = test(row);
            if (r === true) return true;
            if (r === null) sawNull = true;
          }
          return sawNull ? null : false;
        };
        return not({ type: 'BOOLEAN', fn }, e.negated);
      }
      case 'like':
      case 'similarTo':
        return not(compileMatch(e.kind, compile(e.operand), compile(e.pattern), e.escape && compile(e.escape), e.pos), e.negated);
      case 'case':
        return compileCase(e, compile);
      case 'cast': {
        const from = compile(e.operand);
        const cast = castFunction(from.type, e.type);
        const type = valueTypeOf(e.type);
        if (!cast || !type) throw new SqlCompileError(`CAST to ${e.type.name} is not supported`, e.pos);
        return { type, fn: (row) => cast(from.fn(row)) };
      }
      case 'call':
        if (e.over) throw new SqlCompileError(`${e.name} OVER a window is only allowed in a sliding-window SELECT`, e.pos);
        if (AGGREGATE_NAMES.has(e.name)) throw new SqlCompileError(`aggregate ${e.name} is not allowed here`, e.pos);
        return compileCall(e.name, e.args.map(compile), e.pos);
      case 'timeFloor':
      case 'step':
      case 'substring':
      case 'trim':
      case 'position':
        return compileSpecial(e, compile);
      case 'currentTime':
        throw new SqlCompileError(`${e.name} is not supported yet`, e.pos);
    }
  }

  return compile(expr);
}

function constant(type: ValueType, value: Value): Compiled {
  return { type, fn: () => value };
}

function not(c: Compiled, negate: boolean): Compiled {
  if (!negate) return c;
  const { fn } = c;
  return { type: 'BOOLEAN', fn: (row) => { const v = fn(row); return v === null ? null : !v; } };
}

function expectBoolean(c: Compiled, pos: Position): void {
  if (c.type !== 'BOOLEAN' && c.type !== 'NULL') throw new SqlCompileError(`expected a BOOLEAN, found ${c.type}`, pos);
}

function compileUnary(op: '-' | '+' | 'NOT', operand: Compiled, pos: Position): Compiled {
  const { fn, type } = operand;
  if (op === 'NOT') {
    expectBoolean(operand, pos);
    return not(operand, true);
  }
  if (!isNumeric(type) && type !== 'INTERVAL') throw new SqlCompileError(`unary ${op} needs a number, found ${type}`, pos);
  if (op === '+') return operand;
  return { type, fn: (row) => { const v = fn(row); return v === null ? null : -(v as number); } };
}

/** Result type of arithmetic, or undefined when the operand types do not combine. */
function arithmeticType(op: string, l: ValueType, r: ValueType): ValueType | undefined {
  if (isNumeric(l) && isNumeric(r)) return l === 'DOUBLE' || r === 'DOUBLE' ? 'DOUBLE' : 'INTEGER';
  const lt = l === 'NULL' ? r : l;
  const rt = r === 'NULL' ? l : r;
  if (op === '+' && ((lt === 'TIMESTAMP' && rt === 'INTERVAL') || (lt === 'INTERVAL' && rt === 'TIMESTAMP'))) return 'TIMESTAMP';
  if (op === '-' && lt === 'TIMESTAMP' && rt === 'INTERVAL') return 'TIMESTAMP';
  if (op === '-' && lt === 'TIMESTAMP' && rt === 'TIMESTAMP') return 'INTERVAL';
  if ((op === '+' || op === '-') && lt === 'INTERVAL' && rt === 'INTERVAL') return 'INTERVAL';
  if (op === '*' && ((lt === 'INTERVAL' && isNumeric(rt)) || (isNumeric(lt) && rt === 'INTERVAL'))) return 'INTERVAL';
  if (op === '/' && lt === 'INTERVAL' && isNumeric(rt)) return 'INTERVAL';
  return undefined;
}

const COMPARE: Readonly<Record<string, (c: number) => boolean>> = {
  '=': (c) => c === 0, '<>': (c) => c !== 0, '<': (c) => c < 0, '<=': (c) => c <= 0, '>': (c) => c > 0, '>=': (c) => c >= 0,
};

function comparable(l: ValueType, r: ValueType): boolean {
  return l === r || l === 'NULL' || r === 'NULL' || (isNumeric(l) && isNumeric(r));
}

function compileBinary(op: string, left: Compiled, right: Compiled, pos: Position): Compiled {
  const l = left.fn;
  const r = right.fn;
  if (op === 'AND' || op === 'OR') {
    expectBoolean(left, pos);
    expectBoolean(right, pos);
    // Three-valued logic: FALSE wins AND, TRUE wins OR, otherwise UNKNOWN (NULL) is contagious.
    const decisive = op === 'OR';
    return {
      type: 'BOOLEAN',
      fn: (row) => {
        const a = l(row);
        if (a === decisive) return decisive;
        const b = r(row);
        if (b === decisive) return decisive;
        return a === null || b === null ? null : !decisive;
      },
    };
  }
  const test = COMPARE[op];
  if (test) {
    if (!comparable(left.type, right.type)) throw new SqlCompileError(`cannot compare ${left.type} with ${right.type}`, pos);
    return {
      type: 'BOOLEAN',
      fn: (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        return b === null ? null : test(compareValues(a, b));
      },
    };
  }
  if (op === '||') {
    const lt = left.type;
    const rt = right.type;
    return {
      type: 'VARCHAR',
      fn: (row) => {
        const a = l(row);
        const b = r(row);
        return a === null || b === null ? null : valueToText(a, lt) + valueToText(b, rt);
      },
    };
  }
  const type = arithmeticType(op, left.type, right.type);
  if (type === undefined) throw new SqlCompileError(`operator ${op} does not apply to ${left.type} and ${right.type}`, pos);
  const integral = type === 'INTEGER' || type === 'INTERVAL' || type === 'TIMESTAMP';
  const arith = arithmetic(op, integral);
  return {
    type,
    fn: (row) => {
      const a = l(row);
      if (a === null) return null;
      const b = r(row);
      return b === null ? null : arith(a as number, b as number);
    },
  };
}

function arithmetic(op: string, integral: boolean): (a: number, b: number) => number {
  switch (op) {
    case '+': return (a, b) => a + b;
    case '-': return (a, b) => a - b;
    case '*': return integral ? (a, b) => Math.trunc(a * b) : (a, b) => a * b;
    case '/':
      // SQL: division by zero is a data exception for every numeric type (the KDA error-stream
      // example divides a REAL by 0); integer division truncates toward zero.
      return (a, b) => {
        if (b === 0) throw new SqlRuntimeError('DivisionByZero', 'division by zero');
        return integral ? Math.trunc(a / b) : a / b;
      };
    default:
      return (a, b) => {
        if (b === 0) throw new SqlRuntimeError('DivisionByZero', 'division by zero');
        return a % b;
      };
  }
}

/** Common type of CASE branches: numbers widen to DOUBLE, NULL fits anything. */
function unify(types: ValueType[], pos: Position): ValueType {
  let result: ValueType = 'NULL';
  for (const t of types) {
    if (t === 'NULL' || t === result) continue;
    if (result === 'NULL') result = t;
    else if (isNumeric(t) && isNumeric(result)) result = 'DOUBLE';
    else throw new SqlCompileError(`CASE branches mix ${result} and ${t}`, pos);
  }
  return result;
}

function compileCase(e: Extract<Expr, { kind: 'case' }>, compile: (e: Expr) => Compiled): Compiled {
  const subject = e.operand && compile(e.operand);
  const whens = e.whens.map(({ when, then }) => {
    const cond = subject ? compileBinary('=', subject, compile(when), when.pos) : compile(when);
    expectBoolean(cond, when.pos);
    return { cond: cond.fn, then: compile(then) };
  });
  const otherwise = e.else ? compile(e.else) : constant('NULL', null);
  const type = unify([...whens.map((w) => w.then.type), otherwise.type], e.pos);
  const branches = whens.map((w) => ({ cond: w.cond, then: w.then.fn }));
  const fallback = otherwise.fn;
  return {
    type,
    fn: (row) => {
      for (const b of branches) if (b.cond(row) === true) return b.then(row);
      return fallback(row);
    },
  };
}

/** LIKE (`%`, `_`) or SIMILAR TO (also `|`, `*`, `+`, `?`, `{}`, `()`, `[]`) as an anchored RegExp. */
export function patternToRegExp(kind: 'like' | 'similarTo', pattern: string, escape: string | undefined): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (escape !== undefined && ch === escape) {
      out += (pattern.charAt(++i) || ch).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    } else if (ch === '%') out += '.*';
    else if (ch === '_') out += '.';
    else if (kind === 'similarTo' && '|*+?{}()[]'.includes(ch)) out += ch;
    else out += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

function compileMatch(kind: 'like' | 'similarTo', operand: Compiled, pattern: Compiled, escape: Compiled | undefined, pos: Position): Compiled {
  for (const c of [operand, pattern, ...(escape ? [escape] : [])]) {
    if (c.type !== 'VARCHAR' && c.type !== 'NULL') throw new SqlCompileError(`${kind === 'like' ? 'LIKE' : 'SIMILAR TO'} needs strings, found ${c.type}`, pos);
  }
  const cache = new Map<string, RegExp>();
  const x = operand.fn;
  const p = pattern.fn;
  const esc = escape?.fn;
  return {
    type: 'BOOLEAN',
    fn: (row) => {
      const s = x(row);
      const pat = p(row);
      const e = esc ? esc(row) : undefined;
      if (s === null || pat === null || e === null) return null;
      const key = `${String(e)}\u0000${String(pat)}`;
      let re = cache.get(key);
      if (!re) {
        try {
          re = patternToRegExp(kind, String(pat), e === undefined ? undefined : String(e));
        } catch (err) {
          throw new SqlRuntimeError('InvalidArgument', `invalid pattern '${String(pat)}'`, { cause: err });
        }
        if (cache.size < 1000) cache.set(key, re);
      }
      return re.test(String(s));
    },
  };
}
