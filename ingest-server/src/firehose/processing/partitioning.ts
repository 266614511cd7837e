/**
 * Dynamic-partitioning keys taken from JSON records: the MetadataExtraction processor.
 * Owns compiling its JQ-1.6 `MetadataExtractionQuery` and evaluating it per record. It does not own
 * prefix rendering (prefix.ts) nor where failed records go (the delivery side).
 *
 * AWS evaluates the query with jq 1.6. Rivulet accepts EXACTLY this subset and rejects anything else
 * at CreateDeliveryStream time with the position of the first unsupported character:
 *
 *   query  := '{' [ entry { ',' entry } ] '}'         whitespace allowed between tokens
 *   entry  := key ':' path  |  ident                   `{customer_id}` is jq shorthand for `{customer_id: .customer_id}`
 *   key    := ident | string                           ident = [A-Za-z_][A-Za-z0-9_]*, string = JSON string literal
 *   path   := '.' ident | '.' string | '.[' string ']' | '.[' int ']'    (the first step)
 *             followed by any number of: '.' ident | '.' string | '[' string ']' | '[' int ']' | '.[' ... ']'
 *   int    := -?[0-9]+                                 negative indexes count from the end, as in jq
 *
 * Not accepted: pipes (`|`), functions (`strftime`, `tostring`...), `.` alone, optional `?`,
 * slices, variables, arithmetic, and duplicate key names.
 *
 * Per record, a value must resolve to a string, number or boolean; it is stringified as jq prints it
 * (strings raw, numbers from IEEE doubles like jq 1.6, `true`/`false`). A missing field, null,
 * object or array, indexing a non-object/non-array, or a record that is not JSON is a per-record
 * failure with errorCode `DynamicPartitioning.MetadataExtractionFailed`; the record goes to the
 * error output prefix (AWS: "Troubleshoot dynamic partitioning errors").
 */
import { RivuletError } from '@rivulet/shared';

export type MetadataQuery = { keys: { name: string; path: (string | number)[] }[] };

export type PartitionKeysResult =
  | { ok: true; keys: Record<string, string> }
  | { ok: false; errorCode: string; errorMessage: string };

/** The error code AWS reports when inline parsing cannot produce a partition key. */
export const METADATA_EXTRACTION_FAILED = 'DynamicPartitioning.MetadataExtractionFailed';

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

