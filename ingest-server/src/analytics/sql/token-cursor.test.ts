import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer.js';
import { TokenCursor } from './token-cursor.js';

const cursor = (sql: string) => new TokenCursor(tokenize(sql));

describe('TokenCursor', () => {
  it('matches words case-insensitively, reserved or not, but never quoted identifiers', () => {
    const c = cursor('select Floor "FROM"');
    expect(c.isWord('SELECT')).toBe(true);
    expect(c.isWord('FLOOR', 1)).toBe(true);
    expect(c.isWord('FROM', 2)).toBe(false);
  });

  it('takes unquoted non-reserved words and quoted identifiers as names', () => {
    const c = cursor('ticker "Ticker" FROM');
    expect(c.expectName()).toBe('TICKER');
    expect(c.expectName()).toBe('Ticker');
    expect(() => c.expectName('a column name')).toThrow('Syntax error at line 1, column 17: expected a column name, found "FROM"');
  });

  it('keeps returning the eof token past the end', () => {
    const c = cursor('a');
    c.next();
    expect(c.next()).toMatchObject({ kind: 'eof', line: 1, column: 2 });
    expect(c.peek(5).kind).toBe('eof');
    expect(c.atEnd()).toBe(true);
  });

  it('describes strings, quoted names and the end of input in errors', () => {
    expect(() => cursor("'x'").expectOp('(')).toThrow(`expected "(", found string 'x'`);
    expect(() => cursor('"Q"').expectOp('(')).toThrow('expected "(", found "Q"');
    expect(() => cursor('').expectWord('SELECT')).toThrow('expected SELECT, found end of input');
  });
});
