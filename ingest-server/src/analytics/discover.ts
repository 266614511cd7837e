/**
 * DiscoverInputSchema: infers a SourceSchema from sample records.
 *
 * Owns: telling JSON from CSV, the column names discovery suggests, the SQL type of each
 * column, and the Parsed/Raw/ProcessedInputRecords of the response.
 * Does not own: reading the samples (stream, S3 object, Lambda preprocessing) nor the wire.
 *
 * After KDA Developer Guide, "Using the Schema Discovery Feature on Streaming Data" (naming) and
 * "... on Static Data" (the worked CSV example: header `year,month,state,...` gives `COL_year`,
 * `COL_month`, `state`; `AK` → VARCHAR(4), `ShortTons` → VARCHAR(16), a 35-character value →
 * VARCHAR(64); `2001` → INTEGER; CRLF files → RecordRowDelimiter "\r\n"; the header row comes
 * back in ParsedInputRecords with NULL where it does not fit a column's type).
 *
 * Rivulet's choices where the guide is silent: nested JSON objects become one column per leaf
 * (Mapping `$.a.b`, named after the leaf, or `a_b` when leaves collide); arrays are one VARCHAR
 * column holding their JSON text (`$.list[0:]`), never flattened; fractional numbers are DOUBLE
 * (not DECIMAL, whose scale would round); JSON strings stay VARCHAR unless every sample is a
 * 'yyyy-MM-dd HH:mm:ss[.fff]' TIMESTAMP; CSV text is typed (INTEGER/BIGINT/DOUBLE/BOOLEAN/
 * TIMESTAMP) since CSV has no types; CSV columns without a header are COL_0, COL_1, ...
 */
import { RivuletError } from '@rivulet/shared';
import { parseTimestamp } from './engine/values.js';
import { compileValueConverter, sourceColumns, splitCsv } from './record-format.js';
import type { RecordColumn, SourceSchema } from './schemas.js';
import { RESERVED_WORDS } from './sql/lexer.js';

export interface DiscoverResult {
  InputSchema: SourceSchema;
  /** One entry per row (a record may hold several), values as text; NULL where a value does not fit its column. */
  ParsedInputRecords: (string | null)[][];
  RawInputRecords: string[];
  ProcessedInputRecords: string[];
}

/**
 * Words discovery will not keep as a column name ("a reserved SQL keyword, such as TIMESTAMP,
 * USER, VALUES, or YEAR"): the parser's reserved words plus the SQL reserved words that are
 * common field names. Compared case-insensitively, as the guide's `year` → `COL_year` shows.
 */
const DISCOVERY_RESERVED: ReadonlySet<string> = new Set([
  ...RESERVED_WORDS,
  'BOOLEAN', 'CHAR', 'CURRENT', 'DATE', 'DAY', 'DECIMAL', 'DOUBLE', 'FLOAT', 'HOUR', 'INT', 'INTEGER', 'LANGUAGE',
  'MINUTE', 'MONTH', 'NUMERIC', 'POSITION', 'RANGE', 'REAL', 'ROW', 'ROWS', 'ROWTIME', 'SECOND', 'SYSTEM', 'TABLE',
  'TIME', 'TIMESTAMP', 'USER', 'VALUE', 'VALUES', 'VARCHAR', 'YEAR', 'SIZE', 'LOWER', 'UPPER', 'RESULT', 'START',
]);
const MAX_NAME_CHARS = 100;

/** A discovery column name: kept if it is a plain, unreserved name of at most 100 characters. */
export function discoveredName(source: string, position: number): string {
  const cleaned = source.replace(/[^A-Za-z0-9_]/g, '');
  const keep = source !== '' && cleaned === source && !/^\d/.test(source) && source.length <= MAX_NAME_CHARS && !DISCOVERY_RESERVED.has(source.toUpperCase());
  if (keep) return source;
  if (cleaned === '') return `COL_${position}`;
  return `COL_${cleaned}`.slice(0, MAX_NAME_CHARS);
}

/** VARCHAR sized to the longest sample, rounded up to a power of two, at least 4. */
function varchar(maxChars: number): string {
  let n = 4;
  while (n < maxChars && n < 65_535) n *= 2;
  return `VARCHAR(${Math.min(n, 65_535)})`;
}

