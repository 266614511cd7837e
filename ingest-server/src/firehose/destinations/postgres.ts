/**
 * PostgresLoader: the Redshift destination, played by PostgreSQL. Loads one batch of records
 * with COPY ... FROM STDIN (pg-copy-streams) in one transaction, and records the batch id in a
 * bookkeeping table in that same transaction, so a batch is loaded exactly once however often
 * the caller retries it. Owns the JDBC URL, identifier quoting, the Redshift CopyOptions subset
 * we honour and the record encoding; it does not stage to S3, retry or schedule.
 *
 * Decisions, following Redshift COPY (docs.aws.amazon.com/redshift/latest/dg/r_COPY.html):
 * - columns empty = no column list: every (non-generated) table column, in table order.
 * - json 'auto': each record holds one JSON object (or several, one per line); its top-level
 *   keys match column names exactly, so with Redshift's lowercase names keys must be lowercase.
 *   json 'auto ignorecase' matches case-insensitively. Missing keys load NULL, unknown keys are
 *   ignored, nested objects and arrays load as JSON text.
 * - otherwise each record is passed through as delimited lines: csv [quote [as] 'c'] or, as
 *   Redshift's default, text with delimiter '|'; delimiter [as] 'x' and null as 'x' apply to both.
 * - Unquoted identifiers fold to lowercase, as in Redshift; "quoted" ones are kept exactly.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RivuletError } from '@rivulet/shared';

export interface PostgresTarget {
  /** jdbc:postgresql://host[:port]/db (jdbc:redshift:// is accepted too) */
  jdbcUrl: string;
  username: string;
  password: string;
  /** schema.table or table */
  table: string;
  /** Redshift CopyCommand.DataTableColumns; empty = all table columns. */
  columns: string[];
  /** Redshift CopyCommand.CopyOptions, e.g. "json 'auto'", "csv", "delimiter '|'". */
  copyOptions: string;
}

/** The bookkeeping table; it lives in the connection's default schema. */
export const BATCH_TABLE = 'rivulet_firehose_batches';

type Format =
  | { kind: 'json'; ignoreCase: boolean }
  | { kind: 'csv' | 'text'; delimiter?: string; quote?: string; nullAs?: string };

export class PostgresLoader {
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly columns: string[];
  private readonly format: Format;
  private readonly destination: string;
  private bookkeeping: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly target: PostgresTarget) {
    const { host, port, database } = parseJdbcUrl(target.jdbcUrl);
    this.table = parseQualifiedName(target.table);
    this.columns = target.columns.map((c) => quoteIdentifier(parseIdentifier(c)));
    this.format = parseCopyOptions(target.copyOptions);
    this.destination = `postgres://${host}:${port}/${database} table ${target.table}`;
    this.pool = new pg.Pool({ host, port, database, user: target.username, password: target.password, max: 4, connectionTimeoutMillis: 10_000 });
    // An idle client whose server went away emits here; the pool drops it and the next load
    // reconnects (or fails with FIREHOSE_DELIVERY), so there is nothing more to do with it.
    this.pool.on('error', () => undefined);
  }

  /**
   * Loads one batch in one transaction. A batchId already recorded is not loaded again: it is
   * reported as skipped with the row count it loaded the first time.
   */
  async load(records: Buffer[], batchId: string): Promise<{ rows: number; skipped: boolean }> {
    if (batchId.length === 0) throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: 'A batch id must not be empty' });
    if (this.closed) throw this.failure('the loader is closed');
    // Encode first, so a malformed record fails the batch before any COPY starts.
    const encoded = this.format.kind === 'json' ? null : passThrough(records);
    let client: pg.PoolClient;
    try {
      await this.ensureBookkeeping();
      client = await this.pool.connect();
    } catch (err) {
      throw this.failure(`connecting: ${pgErrorText(err)}`, err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // Concurrent loads of one batch id queue on this row lock; the later one sees it recorded.
      const claim = await client.query(`INSERT INTO ${BATCH_TABLE} (batch_id, table_name, row_count) VALUES ($1, $2, 0) ON CONFLICT (batch_id) DO NOTHING`, [batchId, this.target.table]);
      if (claim.rowCount === 0) {
        const previous = await client.query<{ row_count: string }>(`SELECT row_count FROM ${BATCH_TABLE} WHERE batch_id = $1`, [batchId]);
        await client.query('ROLLBACK');
        return { rows: Number(previous.rows[0]?.row_count ?? 0), skipped: true };
      }
      let body: Buffer[];
      let columnList = this.columns;
      if (this.format.kind === 'json') {
        if (columnList.length === 0) columnList = (await tableColumns(client, this.table)).map(quoteIdentifier);
        body = jsonToCsv(records, columnList.map(unquoteIdentifier), this.format.ignoreCase, (message, cause) => this.failure(message, cause));
      } else {
        body = encoded ?? [];
      }
      const rows = body.length === 0 ? 0 : await copyRows(client, this.copySql(columnList), body);
      await client.query(`UPDATE ${BATCH_TABLE} SET row_count = $2 WHERE batch_id = $1`, [batchId, rows]);
      await client.query('COMMIT');
      return { rows, skipped: false };
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      if (err instanceof RivuletError) throw err;
      throw this.failure(`loading batch ${batchId}: ${pgErrorText(err)}`, err);
    } finally {
      // A client whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private copySql(columns: string[]): string {
    const list = columns.length > 0 ? ` (${columns.join(', ')})` : '';
    const f = this.format;
    const options = f.kind === 'json' ? ['FORMAT csv'] : [`FORMAT ${f.kind}`, `DELIMITER ${quoteLiteral(f.delimiter ?? (f.kind === 'text' ? '|' : ','))}`];
    if (f.kind !== 'json' && f.quote !== undefined) options.push(`QUOTE ${quoteLiteral(f.quote)}`);
    if (f.kind !== 'json' && f.nullAs !== undefined) options.push(`NULL ${quoteLiteral(f.nullAs)}`);
    return `COPY ${this.table}${list} FROM STDIN WITH (${options.join(', ')})`;
  }

  private ensureBookkeeping(): Promise<void> {
    this.bookkeeping ??= this.pool
      .query(`CREATE TABLE IF NOT EXISTS ${BATCH_TABLE} (batch_id text PRIMARY KEY, table_name text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), row_count bigint NOT NULL)`)
      .then(
        () => undefined,
        (err: unknown) => {
          // Two loaders creating it at once: the loser sees a duplicate type or table, and the table exists.
          const code = (err as { code?: string }).code;
          if (code === '23505' || code === '42P07') return;
          this.bookkeeping = null;
          throw err;
        },
      );
    return this.bookkeeping;
  }

  private failure(message: string, cause?: unknown): RivuletError {
    return new RivuletError('FIREHOSE_DELIVERY', { destination: this.destination, message }, { cause });
  }
}

