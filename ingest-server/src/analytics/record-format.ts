/**
 * Input records to typed rows, and output rows to records, in the two formats KDA speaks.
 *
 * Owns: the JSONPath subset of source schemas, CSV splitting, the JSON→SQL conversion rules,
 * the column list an input schema yields, and the bytes written for JSON and CSV outputs.
 * Does not own: CAST itself (engine/values.ts), error_stream rows (app/error-stream.ts), nor
 * where records come from or go to.
 *
 * Column names: a RecordColumn Name is kept exactly as written and behaves as a quoted
 * identifier. SQL folds unquoted identifiers to upper case (sql/lexer.ts), so `TICKER_SYMBOL`
 * is reachable as ticker_symbol, while a discovered `price` must be written "price" — the
 * reason the console and discovery examples use upper-case names (KDA Developer Guide,
 * "Mapping Streaming Source Elements to SQL Input Columns"; "Using the Schema Discovery
 * Feature on Static Data", where `state` and `COL_year` come back as written).
 */
import { RivuletError } from '@rivulet/shared';
import { SqlRuntimeError } from './engine/errors.js';
import { castFunction, formatTimestamp, valueTypeOf, type Value, type ValueType } from './engine/values.js';
import type { SqlType } from './sql/ast.js';
import { tokenize } from './sql/lexer.js';
import { parseType } from './sql/parse-type.js';
import { TokenCursor } from './sql/token-cursor.js';
import type { RecordColumn, RecordFormat } from './schemas.js';

export type RecordFormatType = 'JSON' | 'CSV';
/** A column of an in-application input stream, as the planner sees it. */
export interface SourceColumn {
  name: string;
  type: ValueType;
  sqlType: SqlType;
}
export interface DecodeError {
  /** Names the column and the reason; goes to error_stream.MESSAGE. */
  message: string;
  /** The offending row's source text (the whole record when it did not parse). */
  raw: string;
  error: SqlRuntimeError;
}
export interface DecodeResult {
  rows: Value[][];
  errors: DecodeError[];
}
export interface RecordDecoder {
  (data: Buffer): DecodeResult;
  /** Bytes [start, end) of `block`, appending to `out` (the hot path reuses one result for every record). */
  readonly into: (block: Buffer, start: number, end: number, out: DecodeResult) => void;
  readonly columns: readonly SourceColumn[];
}

function recordDecoder(decode: (text: string, out: DecodeResult) => void, columns: readonly SourceColumn[]): RecordDecoder {
  const into = (block: Buffer, start: number, end: number, out: DecodeResult): void => decode(block.toString('utf8', start, end), out);
  return Object.assign((data: Buffer): DecodeResult => {
    const out: DecodeResult = { rows: [], errors: [] };
    into(data, 0, data.length, out);
    return out;
  }, { into, columns });
}
/** What the decoder needs of a SourceSchema / ReferenceSchema. */
export interface RecordSchema {
  RecordFormat: RecordFormat;
  RecordColumns: readonly RecordColumn[];
}

const invalid = (message: string, cause?: unknown): RivuletError =>
  new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message }, cause === undefined ? undefined : { cause });

/** `VARCHAR(4)` → `{ name: 'VARCHAR', length: 4 }`, with the SQL parser's type grammar. */
export function parseSqlType(text: string): SqlType {
  try {
    const cursor = new TokenCursor(tokenize(text));
    const type = parseType(cursor);
    if (!cursor.atEnd()) throw new Error(`unexpected text after the type`);
    return type;
  } catch (cause) {
    throw invalid(`SqlType '${text}' is not a valid SQL type`, cause);
  }
}

/** The input stream's columns: name as written, engine type from SqlType. */
export function sourceColumns(columns: readonly RecordColumn[]): SourceColumn[] {
  return columns.map((c) => {
    const sqlType = parseSqlType(c.SqlType);
    const type = valueTypeOf(sqlType);
    if (type === undefined) throw invalid(`SqlType ${c.SqlType} of column ${c.Name} is not supported`);
    return { name: c.Name, type, sqlType };
  });
}

function mismatch(column: SourceColumn, value: unknown, why: string): SqlRuntimeError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return new SqlRuntimeError('SchemaMismatch', `Column ${column.name} (${column.type}): cannot convert ${shown.slice(0, 200)}: ${why}`);
}