const INT_RANGE = 2_147_483_647;
const INTEGER_TEXT = /^[+-]?\d{1,15}$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

/** The SQL type for a column's non-null samples. `typedText`: infer from text too (CSV). */
function inferType(values: readonly unknown[], typedText: boolean): string {
  const texts = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const longest = Math.max(1, ...texts.map((t) => t.length));
  if (values.length === 0) return varchar(longest);
  if (values.every((v) => typeof v === 'boolean' || (typedText && typeof v === 'string' && /^(true|false)$/i.test(v)))) return 'BOOLEAN';
  if (values.every((v) => typeof v === 'string' && TIMESTAMP_TEXT.test(v) && parseTimestamp(v) !== undefined)) return 'TIMESTAMP';
  const numbers = values.every((v) => typeof v === 'number' || (typedText && typeof v === 'string' && NUMBER_TEXT.test(v)));
  if (!numbers) return varchar(longest);
  const asNumbers = values.map(Number);
  if (!values.every((v) => (typeof v === 'number' ? Number.isInteger(v) : INTEGER_TEXT.test(v as string)))) return 'DOUBLE';
  return asNumbers.every((n) => Math.abs(n) <= INT_RANGE) ? 'INTEGER' : 'BIGINT';
}

interface Sampled {
  format: SourceSchema['RecordFormat'];
  /** Column source names (for naming), mappings (JSON), and the per-row values. */
  sources: { name: string; path: string; mapping?: string }[];
  rows: unknown[][];
  /** Rows that count toward types: all but a CSV header. */
  typedRows: unknown[][];
  typedText: boolean;
}

function asObjects(texts: readonly string[]): { rowPath: string; rows: Record<string, unknown>[] } | undefined {
  const docs: unknown[] = [];
  for (const text of texts) {
    try {
      docs.push(JSON.parse(text));
    } catch {
      return undefined; // Not JSON: the caller tries CSV next.
    }
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (docs.every(isObject)) return { rowPath: '$', rows: docs };
  if (docs.every((d) => Array.isArray(d) && d.every(isObject))) return { rowPath: '$[0:]', rows: (docs as Record<string, unknown>[][]).flat() };
  return undefined;
}

/** Leaf paths of an object, in document order: nested objects are walked, arrays are leaves. */
function leaves(value: Record<string, unknown>, prefix: string[], out: Map<string, string[]>): void {
  for (const [key, v] of Object.entries(value)) {
    const path = [...prefix, key];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) leaves(v as Record<string, unknown>, path, out);
    else out.set(JSON.stringify(path), path);
  }
}

const mappingOf = (path: readonly string[], isArray: boolean): string =>
  `$${path.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : k.includes("'") ? `["${k}"]` : `['${k}']`)).join('')}${isArray ? '[0:]' : ''}`;

function sampleJson(rowPath: string, objects: readonly Record<string, unknown>[]): Sampled {
  const paths = new Map<string, string[]>();
  for (const o of objects) leaves(o, [], paths);
  const list = [...paths.values()];
  const valueAt = (o: Record<string, unknown>, path: readonly string[]): unknown =>
    path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), o);
  const rows = objects.map((o) => list.map((p) => valueAt(o, p)));
  const leafCounts = new Map<string, number>();
  for (const p of list) leafCounts.set(p[p.length - 1] ?? '', (leafCounts.get(p[p.length - 1] ?? '') ?? 0) + 1);
  const sources = list.map((p, i) => {
    const leaf = p[p.length - 1] ?? '';
    const isArray = rows.some((r) => Array.isArray(r[i]));
    return { name: (leafCounts.get(leaf) ?? 0) > 1 ? p.join('_') : leaf, path: p.join('.'), mapping: mappingOf(p, isArray) };
  });
  return { format: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: rowPath } } }, sources, rows, typedRows: rows, typedText: false };
}

const COLUMN_DELIMITERS = [',', '\t', '|', ';'];