async function copyRows(client: pg.PoolClient, sql: string, body: Buffer[]): Promise<number> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(body), stream);
  return stream.rowCount;
}

async function tableColumns(client: pg.PoolClient, table: string): Promise<string[]> {
  const result = await client.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
    [table],
  );
  return result.rows.map((r) => r.attname);
}

/** Delimited records go to COPY as they are, each ending with a newline. */
function passThrough(records: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const record of records) {
    if (record.length === 0) continue;
    out.push(record);
    if (record[record.length - 1] !== 0x0a) out.push(Buffer.from('\n'));
  }
  return out;
}

/** JSON records become CSV rows in column order; NULL is the unquoted empty field. */
type Fail = (message: string, cause?: unknown) => RivuletError;

function jsonToCsv(records: Buffer[], columns: string[], ignoreCase: boolean, fail: Fail): Buffer[] {
  const index = new Map<string, number>();
  columns.forEach((c, i) => index.set(ignoreCase ? c.toLowerCase() : c, i));
  const rows: Buffer[] = [];
  records.forEach((record, n) => {
    for (const object of parseJsonObjects(record.toString('utf8'), n, fail)) {
      const fields: (string | null)[] = columns.map(() => null);
      for (const [key, value] of Object.entries(object)) {
        const i = index.get(ignoreCase ? key.toLowerCase() : key);
        if (i !== undefined) fields[i] = jsonValueText(value);
      }
      rows.push(Buffer.from(`${fields.map((f) => (f === null ? '' : `"${f.replace(/"/g, '""')}"`)).join(',')}\n`));
    }
  });
  return rows;
}

function parseJsonObjects(text: string, recordIndex: number, fail: Fail): Record<string, unknown>[] {
  let values: unknown[];
  try {
    values = [JSON.parse(text)];
  } catch {
    // Firehose concatenates records, so one record may carry several objects, one per line.
    try {
      values = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
    } catch (err) {
      throw fail(`record ${recordIndex} is not valid JSON`, err);
    }
  }
  return values.map((v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(`record ${recordIndex} is not a JSON object (json 'auto' loads objects)`);
    return v as Record<string, unknown>;
  });
}

