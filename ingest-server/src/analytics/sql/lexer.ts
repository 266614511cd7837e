/**
 * Lexer for the Kinesis Data Analytics SQL dialect.
 *
 * Owns: turning SQL text into tokens with 1-based line and column, identifier case rules
 * (unquoted identifiers fold to upper case, "quoted" ones keep their case), string and number
 * literals, operators and comments.
 * Does not own: grammar. Which words are reserved matters only to the parser (implicit
 * aliases), so the lexer marks them but never rejects a word.
 */
import { SqlSyntaxError } from './errors.js';

export type TokenKind = 'keyword' | 'ident' | 'quoted' | 'string' | 'number' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token (with quotes, for quoted identifiers and strings). */
  text: string;
  /**
   * The normalized value: upper-cased word for `keyword` and `ident`; the unescaped name for
   * `quoted`; the unescaped contents for `string`; the source text for `number` and `op`.
   */
  value: string;
  line: number;
  column: number;
  offset: number;
}

/**
 * Words that cannot be used as unquoted names. Kept small on purpose: only words that may
 * follow an expression or a FROM item, so that implicit aliases (`FROM s t`) stay unambiguous.
 * Function-like words (FLOOR, STEP, ROWTIME, ...) are ordinary identifiers.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'ALL', 'AND', 'AS', 'BETWEEN', 'BY', 'CASE', 'CAST', 'CREATE', 'CROSS', 'DISTINCT', 'ELSE',
  'END', 'FALSE', 'FROM', 'FULL', 'GROUP', 'HAVING', 'IN', 'INNER', 'INSERT', 'INTERVAL', 'INTO',
  'IS', 'JOIN', 'LEFT', 'LIKE', 'NOT', 'NULL', 'ON', 'OR', 'ORDER', 'OUTER', 'OVER', 'PARTITION',
  'RIGHT', 'SELECT', 'STREAM', 'THEN', 'TRUE', 'UNION', 'WHEN', 'WHERE', 'WINDOW', 'WINDOWED',
]);

/** Longest operators first so `<=` wins over `<`. */
const OPERATORS = ['<>', '!=', '<=', '>=', '||', '+', '-', '*', '/', '%', '=', '<', '>', '(', ')', ',', '.', ';'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isWordPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/** Splits `text` into tokens, ending with one `eof` token. Throws SqlSyntaxError. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const fail = (detail: string, at: number, atLine: number, atLineStart: number): never => {
    throw new SqlSyntaxError(detail, atLine, at - atLineStart + 1);
  };
  // Advances over text[i..end), keeping line bookkeeping right across newlines.
  const advanceTo = (end: number): void => {
    for (; i < end; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };
  const push = (kind: TokenKind, start: number, startLine: number, startLineStart: number, value: string): void => {
    tokens.push({ kind, text: text.slice(start, i), value, line: startLine, column: start - startLineStart + 1, offset: start });
  };

  while (i < text.length) {
    const c = text[i];
    const start = i;
    const startLine = line;
    const startLineStart = lineStart;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f') {
      advanceTo(i + 1);
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      advanceTo(nl === -1 ? text.length : nl);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) fail('unterminated comment', start, startLine, startLineStart);
      advanceTo(close + 2);
      continue;
    }
    if (c === "'" || c === '"') {
      const value = readQuoted(text, i, c);
      if (value === undefined) {
        fail(c === "'" ? 'unterminated string literal' : 'unterminated quoted identifier', start, startLine, startLineStart);
      } else {
        advanceTo(value.end);
        if (c === '"' && value.body === '') fail('empty quoted identifier', start, startLine, startLineStart);
        push(c === "'" ? 'string' : 'quoted', start, startLine, startLineStart, value.body);
      }
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      const end = scanNumber(text, i);
      if (isWordPart(text[end])) fail(`invalid number "${text.slice(i, end + 1)}"`, start, startLine, startLineStart);
      advanceTo(end);
      push('number', start, startLine, startLineStart, text.slice(start, end));
      continue;
    }
    if (isWordStart(c)) {
      let end = i + 1;
      while (isWordPart(text[end])) end++;
      advanceTo(end);
      const upper = text.slice(start, end).toUpperCase();
      push(RESERVED_WORDS.has(upper) ? 'keyword' : 'ident', start, startLine, startLineStart, upper);
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) fail(`unexpected character "${c}"`, start, startLine, startLineStart);
    else {
      advanceTo(i + op.length);
      push('op', start, startLine, startLineStart, op);
    }
  }
  tokens.push({ kind: 'eof', text: '', value: '', line, column: i - lineStart + 1, offset: i });
  return tokens;
}

/** Reads a quoted run starting at `start`; a doubled quote is an escaped quote. */
function readQuoted(text: string, start: number, quote: string): { body: string; end: number } | undefined {
  let body = '';
  let j = start + 1;
  for (;;) {
    const close = text.indexOf(quote, j);
    if (close === -1) return undefined;
    body += text.slice(j, close);
    if (text[close + 1] === quote) {
      body += quote;
      j = close + 2;
    } else {
      return { body, end: close + 1 };
    }
  }
}

/** Returns the end offset of the number at `start`: digits, optional fraction, optional exponent. */
function scanNumber(text: string, start: number): number {
  let j = start;
  while (isDigit(text[j])) j++;
  if (text[j] === '.' && !isWordStart(text[j + 1])) {
    j++;
    while (isDigit(text[j])) j++;
  }
  if (text[j] === 'e' || text[j] === 'E') {
    let k = j + 1;
    if (text[k] === '+' || text[k] === '-') k++;
    if (isDigit(text[k])) {
      while (isDigit(text[k])) k++;
      j = k;
    }
  }
  return j;
}
