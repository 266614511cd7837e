/**
 * Recursive-descent parser for Kinesis Data Analytics application code.
 *
 * Owns: scripts of `;`-separated statements (CREATE [OR REPLACE] STREAM, CREATE [OR REPLACE]
 * PUMP ... AS INSERT INTO ... SELECT, and a bare SELECT for ad-hoc queries), and the clauses of
 * a query in this order: SELECT [STREAM] [DISTINCT|ALL] items FROM source [joins] [WHERE]
 * [WINDOWED BY STAGGER (...)] [GROUP BY] [HAVING] [WINDOW ...] [ORDER BY].
 * Does not own: expressions, types and window specs (parse-expression.ts); name resolution and
 * any check that needs a schema (the planner).
 */
import type { CreatePump, CreateStream, Expr, FromItem, Join, JoinWindow, NamedWindow, OrderItem, Select, SelectItem, Statement } from './ast.js';
import { tokenize } from './lexer.js';
import { parseExpr, parseExprList, parseWindowSpec } from './parse-expression.js';
import { parseInterval, parseType } from './parse-type.js';
import { TokenCursor } from './token-cursor.js';

/**
 * Parses a script of statements separated by `;` (empty statements are skipped).
 * Throws SqlSyntaxError with the line and column of the first error.
 *
 * @example
 * parseSql(`CREATE OR REPLACE STREAM "OUT" (n INTEGER);`)
 * // → [{ kind: 'CreateStream', orReplace: true, name: 'OUT', columns: [{ name: 'N', type: { name: 'INTEGER' }, ... }], ... }]
 */
export function parseSql(text: string): Statement[] {
  const c = new TokenCursor(tokenize(text));
  const statements: Statement[] = [];
  for (;;) {
    while (c.acceptOp(';'));
    if (c.atEnd()) return statements;
    statements.push(parseStatement(c));
    if (!c.atEnd() && !c.isOp(';')) c.fail('";" or end of input');
  }
}

/** Parses one expression, e.g. for a filter given on the command line. Throws SqlSyntaxError. */
export function parseExpression(text: string): Expr {
  const c = new TokenCursor(tokenize(text));
  const expr = parseExpr(c);
  if (!c.atEnd()) c.fail('end of expression');
  return expr;
}

function parseStatement(c: TokenCursor): Statement {
  if (c.isWord('SELECT')) {
    const pos = c.pos();
    return { kind: 'Select', select: parseSelect(c), pos };
  }
  if (c.isWord('CREATE')) return parseCreate(c);
  return c.fail('CREATE or SELECT');
}

function parseCreate(c: TokenCursor): CreateStream | CreatePump {
  const pos = c.pos(c.expectWord('CREATE'));
  const orReplace = c.acceptWord('OR');
  if (orReplace) c.expectWord('REPLACE');
  if (c.acceptWord('STREAM')) {
    const name = c.expectName('a stream name');
    c.expectOp('(');
    const columns = [parseColumnDef(c)];
    while (c.acceptOp(',')) columns.push(parseColumnDef(c));
    c.expectOp(')');
    return { kind: 'CreateStream', orReplace, name, columns, pos };
  }
  if (c.acceptWord('PUMP')) {
    const name = c.expectName('a pump name');
    c.expectWord('AS');
    c.expectWord('INSERT');
    c.expectWord('INTO');
    const target = c.expectName('a stream name');
    let columns: string[] | undefined;
    if (c.acceptOp('(')) {
      columns = [c.expectName('a column name')];
      while (c.acceptOp(',')) columns.push(c.expectName('a column name'));
      c.expectOp(')');
    }
    const select = parseSelect(c);
    const pump: CreatePump = { kind: 'CreatePump', orReplace, name, target, select, pos };
    if (columns) pump.columns = columns;
    return pump;
  }
  return c.fail('STREAM or PUMP');
}

function parseColumnDef(c: TokenCursor): CreateStream['columns'][number] {
  const pos = c.pos();
  const name = c.expectName('a column name');
  return { name, type: parseType(c), pos };
}

function parseSelect(c: TokenCursor): Select {
  const pos = c.pos(c.expectWord('SELECT'));
  const stream = c.acceptWord('STREAM');
  const distinct = c.acceptWord('DISTINCT');
  if (!distinct) c.acceptWord('ALL');
  const items = [parseSelectItem(c)];
  while (c.acceptOp(',')) items.push(parseSelectItem(c));
  c.expectWord('FROM');
  const select: Select = { stream, distinct, items, from: parseFromItem(c), joins: [], pos };
  for (let join = parseJoin(c); join; join = parseJoin(c)) select.joins.push(join);
  if (c.acceptWord('WHERE')) select.where = parseExpr(c);
  if (c.isWord('WINDOWED')) select.windowedBy = parseStagger(c);
  if (c.acceptWord('GROUP')) {
    c.expectWord('BY');
    select.groupBy = parseExprList(c);
  }
  if (c.acceptWord('HAVING')) select.having = parseExpr(c);
  if (c.acceptWord('WINDOW')) {
    select.windows = [parseNamedWindow(c)];
    while (c.acceptOp(',')) select.windows.push(parseNamedWindow(c));
  }
  if (c.acceptWord('ORDER')) {
    c.expectWord('BY');
    select.orderBy = [parseOrderItem(c)];
    while (c.acceptOp(',')) select.orderBy.push(parseOrderItem(c));
  }
  if (c.isWord('UNION')) c.failAt(c.peek(), 'UNION is not supported yet');
  return select;
}