/** "23505 duplicate key value ..." - the SQLSTATE first, so the caller can tell failures apart. */
function pgErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${err.message}` : err.message;
}

function jsonValueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Parses jdbc:postgresql://host[:port]/database[?params] (or jdbc:redshift://, default port 5439). */
export function parseJdbcUrl(url: string): { host: string; port: number; database: string } {
  const m = /^jdbc:(postgresql|redshift):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/([^/?#]+)(?:\?[^#]*)?$/.exec(url);
  const bad = () => new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `${JSON.stringify(url)} is not a jdbc:postgresql://host:port/database URL` });
  if (!m) throw bad();
  const [, scheme, rawHost = '', rawPort, rawDb = ''] = m;
  const port = rawPort === undefined ? (scheme === 'redshift' ? 5439 : 5432) : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad();
  let database: string;
  try {
    database = decodeURIComponent(rawDb);
  } catch {
    throw bad();
  }
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { host, port, database };
}

/** "schema.table" or "table" → a quoted, qualified name. */
function parseQualifiedName(name: string): string {
  const parts: string[] = [];
  let rest = name.trim();
  for (;;) {
    const m = /^("(?:[^"]|"")+"|[^."]+)/.exec(rest);
    if (!m?.[1]) throw badIdentifier(name);
    parts.push(quoteIdentifier(parseIdentifier(m[1])));
    rest = rest.slice(m[1].length);
    if (rest === '') break;
    if (!rest.startsWith('.')) throw badIdentifier(name);
    rest = rest.slice(1);
  }
  if (parts.length > 2) throw badIdentifier(name);
  return parts.join('.');
}

/** One identifier: plain (folded to lowercase) or "quoted" (kept exactly, "" = "). */
function parseIdentifier(raw: string): string {
  const text = raw.trim();
  const quoted = /^"((?:[^"\0]|"")+)"$/.exec(text);
  if (quoted?.[1]) return quoted[1].replace(/""/g, '"');
  // Redshift: unquoted names start with a letter or underscore and hold letters, digits, _ and $; 127 bytes at most.
  if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(text) && text.length <= 127) return text.toLowerCase();
  throw badIdentifier(raw);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function unquoteIdentifier(quoted: string): string {
  return quoted.slice(1, -1).replace(/""/g, '"');
}

function badIdentifier(name: string): RivuletError {
  return new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `${JSON.stringify(name)} is not a valid table or column name` });
}

/** A SQL string literal; safe with standard_conforming_strings on (the default since PostgreSQL 9.1). */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The subset of Redshift CopyOptions that means something for rows streamed from memory. */
function parseCopyOptions(options: string): Format {
  const bad = (why: string) => new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `CopyOptions ${JSON.stringify(options)}: ${why}` });
  const tokens = [...options.matchAll(/'((?:[^']|'')*)'|([^\s']+)|(')/g)].map((m) => {
    if (m[3] !== undefined) throw bad('unterminated quoted string');
    return m[1] !== undefined ? { text: m[1].replace(/''/g, "'"), quoted: true } : { text: (m[2] ?? '').toLowerCase(), quoted: false };
  });
  let i = 0;
  const word = (w: string) => tokens[i]?.quoted === false && tokens[i]?.text === w && (i++, true);
  const literal = (what: string): string => {
    word('as');
    const t = tokens[i++];
    if (!t?.quoted) throw bad(`${what} needs a quoted value`);
    return t.text;
  };
  const oneChar = (what: string, value: string): string => {
    if (Buffer.byteLength(value) !== 1 || value === '\n' || value === '\r') throw bad(`${what} must be a single one-byte character`);
    return value;
  };
  let json: { ignoreCase: boolean } | null = null;
  let kind: 'csv' | 'text' = 'text';
  const f: { delimiter?: string; quote?: string; nullAs?: string } = {};
  while (i < tokens.length) {
    if (word('format')) word('as');
    if (word('json')) {
      const arg = literal('json').toLowerCase();
      if (arg !== 'auto' && arg !== 'auto ignorecase') throw bad(`only json 'auto' and json 'auto ignorecase' are supported, not '${arg}'`);
      json = { ignoreCase: arg === 'auto ignorecase' };
    } else if (word('csv')) {
      kind = 'csv';
      if (word('quote')) f.quote = oneChar('quote', literal('quote'));
    } else if (word('delimiter')) {
      f.delimiter = oneChar('delimiter', literal('delimiter'));
    } else if (word('null')) {
      f.nullAs = literal('null as');
    } else if (word('timeformat') || word('dateformat')) {
      // PostgreSQL reads ISO and epoch-free date/time text itself; only 'auto' is accepted.
      if (literal('time/date format').toLowerCase() !== 'auto') throw bad("only timeformat/dateformat 'auto' is supported");
    } else {
      throw bad(`unsupported option ${JSON.stringify(tokens[i]?.text)}`);
    }
  }
  if (json) {
    if (kind === 'csv' || Object.keys(f).length > 0) throw bad('json cannot be combined with csv, delimiter, quote or null as');
    return { kind: 'json', ignoreCase: json.ignoreCase };
  }
  if (f.quote !== undefined && kind !== 'csv') throw bad('quote needs csv');
  return { kind, ...f };
}