/**
 * Converts one source value (a JSON value, or CSV text) to the column's SQL type, after KDA
 * Developer Guide, "Mapping JSON Data Types to SQL Data Types": null → NULL; booleans are 1/0
 * for numbers and 'true'/'false' for text; numbers must fit (123.4 is no INT), are text for
 * CHAR/VARCHAR, non-zero for BOOLEAN, and fail for datetimes; a string is TRUE as a BOOLEAN only
 * when it says "true"; arrays and objects become their JSON text for CHAR/VARCHAR and fail
 * otherwise. Text is truncated to the column length without error. Throws SqlRuntimeError.
 */
export function compileValueConverter(column: SourceColumn): (value: unknown) => Value {
  const fromText = castFunction('VARCHAR', column.sqlType);
  const fromInteger = castFunction('INTEGER', column.sqlType);
  const fromDouble = castFunction('DOUBLE', column.sqlType);
  if (!fromText || !fromInteger || !fromDouble) throw invalid(`Column ${column.name} has an unsupported type`);
  const run = (cast: (v: Value) => Value, value: Value, original: unknown): Value => {
    try {
      return cast(value);
    } catch (cause) {
      throw mismatch(column, original, cause instanceof Error ? cause.message : String(cause));
    }
  };
  const { type } = column;
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'boolean') {
      if (type === 'BOOLEAN') return value;
      if (type === 'VARCHAR') return run(fromText, String(value), value);
      if (type === 'INTEGER' || type === 'DOUBLE') return run(fromInteger, value ? 1 : 0, value);
      throw mismatch(column, value, 'a boolean is not a datetime');
    }
    if (typeof value === 'number') {
      if (type === 'BOOLEAN') return value !== 0;
      if (type === 'VARCHAR') return run(fromText, String(value), value);
      if (type === 'INTEGER' && !Number.isInteger(value)) throw mismatch(column, value, 'not an integer');
      if (type === 'INTEGER' || type === 'DOUBLE') return run(Number.isInteger(value) ? fromInteger : fromDouble, value, value);
      throw mismatch(column, value, 'a number is not a datetime');
    }
    if (typeof value === 'string') {
      if (type === 'BOOLEAN') return value.trim().toLowerCase() === 'true';
      if (value.trim() === '' && type !== 'VARCHAR') return null;
      return run(fromText, value, value);
    }
    if (type === 'VARCHAR') return run(fromText, JSON.stringify(value), value);
    throw mismatch(column, value, `an ${Array.isArray(value) ? 'array' : 'object'} fits only CHAR or VARCHAR`);
  };
}

// ---- JSONPath: the subset KDA supports (Developer Guide, "Working with JSONPath"). ----

/** A name, `[0:]` (every element), or `[n]` (one element; a Rivulet extension). */
type PathStep = { kind: 'name'; name: string } | { kind: 'all' } | { kind: 'index'; index: number };

/** `$`, `$.a.b`, `$['a b']`, `$.orders[0:]`, `$.orders[0:].itemName`, `$.arr[2]`. Case-sensitive. */
export function parseJsonPath(path: string): PathStep[] {
  if (!path.startsWith('$')) throw invalid(`JSONPath ${path} must start with $`);
  const steps: PathStep[] = [];
  const re = /\.([^.[\]]+)|\[(?:'([^']*)'|"([^"]*)"|(\d+)(:)?)\]/y;
  let at = 1;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (!m) throw invalid(`JSONPath ${path} is not supported at offset ${at}`);
    at = re.lastIndex;
    const name = m[1] ?? m[2] ?? m[3];
    if (name !== undefined) steps.push({ kind: 'name', name });
    else if (m[5] === undefined) steps.push({ kind: 'index', index: Number(m[4]) });
    else if (m[4] === '0') steps.push({ kind: 'all' });
    else throw invalid(`JSONPath ${path}: the only array slice supported is [0:]`);
  }
  return steps;
}

/** Follows name and index steps; `[0:]` keeps the array itself. Missing → undefined. */
function follow(value: unknown, steps: readonly PathStep[]): unknown {
  let v = value;
  for (const step of steps) {
    if (v === null || v === undefined) return undefined;
    if (step.kind === 'name') v = typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.name) ? (v as Record<string, unknown>)[step.name] : undefined;
    else if (step.kind === 'index') v = Array.isArray(v) ? v[step.index] : undefined;
  }
  return v;
}

/** The rows a RecordRowPath selects: every `[0:]` in it, trailing or not, makes each element a row. */
function selectRows(value: unknown, steps: readonly PathStep[]): unknown[] {
  const i = steps.findIndex((s) => s.kind === 'all');
  if (i < 0) return [follow(value, steps)];
  const list = follow(value, steps.slice(0, i));
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => selectRows(item, steps.slice(i + 1)));
}

