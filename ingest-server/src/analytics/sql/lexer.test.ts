import { describe, expect, it } from 'vitest';
import { SqlSyntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

const kinds = (sql: string): [Token['kind'], string][] => tokenize(sql).map((t) => [t.kind, t.value]);

function errorOf(sql: string): SqlSyntaxError {
  try {
    tokenize(sql);
  } catch (err) {
    if (err instanceof SqlSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected a syntax error for ${sql}`);
}

describe('tokenize', () => {
  it('upper-cases unquoted words, keeps their source text, and marks reserved words as keywords', () => {
    const [select, ticker] = tokenize('select Ticker_Symbol');
    expect(select).toMatchObject({ kind: 'keyword', text: 'select', value: 'SELECT' });
    expect(ticker).toMatchObject({ kind: 'ident', text: 'Ticker_Symbol', value: 'TICKER_SYMBOL' });
  });

  it('keeps the case of quoted identifiers and unescapes doubled quotes', () => {
    expect(tokenize('"Company" "say ""hi"""').slice(0, 2)).toMatchObject([
      { kind: 'quoted', text: '"Company"', value: 'Company' },
      { kind: 'quoted', value: 'say "hi"' },
    ]);
  });

  it('reads string literals with doubled single quotes', () => {
    expect(tokenize("'it''s'")[0]).toMatchObject({ kind: 'string', text: "'it''s'", value: "it's" });
  });

  it('reads integers, decimals and exponents', () => {
    expect(kinds('42 3.14 .5 1e3 2.5E-2 7.')).toEqual([
      ['number', '42'], ['number', '3.14'], ['number', '.5'], ['number', '1e3'], ['number', '2.5E-2'], ['number', '7.'], ['eof', ''],
    ]);
  });

  it('prefers the longest operator', () => {
    expect(kinds('a<=b<>c!=d||e>=f').filter(([k]) => k === 'op').map(([, v]) => v)).toEqual(['<=', '<>', '!=', '||', '>=']);
    expect(kinds('(+-*/%=<>,.;)').filter(([k]) => k === 'op').map(([, v]) => v)).toEqual(['(', '+', '-', '*', '/', '%', '=', '<>', ',', '.', ';', ')']);
  });

  it('skips line and block comments, counting the lines they span', () => {
    const tokens = tokenize('-- header\nSELECT /* two\nlines */ x -- trailing\n  FROM s');
    expect(tokens.map((t) => [t.value, t.line, t.column])).toEqual([
      ['SELECT', 2, 1], ['X', 3, 10], ['FROM', 4, 3], ['S', 4, 8], ['', 4, 9],
    ]);
  });

  it('gives 1-based line and column for tokens after strings that contain newlines', () => {
    const tokens = tokenize("'a\nb' c");
    expect(tokens[1]).toMatchObject({ value: 'C', line: 2, column: 4 });
  });

  it('reports an unterminated string at its opening quote', () => {
    expect(errorOf("SELECT\n  'abc FROM s")).toMatchObject({ line: 2, column: 3, message: 'Syntax error at line 2, column 3: unterminated string literal' });
  });

  it('reports an unterminated quoted identifier, an unterminated comment and a stray character', () => {
    expect(errorOf('SELECT "abc')).toMatchObject({ line: 1, column: 8, detail: 'unterminated quoted identifier' });
    expect(errorOf('x /* no end')).toMatchObject({ line: 1, column: 3, detail: 'unterminated comment' });
    expect(errorOf('a\n b # c')).toMatchObject({ line: 2, column: 4, detail: 'unexpected character "#"' });
    expect(errorOf('SELECT 12abc')).toMatchObject({ line: 1, column: 8, detail: 'invalid number "12a"' });
  });
});
