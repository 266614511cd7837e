/**
 * Firehose record format conversion, JSON → Apache Parquet. Owns the mapping from Glue/Hive column
 * types to Parquet types, the JSON value coercion (OpenX JSON SerDe style: keys matched
 * case-insensitively, missing fields null), and writing one file with hyparquet-writer. It does not
 * own where the schema comes from (AWS reads a Glue table; we take a column list), object naming,
 * or routing failed records to the format-conversion-failed prefix.
 *
 * Type mapping (every column is OPTIONAL):
 *   string, varchar(n), char(n) → BYTE_ARRAY UTF8 (varchar/char values longer than n are truncated,
 *                                  as Hive does; char is not space-padded)
 *   boolean → BOOLEAN;  tinyint → INT32 INT_8;  smallint → INT32 INT_16;  int/integer → INT32;
 *   bigint → INT64;  float → FLOAT;  double → DOUBLE
 *   decimal(p,s) → a true DECIMAL (INT32 when p ≤ 9, INT64 when p ≤ 18, else FIXED_LEN_BYTE_ARRAY),
 *                  rounded half-up to s places; `decimal` alone is Hive's decimal(10,0)
 *   date → INT32 DATE;  timestamp → INT64 TIMESTAMP_MILLIS (Firehose writes Hive's INT96; readers
 *                  such as Athena, Spark and DuckDB read both)
 */
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { RivuletError } from '@rivulet/shared';

export interface ParquetColumn {
  name: string;
  type: string;
}

export interface ParquetOptions {
  compression: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP';
}

type ColumnKind =
  | { kind: 'string'; maxChars?: number }
  | { kind: 'boolean' }
  | { kind: 'int'; bits: 8 | 16 | 32 }
  | { kind: 'bigint' }
  | { kind: 'float' }
  | { kind: 'double' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'date' }
  | { kind: 'timestamp' };

const SIMPLE_TYPES: Record<string, ColumnKind> = {
  string: { kind: 'string' },
  boolean: { kind: 'boolean' },
  tinyint: { kind: 'int', bits: 8 },
  smallint: { kind: 'int', bits: 16 },
  int: { kind: 'int', bits: 32 },
  integer: { kind: 'int', bits: 32 },
  bigint: { kind: 'bigint' },
  float: { kind: 'float' },
  double: { kind: 'double' },
  date: { kind: 'date' },
  timestamp: { kind: 'timestamp' },
};