class QueryParser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parse(): MetadataQuery {
    const keys: MetadataQuery['keys'] = [];
    const seen = new Set<string>();
    this.ws();
    this.expect('{');
    this.ws();
    if (this.peek() === '}') {
      this.pos++;
    } else {
      for (;;) {
        const at = this.pos;
        const entry = this.entry();
        if (seen.has(entry.name)) this.fail(`duplicate key "${entry.name}"`, at);
        seen.add(entry.name);
        keys.push(entry);
        this.ws();
        const c = this.peek();
        if (c === ',') {
          this.pos++;
          this.ws();
          continue;
        }
        if (c === '}') {
          this.pos++;
          break;
        }
        this.fail(c === undefined ? `expected ',' or '}' but the query ended` : `expected ',' or '}' but found '${c}'`);
      }
    }
    this.ws();
    if (this.pos < this.src.length) this.fail(`unexpected '${this.src[this.pos]}' after the object`);
    if (keys.length === 0) this.fail('the object defines no partition keys', 0);
    return { keys };
  }

  private entry(): { name: string; path: (string | number)[] } {
    const c = this.peek();
    let name: string;
    let isIdent = false;
    if (c === '"') name = this.string();
    else if (c !== undefined && IDENT_START.test(c)) {
      name = this.ident();
      isIdent = true;
    } else this.fail(c === undefined ? 'expected a key but the query ended' : `expected a key but found '${c}'`);
    this.ws();
    if (isIdent && (this.peek() === ',' || this.peek() === '}')) return { name, path: [name] };
    this.expect(':');
    this.ws();
    return { name, path: this.path() };
  }

  private path(): (string | number)[] {
    const steps: (string | number)[] = [];
    if (this.peek() !== '.') this.fail(this.describe('a path starting with "."'));
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        this.pos++;
        const n = this.peek();
        if (n === '"') steps.push(this.string());
        else if (n === '[') steps.push(this.bracket());
        else if (n !== undefined && IDENT_START.test(n)) steps.push(this.ident());
        else this.fail(this.describe('a field name after "."'));
      } else if (c === '[' && steps.length > 0) {
        steps.push(this.bracket());
      } else break;
    }
    return steps;
  }

  private bracket(): string | number {
    this.expect('[');
    this.ws();
    let step: string | number;
    const c = this.peek();
    if (c === '"') step = this.string();
    else if (c !== undefined && /[-0-9]/.test(c)) step = this.int();
    else this.fail(this.describe('a string or an integer inside [ ]'));
    this.ws();
    this.expect(']');
    return step;
  }

  private int(): number {
    const m = /^-?[0-9]+/.exec(this.src.slice(this.pos));
    if (!m) this.fail(this.describe('an integer'));
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private ident(): string {
    const start = this.pos;
    while (this.pos < this.src.length && IDENT_PART.test(this.src[this.pos] ?? '')) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** A JSON string literal; JSON.parse does the escape handling. */
  private string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '\\') this.pos += 2;
      else if (c === '"') {
        this.pos++;
        try {
          return JSON.parse(this.src.slice(start, this.pos)) as string;
        } catch (err) {
          this.fail('invalid string literal', start, err);
        }
      } else this.pos++;
    }
    this.fail('unterminated string literal', start);
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(this.describe(`'${c}'`));
    this.pos++;
  }

  private describe(wanted: string): string {
    const c = this.peek();
    return c === undefined ? `expected ${wanted} but the query ended` : `expected ${wanted} but found '${c}'`;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private fail(what: string, at = this.pos, cause?: unknown): never {
    throw new RivuletError(
      'FIREHOSE_INVALID_ARGUMENT',
      { message: `MetadataExtractionQuery is not supported at position ${at}: ${what}. Rivulet accepts an object of paths such as {customer_id:.customer_id, device:.device.id}.` },
      { cause },
    );
  }
}

/** Compiles a MetadataExtractionQuery; syntax outside the subset → FIREHOSE_INVALID_ARGUMENT with the position. */
export function compileMetadataQuery(query: string): MetadataQuery {
  return new QueryParser(query).parse();
}

function fail(errorMessage: string): PartitionKeysResult {
  return { ok: false, errorCode: METADATA_EXTRACTION_FAILED, errorMessage };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function showPath(path: (string | number)[]): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `.${JSON.stringify(s)}`)).join('');
}

/** Evaluates the compiled query against one record's bytes. Never throws. */
export function extractPartitionKeys(q: MetadataQuery, data: Buffer): PartitionKeysResult {
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch {
    return fail('Non JSON record provided');
  }
  const keys: Record<string, string> = {};
  for (const { name, path } of q.keys) {
    let v: unknown = doc;
    for (const step of path) {
      if (v === null || v === undefined) {
        v = null; // jq: indexing null yields null
        break;
      }
      if (typeof step === 'number') {
        if (!Array.isArray(v)) return fail(`Cannot index ${typeName(v)} with number for partition key ${name} (${showPath(path)})`);
        v = v.at(step);
      } else {
        if (typeof v !== 'object' || Array.isArray(v)) return fail(`Cannot index ${typeName(v)} with "${step}" for partition key ${name} (${showPath(path)})`);
        v = Object.hasOwn(v, step) ? (v as Record<string, unknown>)[step] : undefined;
      }
    }
    if (typeof v === 'string') keys[name] = v;
    else if (typeof v === 'boolean') keys[name] = String(v);
    else if (typeof v === 'number') keys[name] = String(v);
    else return fail(`Partition key ${name} (${showPath(path)}) resolved to ${v === undefined ? 'null' : typeName(v)}; expected a string, number or boolean`);
  }
  return { ok: true, keys };
}
