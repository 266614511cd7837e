/**
 * A JSON parser that reads request bodies straight from their Buffer. JSON.parse needs one
 * string of the whole body, and for PutRecords that is megabytes of base64: allocating it costs
 * more than parsing (fresh pages for each large string). Here each string value is sliced out of
 * the Buffer on its own, found with native indexOf, so no large string is ever made.
 *
 * It accepts exactly RFC 8259 JSON with two deliberate differences, both harmless here:
 * raw control characters inside strings are accepted (JSON.parse refuses them), and nesting
 * deeper than MAX_DEPTH is refused (JSON.parse would accept it). A "__proto__" key becomes an
 * own property, as with JSON.parse, never the object's prototype.
 */
import { isAscii } from 'node:buffer';

export const MAX_DEPTH = 256;

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

class Parser {
  private pos = 0;
  /** The next backslash at or after pos (buf.length when none): found once, reused while ahead. */
  private nextSlash = -1;

  constructor(private readonly buf: Buffer) {}

  parse(): unknown {
    const value = this.value(0);
    this.skipWhitespace();
    if (this.pos !== this.buf.length) throw new JsonSyntaxError('Unexpected data after the JSON value', this.pos);
    return value;
  }

  private skipWhitespace(): void {
    const buf = this.buf;
    let c = buf[this.pos];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++this.pos];
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('JSON nested too deeply', this.pos);
    this.skipWhitespace();
    const c = this.buf[this.pos];
    switch (c) {
      case 0x7b:
        return this.object(depth);
      case 0x5b:
        return this.array(depth);
      case QUOTE:
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        throw new JsonSyntaxError(c === undefined ? 'Unexpected end of JSON' : 'Unexpected character', this.pos);
    }
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipWhitespace();
    if (this.buf[this.pos] === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.buf[this.pos] !== QUOTE) throw new JsonSyntaxError('Expected a property name', this.pos);
      const key = this.string();
      this.skipWhitespace();
      if (this.buf[this.pos] !== 0x3a) throw new JsonSyntaxError("Expected ':'", this.pos);
      this.pos++;
      const value = this.value(depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.skipWhitespace();
      const c = this.buf[this.pos++];
      if (c === 0x7d) return out;
      if (c !== 0x2c) throw new JsonSyntaxError("Expected ',' or '}'", this.pos - 1);
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.buf[this.pos++];
      if (c === 0x5d) return out;
      if (c !== 0x2c) throw new JsonSyntaxError("Expected ',' or ']'", this.pos - 1);
    }
  }

  private string(): string {
    const buf = this.buf;
    const start = this.pos + 1;
    const end = buf.indexOf(QUOTE, start);
    if (end < 0) throw new JsonSyntaxError('Unterminated string', this.pos);
    if (this.nextSlash < start) {
      const found = buf.indexOf(BACKSLASH, start);
      this.nextSlash = found < 0 ? buf.length : found;
    }
    const slash = this.nextSlash;
    if (slash > end) {
      this.pos = end + 1;
      const raw = buf.subarray(start, end);
      return isAscii(raw) ? raw.toString('latin1') : raw.toString('utf8');
    }
    // Escapes: find the real closing quote, then let JSON.parse decode just this string.
    let i = slash;
    while (i < buf.length) {
      const c = buf[i];
      if (c === BACKSLASH) i += 2;
      else if (c === QUOTE) break;
      else i++;
    }
    if (i >= buf.length) throw new JsonSyntaxError('Unterminated string', this.pos);
    const text = buf.toString('utf8', this.pos, i + 1);
    this.pos = i + 1;
    try {
      return JSON.parse(text) as string;
    } catch {
      throw new JsonSyntaxError('Bad escape in string', start);
    }
  }

  private number(): number {
    const buf = this.buf;
    const start = this.pos;
    let c = buf[this.pos];
    while (c !== undefined && (c === 0x2d || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65 || (c >= 0x30 && c <= 0x39))) c = buf[++this.pos];
    const text = buf.toString('latin1', start, this.pos);
    if (!NUMBER.test(text)) throw new JsonSyntaxError('Bad number', start);
    return Number(text);
  }

  private literal(word: string, value: boolean | null): boolean | null {
    if (this.buf.toString('latin1', this.pos, this.pos + word.length) !== word) throw new JsonSyntaxError('Unexpected token', this.pos);
    this.pos += word.length;
    return value;
  }
}

/** Parses a JSON document held in a Buffer; throws JsonSyntaxError on anything malformed. */
export function parseJsonBuffer(buf: Buffer): unknown {
  return new Parser(buf).parse();
}