// Hive limits: varchar(1..65535), char(1..255), decimal precision 1..38 with 0 ≤ scale ≤ precision.
function parseColumnType(type: string): ColumnKind | string {
  const t = type.trim().toLowerCase();
  const simple = SIMPLE_TYPES[t];
  if (simple) return simple;
  const chars = /^(varchar|char)\s*\(\s*(\d+)\s*\)$/.exec(t);
  if (chars) {
    const n = Number(chars[2]);
    const max = chars[1] === 'varchar' ? 65535 : 255;
    if (n < 1 || n > max) return `${chars[1]} length must be between 1 and ${max}`;
    return { kind: 'string', maxChars: n };
  }
  const dec = /^decimal(?:\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/.exec(t);
  if (dec) {
    const precision = dec[1] === undefined ? 10 : Number(dec[1]);
    const scale = dec[2] === undefined ? 0 : Number(dec[2]);
    if (precision < 1 || precision > 38) return 'decimal precision must be between 1 and 38';
    if (scale > precision) return 'decimal scale must not exceed its precision';
    return { kind: 'decimal', precision, scale };
  }
  return `unsupported type (supported: string, varchar(n), char(n), boolean, tinyint, smallint, int, integer, bigint, float, double, decimal(p,s), date, timestamp)`;
}

function invalidSchema(message: string): RivuletError {
  return new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Invalid Parquet schema: ${message}` });
}

function resolveSchema(columns: ParquetColumn[]): ColumnKind[] {
  if (!Array.isArray(columns) || columns.length === 0) throw invalidSchema('at least one column is required');
  const seen = new Set<string>();
  return columns.map((column, i) => {
    if (typeof column?.name !== 'string' || column.name.trim() === '') throw invalidSchema(`column ${i} has no name`);
    // Hive column names are case-insensitive, so "Id" and "id" are the same column.
    const lower = column.name.toLowerCase();
    if (seen.has(lower)) throw invalidSchema(`duplicate column name "${column.name}"`);
    seen.add(lower);
    const kind = typeof column.type === 'string' ? parseColumnType(column.type) : 'type must be a string';
    if (typeof kind === 'string') throw invalidSchema(`column "${column.name}" has type ${JSON.stringify(column.type)}: ${kind}`);
    return kind;
  });
}

/** Validates a schema at CreateDeliveryStream time (unknown type, empty, duplicate names → FIREHOSE_INVALID_ARGUMENT). */
export function validateParquetSchema(columns: ParquetColumn[]): void {
  resolveSchema(columns);
}

function schemaElement(name: string, kind: ColumnKind): SchemaElement {
  const base = { name, repetition_type: 'OPTIONAL' as const };
  switch (kind.kind) {
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'int':
      if (kind.bits === 8) return { ...base, type: 'INT32', converted_type: 'INT_8' };
      if (kind.bits === 16) return { ...base, type: 'INT32', converted_type: 'INT_16' };
      return { ...base, type: 'INT32' };
    case 'bigint':
      return { ...base, type: 'INT64' };
    case 'float':
      return { ...base, type: 'FLOAT' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'decimal': {
      const { precision, scale } = kind;
      const dec = { ...base, converted_type: 'DECIMAL' as const, precision, scale };
      if (precision <= 9) return { ...dec, type: 'INT32' };
      if (precision <= 18) return { ...dec, type: 'INT64' };
      // Smallest two's-complement width that holds 10^precision - 1.
      return { ...dec, type: 'FIXED_LEN_BYTE_ARRAY', type_length: Math.ceil((precision * Math.log2(10) + 1) / 8) };
    }
    case 'date':
      return { ...base, type: 'INT32', converted_type: 'DATE' };
    case 'timestamp':
      return { ...base, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' };
  }
}

/** A value that does not fit its column; the record goes to `failed`. */
class CoercionError extends Error {}

const INT_RANGES = { 8: 2 ** 7, 16: 2 ** 15, 32: 2 ** 31 } as const;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAY_MS = 86_400_000;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function toInteger(value: unknown, what: string): bigint {
  if (typeof value === 'number') {
    // JSON numbers past 2^53 have already lost digits in JSON.parse; refuse rather than corrupt.
    if (!Number.isSafeInteger(value)) throw new CoercionError(`${describe(value)} is not an exact integer for ${what} (send large values as strings)`);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim());
  throw new CoercionError(`${describe(value)} is not an integer for ${what}`);
}

function toFloat(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new CoercionError(`${describe(value)} is not a number for ${what}`);
}

/** Decimal text (optionally with an exponent) → the unscaled value at `scale`, rounded half-up. */
function toUnscaledDecimal(value: unknown, precision: number, scale: number): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : null;
  const m = text === null ? null : /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  const what = `decimal(${precision},${scale})`;
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new CoercionError(`${describe(value)} is not a number for ${what}`);
  const fraction = m[3] ?? '';
  const digits = BigInt(`${m[2] ?? ''}${fraction}` || '0');
  const shift = Number(m[4] ?? '0') - fraction.length + scale;
  let unscaled: bigint;
  if (shift >= 0) {
    if (shift > 80) throw new CoercionError(`${describe(value)} overflows ${what}`);
    unscaled = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(Math.min(-shift, 200));
    unscaled = digits / divisor + ((digits % divisor) * 2n >= divisor ? 1n : 0n);
  }
  // Hive turns an overflowing decimal into NULL; Firehose reports it, so we fail the record.
  if (unscaled >= 10n ** BigInt(precision)) throw new CoercionError(`${describe(value)} overflows ${what}`);
  return m[1] === '-' ? -unscaled : unscaled;
}

const ISO_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch millis (number or digit string), ISO-8601, or Hive's yyyy-MM-dd HH:mm:ss[.fff]; no zone means UTC. */
function toEpochMillis(value: unknown): bigint {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CoercionError(`${describe(value)} is not a timestamp`);
    return BigInt(Math.trunc(value));
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^-?\d+$/.test(s)) return BigInt(s);
    const m = ISO_TIMESTAMP.exec(s);
    if (m) {
      const fraction = (m[3] ?? '').slice(0, 4); // keep millisecond precision
      let zone = (m[4] ?? 'Z').toUpperCase();
      if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
      else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
      const millis = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${fraction}${zone}`);
      if (Number.isFinite(millis) && validCalendarDate(m[1]!)) return BigInt(millis);
    }
  }
  throw new CoercionError(`${describe(value)} is not a timestamp (ISO-8601, yyyy-MM-dd HH:mm:ss or epoch millis)`);
}

