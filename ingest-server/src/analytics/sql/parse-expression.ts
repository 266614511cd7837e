/**
 * Recursive-descent parser for expressions, data types and window specifications.
 *
 * Owns: operator precedence, from loosest to tightest:
 *   OR < AND < NOT < comparison, IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN, [NOT] LIKE, [NOT] SIMILAR TO
 *      < || < binary + - < * / % < unary - +
 * and the special forms of the dialect: CASE, CAST, datetime literals,
 * FLOOR/CEIL(x TO unit), STEP(x BY n), SUBSTRING, TRIM, POSITION, COUNT(*), COUNT(DISTINCT x),
 * `AGG(x) OVER w` and `OVER (PARTITION BY ... RANGE ... PRECEDING)`.
 * Does not own: statements, SELECT clauses or FROM (see parser.ts), data types and INTERVAL
 * literals (parse-type.ts), nor any meaning.
 */
import type { BinaryOp, Expr, FloorUnit, WindowFrame, WindowRef, WindowSpec } from './ast.js';
import { expectInteger, parseInterval, parseType, parseUnit } from './parse-type.js';
import type { Token } from './lexer.js';
import type { TokenCursor } from './token-cursor.js';

const COMPARISON_OPS: ReadonlySet<string> = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const CURRENT_TIME_WORDS = ['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_ROW_TIMESTAMP', 'LOCALTIMESTAMP', 'LOCALTIME'] as const;

/** expr := or-expression */
export function parseExpr(c: TokenCursor): Expr {
  return parseOr(c);
}

function binary(op: BinaryOp, left: Expr, right: Expr): Expr {
  return { kind: 'binary', op, left, right, pos: left.pos };
}

function parseOr(c: TokenCursor): Expr {
  let left = parseAnd(c);
  while (c.acceptWord('OR')) left = binary('OR', left, parseAnd(c));
  return left;
}

function parseAnd(c: TokenCursor): Expr {
  let left = parseNot(c);
  while (c.acceptWord('AND')) left = binary('AND', left, parseNot(c));
  return left;
}

function parseNot(c: TokenCursor): Expr {
  if (c.isWord('NOT')) {
    const pos = c.pos(c.next());
    return { kind: 'unary', op: 'NOT', operand: parseNot(c), pos };
  }
  return parseComparison(c);
}

function parseComparison(c: TokenCursor): Expr {
  let left = parseConcat(c);
  for (;;) {
    const t = c.peek();
    if (t.kind === 'op' && COMPARISON_OPS.has(t.value)) {
      c.next();
      left = binary(t.value === '!=' ? '<>' : (t.value as BinaryOp), left, parseConcat(c));
    } else if (c.acceptWord('IS')) {
      const negated = c.acceptWord('NOT');
      c.expectWord('NULL');
      left = { kind: 'isNull', operand: left, negated, pos: left.pos };
    } else if (isPredicateWord(c, 0) || (c.isWord('NOT') && isPredicateWord(c, 1))) {
      left = parsePredicate(c, left);
    } else {
      return left;
    }
  }
}

/** BETWEEN, IN, LIKE or SIMILAR TO at `ahead` (SIMILAR is not reserved, so TO must follow). */
function isPredicateWord(c: TokenCursor, ahead: number): boolean {
  return c.isWord('BETWEEN', ahead) || c.isWord('IN', ahead) || c.isWord('LIKE', ahead) || (c.isWord('SIMILAR', ahead) && c.isWord('TO', ahead + 1));
}