interface JsonColumnPlan {
  /** Steps from the row (or, for a flattened column, from the array element). */
  steps: PathStep[];
  flattened: boolean;
}

/**
 * Splits column mappings into plain ones and ones that flatten the single array a schema may
 * flatten ("Only one array can be flattened in a schema"; "only one level of dereferencing").
 */
function planJsonColumns(columns: readonly RecordColumn[]): { prefix: PathStep[] | undefined; plans: JsonColumnPlan[] } {
  let prefix: PathStep[] | undefined;
  let prefixText = '';
  const plans = columns.map((c): JsonColumnPlan => {
    const steps = parseJsonPath(c.Mapping ?? `$.${c.Name}`);
    const i = steps.findIndex((s, k) => s.kind === 'all' && k < steps.length - 1);
    if (i < 0) return { steps, flattened: false };
    const rest = steps.slice(i + 1);
    if (rest.some((s, k) => s.kind === 'all' && k < rest.length - 1)) throw invalid(`Mapping ${c.Mapping ?? ''}: only one level of array dereferencing is supported`);
    const text = JSON.stringify(steps.slice(0, i));
    if (prefix !== undefined && text !== prefixText) throw invalid(`Mapping ${c.Mapping ?? ''}: only one array can be flattened in a schema`);
    prefix = steps.slice(0, i);
    prefixText = text;
    return { steps: rest, flattened: true };
  });
  return { prefix, plans };
}

// ---- CSV ----

/**
 * Splits text into rows of fields. Delimiters may be several characters (`\r\n`, `||`). A field
 * that starts with `"` is quoted: delimiters inside it are data and `""` is one quote (RFC 4180).
 * Empty rows (blank lines, the text after a final row delimiter) are dropped.
 */
export function splitCsv(text: string, rowDelimiter: string, columnDelimiter: string): string[][] {
  const rows: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let i = 0;
  let fieldStart = true;
  const endRow = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push(fields);
    fields = [];
    field = '';
    fieldStart = true;
  };
  while (i < text.length) {
    if (fieldStart && text[i] === '"') {
      const close = quotedEnd(text, i + 1);
      field = text.slice(i + 1, close).replaceAll('""', '"');
      i = Math.min(close + 1, text.length);
      fieldStart = false;
      continue;
    }
    if (text.startsWith(rowDelimiter, i)) {
      endRow();
      i += rowDelimiter.length;
    } else if (text.startsWith(columnDelimiter, i)) {
      fields.push(field);
      field = '';
      fieldStart = true;
      i += columnDelimiter.length;
    } else {
      field += text[i];
      fieldStart = false;
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

/** Index of the quote closing a quoted field whose content starts at `from`. */
function quotedEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    if (text[q + 1] !== '"') return q;
    i = q + 2;
  }
}

// ---- Decoder ----

/**
 * Compiles an input (or reference) schema into a record decoder. A record may hold several
 * rows (CSV rows, a RecordRowPath with `[0:]`, a flattened array). A row whose value does not
 * convert is left out and reported, naming the column; the other rows survive. Missing JSON
 * elements are NULL, as are missing trailing CSV fields. Throws ANALYTICS_INVALID_ARGUMENT for
 * a schema that cannot be compiled.
 */
export function compileRecordDecoder(schema: RecordSchema): RecordDecoder {
  const columns = sourceColumns(schema.RecordColumns);
  const converters = columns.map(compileValueConverter);
  const toRow = (values: readonly unknown[]): Value[] => converters.map((convert, i) => convert(values[i]));
  const format = schema.RecordFormat;
  let decode: (text: string, out: DecodeResult) => void;
  if (format.RecordFormatType === 'CSV') {
    const csv = format.MappingParameters?.CSVMappingParameters;
    if (!csv) throw invalid('CSVMappingParameters are required for the CSV record format');
    decode = (text, out) => {
      for (const fields of splitCsv(text, csv.RecordRowDelimiter, csv.RecordColumnDelimiter)) {
        attempt(out, fields.join(csv.RecordColumnDelimiter), () => toRow(fields));
      }
    };
  } else {
    const rowPath = format.MappingParameters?.JSONMappingParameters?.RecordRowPath ?? '$';
    const rowSteps = parseJsonPath(rowPath);
    const { prefix, plans } = planJsonColumns(schema.RecordColumns);
    if (rowSteps.length === 0 && prefix === undefined) {
      // The common shape (one object per record, plain paths) on the hot path: no row
      // selection, no closures per row; the same results as the general decoder below.
      return recordDecoder(compileFlatJsonDecoder(plans.map((p) => p.steps), converters), columns);
    }
    decode = (text, out) => {
      const document = parseJsonRecord(text, out);
      if (document === undefined) return;
      for (const row of selectRows(document, rowSteps)) {
        if (row === undefined) {
          const error = new SqlRuntimeError('SchemaMismatch', `RecordRowPath ${rowPath} selects nothing in this record`);
          out.errors.push({ message: error.message, raw: text, error });
          continue;
        }
        const raw = row === document ? text : JSON.stringify(row) ?? 'null';
        const elements = prefix === undefined ? [undefined] : flattenedElements(row, prefix);
        for (const element of elements) {
          attempt(out, raw, () => toRow(plans.map((p) => follow(p.flattened ? element : row, p.steps))));
        }
      }
    };
  }
  return recordDecoder(decode, columns);
}