function validCalendarDate(ymd: string): boolean {
  const [y, mo, d] = ymd.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function toEpochDays(value: unknown): number {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) && validCalendarDate(value.trim())) {
    return Math.floor(Date.parse(`${value.trim()}T00:00:00Z`) / DAY_MS);
  }
  throw new CoercionError(`${describe(value)} is not a date (yyyy-MM-dd)`);
}

/** Coerces one JSON value to what hyparquet-writer expects for the column; null stays null. */
function coerce(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  switch (kind.kind) {
    case 'string': {
      // The OpenX SerDe hands nested JSON to a string column as its JSON text.
      const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
      if (kind.maxChars === undefined) return text;
      const chars = Array.from(text);
      return chars.length > kind.maxChars ? chars.slice(0, kind.maxChars).join('') : text;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      throw new CoercionError(`${describe(value)} is not a boolean`);
    case 'int': {
      const n = toInteger(value, `a ${kind.bits}-bit int`);
      const limit = BigInt(INT_RANGES[kind.bits]);
      if (n < -limit || n >= limit) throw new CoercionError(`${describe(value)} is out of range for a ${kind.bits}-bit int`);
      return Number(n);
    }
    case 'bigint': {
      const n = toInteger(value, 'bigint');
      if (n < INT64_MIN || n > INT64_MAX) throw new CoercionError(`${describe(value)} is out of range for bigint`);
      return n;
    }
    case 'float':
      return toFloat(value, 'float');
    case 'double':
      return toFloat(value, 'double');
    case 'decimal':
      return toUnscaledDecimal(value, kind.precision, kind.scale);
    case 'date':
      return toEpochDays(value);
    case 'timestamp':
      return toEpochMillis(value);
  }
}

/**
 * Converts JSON records (each Buffer is one JSON object) into one Parquet file. Records that are
 * not JSON objects or whose values cannot be coerced to the column type are returned in `failed`
 * (Firehose sends them to format-conversion-failed) and left out.
 */
export function convertToParquet(
  records: Buffer[],
  columns: ParquetColumn[],
  options: ParquetOptions,
): { body: Buffer | null; failed: { index: number; message: string }[] } {
  const kinds = resolveSchema(columns);
  const codec = options.compression;
  if (codec !== 'UNCOMPRESSED' && codec !== 'SNAPPY' && codec !== 'GZIP') {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Unknown Parquet compression ${JSON.stringify(codec)}; expected UNCOMPRESSED, SNAPPY or GZIP` });
  }
  const lowerNames = columns.map((c) => c.name.toLowerCase());
  const data: unknown[][] = columns.map(() => []);
  const failed: { index: number; message: string }[] = [];

  records.forEach((record, index) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(record.toString('utf8'));
    } catch (e) {
      failed.push({ index, message: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      failed.push({ index, message: 'not a JSON object' });
      return;
    }
    // OpenX JSON SerDe default: keys match columns case-insensitively (a later key wins).
    const fields = new Map<string, unknown>();
    for (const [key, value] of Object.entries(parsed)) fields.set(key.toLowerCase(), value);
    const row: unknown[] = [];
    for (let c = 0; c < kinds.length; c++) {
      try {
        row.push(coerce(fields.get(lowerNames[c]!), kinds[c]!));
      } catch (e) {
        if (!(e instanceof CoercionError)) throw e;
        failed.push({ index, message: `column "${columns[c]!.name}": ${e.message}` });
        return;
      }
    }
    row.forEach((value, c) => data[c]!.push(value));
  });

  const rowCount = data[0]?.length ?? 0;
  if (rowCount === 0) return { body: null, failed };

  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }, ...columns.map((c, i) => schemaElement(c.name, kinds[i]!))];
  try {
    const buffer = parquetWriteBuffer({
      schema,
      columnData: columns.map((c, i) => ({ name: c.name, data: data[i]! })),
      codec,
      // hyparquet-writer brings Snappy itself; GZIP needs a compressor (Parquet GZIP pages are gzip members).
      compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
      createdBy: 'rivulet (hyparquet-writer)',
    });
    return { body: Buffer.from(buffer), failed };
  } catch (cause) {
    throw new RivuletError('FIREHOSE_FORMAT_CONVERSION', { message: `writing Parquet failed: ${(cause as Error).message}` }, { cause });
  }
}