function parseSelectItem(c: TokenCursor): SelectItem {
  const pos = c.pos();
  if (c.acceptOp('*')) return { kind: 'star', pos };
  if (c.isName() && c.isOp('.', 1) && c.isOp('*', 2)) {
    const table = c.next().value;
    c.next();
    c.next();
    return { kind: 'star', table, pos };
  }
  const expr = parseExpr(c);
  const alias = parseAlias(c);
  return alias === undefined ? { kind: 'expr', expr, pos } : { kind: 'expr', expr, alias, pos };
}

/** `AS name`, or a bare name (reserved words are never taken as an implicit alias). */
function parseAlias(c: TokenCursor): string | undefined {
  if (c.acceptWord('AS')) return c.expectName('an alias');
  if (c.isName()) return c.next().value;
  return undefined;
}

function parseFromItem(c: TokenCursor): FromItem {
  const pos = c.pos();
  if (c.acceptOp('(')) {
    const select = parseSelect(c);
    c.expectOp(')');
    const alias = parseAlias(c);
    return alias === undefined ? { kind: 'subquery', select, pos } : { kind: 'subquery', select, alias, pos };
  }
  const name = c.expectName('a stream or table name');
  const alias = parseAlias(c);
  return alias === undefined ? { kind: 'stream', name, pos } : { kind: 'stream', name, alias, pos };
}

/**
 * [INNER] JOIN | LEFT [OUTER] JOIN, then the source with an optional `OVER` window either
 * before or after its alias (the AWS guide writes `JOIN TradeStream OVER (...) AS t`), then ON.
 */
function parseJoin(c: TokenCursor): Join | undefined {
  const pos = c.pos();
  let kind: Join['kind'];
  if (c.acceptWord('JOIN')) kind = 'INNER';
  else if (c.acceptWord('INNER')) {
    c.expectWord('JOIN');
    kind = 'INNER';
  } else if (c.acceptWord('LEFT')) {
    c.acceptWord('OUTER');
    c.expectWord('JOIN');
    kind = 'LEFT';
  } else if (c.isWord('RIGHT') || c.isWord('FULL') || c.isWord('CROSS')) {
    return c.failAt(c.peek(), `${c.peek().value} JOIN is not supported; use JOIN or LEFT JOIN`);
  } else {
    return undefined;
  }
  const sourcePos = c.pos();
  let source: FromItem;
  let window: JoinWindow | undefined;
  if (c.isOp('(')) {
    source = parseFromItem(c);
  } else {
    const name = c.expectName('a stream or table name');
    window = parseJoinWindow(c);
    const alias = parseAlias(c);
    window ??= parseJoinWindow(c);
    source = alias === undefined ? { kind: 'stream', name, pos: sourcePos } : { kind: 'stream', name, alias, pos: sourcePos };
  }
  c.expectWord('ON');
  const on = parseExpr(c);
  return window === undefined ? { kind, source, on, pos } : { kind, source, on, window, pos };
}

function parseJoinWindow(c: TokenCursor): JoinWindow | undefined {
  if (!c.acceptWord('OVER')) return undefined;
  if (!c.acceptOp('(')) return { name: c.expectName('a window name or "("') };
  const spec = parseWindowSpec(c);
  c.expectOp(')');
  if (spec.partitionBy.length > 0) c.failAt(c.peek(), 'PARTITION BY is not supported in a join window');
  return spec.frame.kind === 'RANGE' ? { rangeMs: spec.frame.ms } : { rows: spec.frame.n };
}

/** WINDOWED BY STAGGER ( PARTITION BY e, ... RANGE INTERVAL 'n' unit ) */
function parseStagger(c: TokenCursor): NonNullable<Select['windowedBy']> {
  c.expectWord('WINDOWED');
  c.expectWord('BY');
  c.expectWord('STAGGER');
  c.expectOp('(');
  c.expectWord('PARTITION');
  c.expectWord('BY');
  const partitionBy = parseExprList(c);
  c.expectWord('RANGE');
  const at = c.peek();
  const interval = parseInterval(c);
  if (interval.ms === undefined || interval.ms <= 0) c.failAt(at, 'a STAGGER RANGE needs a positive DAY, HOUR, MINUTE or SECOND interval');
  c.expectOp(')');
  return { stagger: { partitionBy, rangeMs: interval.ms ?? 0 } };
}

function parseNamedWindow(c: TokenCursor): NamedWindow {
  const pos = c.pos();
  const name = c.expectName('a window name');
  c.expectWord('AS');
  c.expectOp('(');
  const spec = parseWindowSpec(c);
  c.expectOp(')');
  return { name, ...spec, pos };
}

function parseOrderItem(c: TokenCursor): OrderItem {
  const expr = parseExpr(c);
  if (c.acceptWord('DESC')) return { expr, direction: 'DESC' };
  c.acceptWord('ASC');
  return { expr, direction: 'ASC' };
}