/** [NOT] BETWEEN a AND b | [NOT] IN (list) | [NOT] LIKE p [ESCAPE e] | [NOT] SIMILAR TO p [ESCAPE e] */
function parsePredicate(c: TokenCursor, operand: Expr): Expr {
  const negated = c.acceptWord('NOT');
  const pos = operand.pos;
  if (c.acceptWord('BETWEEN')) {
    const low = parseConcat(c);
    c.expectWord('AND');
    return { kind: 'between', operand, low, high: parseConcat(c), negated, pos };
  }
  if (c.acceptWord('IN')) {
    c.expectOp('(');
    const list = parseExprList(c);
    c.expectOp(')');
    return { kind: 'in', operand, list, negated, pos };
  }
  let kind: 'like' | 'similarTo' = 'like';
  if (c.acceptWord('SIMILAR')) {
    c.expectWord('TO');
    kind = 'similarTo';
  } else {
    c.expectWord('LIKE');
  }
  const pattern = parseConcat(c);
  const escape = c.acceptWord('ESCAPE') ? parseConcat(c) : undefined;
  return { kind, operand, pattern, ...(escape && { escape }), negated, pos };
}

function parseConcat(c: TokenCursor): Expr {
  let left = parseAdditive(c);
  while (c.acceptOp('||')) left = binary('||', left, parseAdditive(c));
  return left;
}

function parseAdditive(c: TokenCursor): Expr {
  let left = parseMultiplicative(c);
  for (;;) {
    if (c.acceptOp('+')) left = binary('+', left, parseMultiplicative(c));
    else if (c.acceptOp('-')) left = binary('-', left, parseMultiplicative(c));
    else return left;
  }
}

function parseMultiplicative(c: TokenCursor): Expr {
  let left = parseUnary(c);
  for (;;) {
    const t = c.peek();
    if (t.kind !== 'op' || (t.value !== '*' && t.value !== '/' && t.value !== '%')) return left;
    c.next();
    left = binary(t.value, left, parseUnary(c));
  }
}

function parseUnary(c: TokenCursor): Expr {
  if (c.isOp('-') || c.isOp('+')) {
    const t = c.next();
    const operand = parseUnary(c);
    // Fold `-3` into a literal so the planner sees constants as constants.
    if (operand.kind === 'number') {
      const value = t.value === '-' ? -operand.value : operand.value;
      return { kind: 'number', value, text: `${t.value}${operand.text}`, pos: c.pos(t) };
    }
    return { kind: 'unary', op: t.value === '-' ? '-' : '+', operand, pos: c.pos(t) };
  }
  return parsePrimary(c);
}

function parsePrimary(c: TokenCursor): Expr {
  const t = c.peek();
  const pos = c.pos(t);
  switch (t.kind) {
    case 'number':
      c.next();
      return { kind: 'number', value: Number(t.value), text: t.value, pos };
    case 'string':
      c.next();
      return { kind: 'string', value: t.value, pos };
    case 'op':
      if (t.value === '(') {
        c.next();
        const inner = parseExpr(c);
        c.expectOp(')');
        return inner;
      }
      return c.fail('an expression');
    case 'keyword':
      return parseKeywordPrimary(c, t);
    case 'ident':
    case 'quoted':
      return parseNamePrimary(c, t);
    default:
      return c.fail('an expression');
  }
}

function parseKeywordPrimary(c: TokenCursor, t: Token): Expr {
  const pos = c.pos(t);
  switch (t.value) {
    case 'NULL':
      c.next();
      return { kind: 'null', pos };
    case 'TRUE':
    case 'FALSE':
      c.next();
      return { kind: 'boolean', value: t.value === 'TRUE', pos };
    case 'INTERVAL':
      return parseInterval(c);
    case 'CASE':
      return parseCase(c);
    case 'CAST': {
      c.next();
      c.expectOp('(');
      const operand = parseExpr(c);
      c.expectWord('AS');
      const type = parseType(c);
      c.expectOp(')');
      return { kind: 'cast', operand, type, pos };
    }
    default:
      return c.fail('an expression');
  }
}