function sampleCsv(texts: readonly string[]): Sampled | undefined {
  const rowDelimiter = texts.some((t) => t.includes('\r\n')) ? '\r\n' : '\n';
  let best: { delimiter: string; rows: string[][]; width: number } | undefined;
  for (const delimiter of COLUMN_DELIMITERS) {
    const rows = texts.flatMap((t) => splitCsv(t, rowDelimiter, delimiter));
    const width = rows[0]?.length ?? 0;
    if (width > 1 && rows.every((r) => r.length === width) && (best === undefined || width > best.width)) best = { delimiter, rows, width };
  }
  if (!best) return undefined;
  const { rows, width, delimiter } = best;
  const first = rows[0] ?? [];
  const body = rows.slice(1);
  const typedBody = Array.from({ length: width }, (_, i) => inferType(body.map((r) => r[i]).filter((v) => v !== ''), true));
  // A header: distinct words over at least one typed column, where no header word fits the type.
  const header = body.length > 0 && new Set(first).size === width && first.every((f) => f !== '' && !NUMBER_TEXT.test(f))
    && typedBody.some((t, i) => !t.startsWith('VARCHAR') && inferType([first[i]], true) !== t);
  const sources = Array.from({ length: width }, (_, i) => ({ name: header ? first[i] ?? '' : '', path: String(i) }));
  return {
    format: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: rowDelimiter, RecordColumnDelimiter: delimiter } } },
    sources,
    rows,
    typedRows: header ? body : rows,
    typedText: true,
  };
}

function unableToDetect(message: string, raw: string[]): RivuletError {
  return new RivuletError('ANALYTICS_UNABLE_TO_DETECT_SCHEMA', { message }, { wireFields: { RawInputRecords: raw, ProcessedInputRecords: raw } });
}

/**
 * Infers the schema of `samples` (records after any preprocessing; `rawSamples` are the records
 * before it, when a Lambda preprocessor ran). The schema decodes every sample data row without
 * error. Throws ANALYTICS_UNABLE_TO_DETECT_SCHEMA, carrying RawInputRecords and
 * ProcessedInputRecords, when the records are neither JSON objects nor delimited text.
 */
export function discoverSchema(samples: readonly Buffer[], rawSamples: readonly Buffer[] = samples): DiscoverResult {
  const processed = samples.map((b) => b.toString('utf8'));
  const raw = rawSamples.map((b) => b.toString('utf8'));
  const texts = processed.filter((t) => t.trim() !== '');
  if (texts.length === 0) throw unableToDetect('No data found in the sampled records', raw);
  const objects = asObjects(texts);
  const sampled = objects ? sampleJson(objects.rowPath, objects.rows) : sampleCsv(texts);
  if (!sampled || sampled.sources.length === 0) throw unableToDetect('Unable to determine the format of the sampled records (expected JSON objects or delimited text)', raw);

  const used = new Set<string>();
  const RecordColumns: RecordColumn[] = sampled.sources.map((source, i) => {
    const values = sampled.typedRows.map((r) => r[i]).filter((v) => v !== null && v !== undefined && v !== '');
    let name = discoveredName(source.name, i);
    for (let n = 2; used.has(name.toUpperCase()); n++) name = `${discoveredName(source.name, i)}_${n}`;
    used.add(name.toUpperCase());
    const SqlType = inferType(values, sampled.typedText);
    return source.mapping === undefined ? { Name: name, SqlType } : { Name: name, Mapping: source.mapping, SqlType };
  });
  const InputSchema: SourceSchema = { RecordFormat: sampled.format, RecordEncoding: 'UTF-8', RecordColumns };

  const columns = sourceColumns(RecordColumns);
  const converters = columns.map(compileValueConverter);
  // As in the AWS example: the source text of each value that fits its column (untruncated),
  // NULL for one that does not; the conversion error itself is the expected outcome here.
  const ParsedInputRecords = sampled.rows.map((row) => converters.map((convert, i) => {
    const source = row[i];
    try {
      if (convert(source) === null) return null;
    } catch {
      return null;
    }
    return typeof source === 'string' ? source : JSON.stringify(source) ?? null;
  }));
  return { InputSchema, ParsedInputRecords, RawInputRecords: raw, ProcessedInputRecords: processed };
}