/** A decoder for RecordRowPath `$` with no flattened array: each record is one row. */
function compileFlatJsonDecoder(paths: readonly (readonly PathStep[])[], converters: readonly ((v: unknown) => Value)[]): (text: string, out: DecodeResult) => void {
  const width = converters.length;
  // A path of one name step (`$.price`) is a property read.
  const names = paths.map((steps) => (steps.length === 1 && steps[0]!.kind === 'name' ? steps[0]!.name : undefined));
  return (text, out) => {
    const document = parseJsonRecord(text, out);
    if (document === undefined) return;
    const object = document !== null && typeof document === 'object' && !Array.isArray(document) ? (document as Record<string, unknown>) : undefined;
    const row = new Array<Value>(width);
    try {
      for (let i = 0; i < width; i++) {
        const name = names[i];
        // Own properties only: a field named "constructor" must not read Object.prototype.
        const v = name !== undefined ? (object !== undefined && Object.hasOwn(object, name) ? object[name] : undefined) : follow(document, paths[i]!);
        row[i] = converters[i]!(v);
      }
    } catch (cause) {
      if (!(cause instanceof SqlRuntimeError)) throw cause;
      out.errors.push({ message: cause.message, raw: text, error: cause });
      return;
    }
    out.rows.push(row);
  };
}

/** The record as a JSON value, or undefined (no JSON text parses to it) once reported as not JSON. */
function parseJsonRecord(text: string, out: DecodeResult): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const error = new SqlRuntimeError('SchemaMismatch', `Record is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    out.errors.push({ message: error.message, raw: text, error });
    return undefined;
  }
}

/** "An array is always flattened to at least one row": empty or missing → one all-NULL row. */
function flattenedElements(row: unknown, prefix: readonly PathStep[]): unknown[] {
  const list = follow(row, prefix);
  return Array.isArray(list) && list.length > 0 ? list : [undefined];
}

function attempt(out: DecodeResult, raw: string, build: () => Value[]): void {
  try {
    out.rows.push(build());
  } catch (cause) {
    if (!(cause instanceof SqlRuntimeError)) throw cause;
    out.errors.push({ message: cause.message, raw, error: cause });
  }
}

// ---- Encoder ----

/** RFC 4180 quoting: only fields holding a comma, quote or line break are quoted. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Compiles an output row encoder for DestinationSchema.RecordFormatType. JSON: one object per
 * record keyed by column name, numbers and booleans as JSON values, TIMESTAMP as
 * 'yyyy-MM-dd HH:mm:ss.SSS' text, NULL as null, and no trailing newline (each row is its own
 * Kinesis record). CSV: fields joined by ',', NULL as an empty field, quoted when needed,
 * ending in '\n'.
 */
export function compileRecordEncoder(format: RecordFormatType, columns: readonly { name: string; type: ValueType }[]): (values: readonly Value[]) => Buffer {
  const text = (v: Value, type: ValueType): string | number | boolean | null =>
    v === null ? null : type === 'TIMESTAMP' && typeof v === 'number' ? formatTimestamp(v) : v;
  if (format === 'JSON') {
    return (values) => {
      const record: Record<string, string | number | boolean | null> = {};
      columns.forEach((c, i) => {
        record[c.name] = text(values[i] ?? null, c.type);
      });
      return Buffer.from(JSON.stringify(record), 'utf8');
    };
  }
  return (values) => {
    const fields = columns.map((c, i) => {
      const v = text(values[i] ?? null, c.type);
      return v === null ? '' : csvField(String(v));
    });
    return Buffer.from(`${fields.join(',')}\n`, 'utf8');
  };
}