function parseNamePrimary(c: TokenCursor, t: Token): Expr {
  const pos = c.pos(t);
  if (t.kind === 'ident') {
    const word = t.value;
    if ((word === 'TIMESTAMP' || word === 'DATE' || word === 'TIME') && c.peek(1).kind === 'string') {
      c.next();
      return { kind: 'datetime', type: word, text: c.next().value, pos };
    }
    const currentTime = CURRENT_TIME_WORDS.find((w) => w === word);
    if (currentTime !== undefined && !c.isOp('(', 1)) {
      c.next();
      return { kind: 'currentTime', name: currentTime, pos };
    }
    if (c.isOp('(', 1)) return parseCall(c);
  }
  c.next();
  if (c.isOp('.') && (c.isName(1) || c.peek(1).kind === 'keyword')) {
    c.next();
    const table = t.value;
    const name = c.expectName('a column name');
    return name === 'ROWTIME' ? { kind: 'rowtime', table, pos } : { kind: 'column', table, name, pos };
  }
  return t.value === 'ROWTIME' ? { kind: 'rowtime', pos } : { kind: 'column', name: t.value, pos };
}

/** NAME ( ... ) [OVER w | OVER (spec)], with the dialect's special argument forms. */
function parseCall(c: TokenCursor): Expr {
  const nameToken = c.next();
  const pos = c.pos(nameToken);
  const name = nameToken.value;
  c.expectOp('(');
  const special = parseSpecialCall(c, name, pos);
  if (special !== undefined) {
    c.expectOp(')');
    return special;
  }
  let distinct = false;
  let star = false;
  let args: Expr[] = [];
  if (c.isOp('*')) {
    c.next();
    star = true;
  } else if (!c.isOp(')')) {
    distinct = c.acceptWord('DISTINCT');
    if (!distinct) c.acceptWord('ALL');
    args = parseExprList(c);
  }
  c.expectOp(')');
  const over = c.acceptWord('OVER') ? parseWindowRef(c) : undefined;
  return { kind: 'call', name, args, distinct, star, ...(over && { over }), pos };
}

/** Forms whose arguments are not a plain list. Returns undefined to fall back to a plain call. */
function parseSpecialCall(c: TokenCursor, name: string, pos: { line: number; column: number }): Expr | undefined {
  switch (name) {
    case 'FLOOR':
    case 'CEIL':
    case 'CEILING': {
      // Plain FLOOR(x) is an ordinary call: only the `TO unit` form is special.
      if (!hasTopLevelWord(c, 'TO')) return undefined;
      const operand = parseExpr(c);
      c.expectWord('TO');
      const unit = parseUnit(c) as FloorUnit;
      return { kind: 'timeFloor', fn: name === 'FLOOR' ? 'FLOOR' : 'CEIL', operand, unit, pos };
    }
    case 'STEP': {
      const operand = parseExpr(c);
      c.expectWord('BY');
      return { kind: 'step', operand, by: parseExpr(c), pos };
    }
    case 'SUBSTRING': {
      const operand = parseExpr(c);
      if (c.acceptWord('FROM')) {
        const start = parseExpr(c);
        const length = c.acceptWord('FOR') ? parseExpr(c) : undefined;
        return { kind: 'substring', operand, start, ...(length && { length }), pos };
      }
      c.expectOp(',');
      const start = parseExpr(c);
      const length = c.acceptOp(',') ? parseExpr(c) : undefined;
      return { kind: 'substring', operand, start, ...(length && { length }), pos };
    }
    case 'POSITION': {
      // The needle stops before IN: parse it below the predicate level.
      const needle = parseConcat(c);
      c.expectWord('IN');
      return { kind: 'position', needle, haystack: parseExpr(c), pos };
    }
    case 'TRIM':
      return parseTrim(c, pos);
    default:
      return undefined;
  }
}

/** TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) | TRIM([chars FROM] s) */
function parseTrim(c: TokenCursor, pos: { line: number; column: number }): Expr {
  let mode: 'BOTH' | 'LEADING' | 'TRAILING' = 'BOTH';
  let explicitMode = false;
  for (const m of ['BOTH', 'LEADING', 'TRAILING'] as const) {
    if (c.acceptWord(m)) {
      mode = m;
      explicitMode = true;
      break;
    }
  }
  if (explicitMode && c.acceptWord('FROM')) return { kind: 'trim', mode, operand: parseExpr(c), pos };
  const first = parseExpr(c);
  if (c.acceptWord('FROM')) return { kind: 'trim', mode, chars: first, operand: parseExpr(c), pos };
  if (explicitMode) c.fail('FROM');
  return { kind: 'trim', mode, operand: first, pos };
}

/** True if `word` appears before the `)` that closes the current call. */
function hasTopLevelWord(c: TokenCursor, word: string): boolean {
  let depth = 0;
  for (let i = 0; ; i++) {
    const t = c.peek(i);
    if (t.kind === 'eof') return false;
    if (t.kind === 'op' && t.value === '(') depth++;
    if (t.kind === 'op' && t.value === ')') {
      if (depth === 0) return false;
      depth--;
    }
    if (depth === 0 && c.isWord(word, i)) return true;
  }
}

export function parseExprList(c: TokenCursor): Expr[] {
  const list = [parseExpr(c)];
  while (c.acceptOp(',')) list.push(parseExpr(c));
  return list;
}

function parseCase(c: TokenCursor): Expr {
  const pos = c.pos(c.expectWord('CASE'));
  const operand = c.isWord('WHEN') ? undefined : parseExpr(c);
  const whens: { when: Expr; then: Expr }[] = [];
  while (c.acceptWord('WHEN')) {
    const when = parseExpr(c);
    c.expectWord('THEN');
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) c.fail('WHEN');
  const elseExpr = c.acceptWord('ELSE') ? parseExpr(c) : undefined;
  c.expectWord('END');
  return { kind: 'case', ...(operand && { operand }), whens, ...(elseExpr && { else: elseExpr }), pos };
}

/** After OVER: a window name, or an inline `( spec )`. */
export function parseWindowRef(c: TokenCursor): WindowRef {
  if (c.acceptOp('(')) {
    const spec = parseWindowSpec(c);
    c.expectOp(')');
    return { kind: 'inline', spec };
  }
  return { kind: 'named', name: c.expectName('a window name or "("') };
}

/** [PARTITION BY e, ...] frame — the inside of a window's parentheses. */
export function parseWindowSpec(c: TokenCursor): WindowSpec {
  let partitionBy: Expr[] = [];
  if (c.acceptWord('PARTITION')) {
    c.expectWord('BY');
    partitionBy = parseExprList(c);
  }
  return { partitionBy, frame: parseFrame(c) };
}

/** RANGE INTERVAL '1' MINUTE PRECEDING | ROWS n PRECEDING | RANGE CURRENT ROW | ROWS CURRENT ROW */
export function parseFrame(c: TokenCursor): WindowFrame {
  if (c.acceptWord('RANGE')) {
    if (acceptCurrentRow(c)) return { kind: 'RANGE', ms: 0 };
    const at = c.peek();
    const interval = parseInterval(c);
    if (interval.ms === undefined) c.failAt(at, 'a window RANGE needs a DAY, HOUR, MINUTE or SECOND interval');
    c.expectWord('PRECEDING');
    return { kind: 'RANGE', ms: interval.ms ?? 0 };
  }
  if (c.acceptWord('ROWS')) {
    if (acceptCurrentRow(c)) return { kind: 'ROWS', n: 0 };
    const n = expectInteger(c);
    c.expectWord('PRECEDING');
    return { kind: 'ROWS', n };
  }
  return c.fail('RANGE or ROWS');
}

function acceptCurrentRow(c: TokenCursor): boolean {
  if (!c.isWord('CURRENT')) return false;
  c.next();
  c.expectWord('ROW');
  return true;
}
