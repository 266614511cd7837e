import pg from 'pg';
import { RivuletError } from '@rivulet/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres } from '../../../../test/harness/postgres.js';
import { BATCH_TABLE, parseJdbcUrl, PostgresLoader, type PostgresTarget } from './postgres.js';

type Postgres = Awaited<ReturnType<typeof startPostgres>>;

let db: Postgres;
let admin: pg.Client;
const loaders: PostgresLoader[] = [];

function loader(overrides: Partial<PostgresTarget> = {}): PostgresLoader {
  const l = new PostgresLoader({
    jdbcUrl: db.jdbcUrl,
    username: db.user,
    password: db.password,
    table: 'analytics.events',
    columns: ['id', 'device', 'temp', 'tags'],
    copyOptions: "json 'auto'",
    ...overrides,
  });
  loaders.push(l);
  return l;
}

const json = (...objects: unknown[]) => objects.map((o) => Buffer.from(JSON.stringify(o)));

async function rows(sql: string): Promise<unknown[]> {
  return (await admin.query(sql)).rows;
}

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
  await admin.connect();
  await admin.query('CREATE SCHEMA analytics');
}, 120_000);

afterAll(async () => {
  await Promise.all(loaders.map((l) => l.close()));
  await admin?.end();
  await db?.stop();
});

beforeEach(async () => {
  await admin.query('DROP TABLE IF EXISTS analytics.events, public.lines, "Mixed Case"');
  await admin.query(`DROP TABLE IF EXISTS ${BATCH_TABLE}`);
  await admin.query('CREATE TABLE analytics.events (id integer NOT NULL, device text, temp double precision, tags text, loaded_at timestamptz DEFAULT now())');
});

describe('PostgresLoader against PostgreSQL', () => {
  it("loads JSON records with json 'auto', mapping keys to the listed columns and missing keys to NULL", async () => {
    const result = await loader().load(
      json({ id: 1, device: 'cam-1', temp: 21.5, tags: ['a', 'b'], extra: 'ignored' }, { id: 2, device: 'say "hi", ok' }, { id: 3, device: '', temp: null }),
      'batch-1',
    );
    expect(result).toEqual({ rows: 3, skipped: false });
    expect(await rows('SELECT id, device, temp, tags FROM analytics.events ORDER BY id')).toEqual([
      { id: 1, device: 'cam-1', temp: 21.5, tags: '["a","b"]' },
      { id: 2, device: 'say "hi", ok', temp: null, tags: null },
      { id: 3, device: '', temp: null, tags: null },
    ]);
    expect(await rows(`SELECT batch_id, table_name, row_count FROM ${BATCH_TABLE}`)).toEqual([
      { batch_id: 'batch-1', table_name: 'analytics.events', row_count: '3' },
    ]);
  });

  it('skips a batch id it has already loaded and adds no duplicate rows', async () => {
    const l = loader();
    const records = json({ id: 1, device: 'a' }, { id: 2, device: 'b' });
    expect(await l.load(records, 'batch-dup')).toEqual({ rows: 2, skipped: false });
    expect(await l.load(records, 'batch-dup')).toEqual({ rows: 2, skipped: true });
    // A second loader (another process after a restart) sees the same record.
    expect(await loader().load(records, 'batch-dup')).toEqual({ rows: 2, skipped: true });
    expect(await rows('SELECT count(*)::int AS n FROM analytics.events')).toEqual([{ n: 2 }]);
  });

  it('loads a batch id once when two loads of it race', async () => {
    const records = json({ id: 1 }, { id: 2 }, { id: 3 });
    const results = await Promise.all([loader().load(records, 'batch-race'), loader().load(records, 'batch-race')]);
    expect(results.map((r) => r.skipped).sort()).toEqual([false, true]);
    expect(await rows('SELECT count(*)::int AS n FROM analytics.events')).toEqual([{ n: 3 }]);
  });

  it('fails with FIREHOSE_DELIVERY and commits nothing when a value does not fit its column', async () => {
    const l = loader();
    const err = await l.load(json({ id: 1, device: 'ok' }, { id: 'not-a-number', device: 'bad' }), 'batch-bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RivuletError);
    expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
    expect((err as RivuletError).message).toContain('22P02');
    expect(await rows('SELECT count(*)::int AS n FROM analytics.events')).toEqual([{ n: 0 }]);
    expect(await rows(`SELECT count(*)::int AS n FROM ${BATCH_TABLE}`)).toEqual([{ n: 0 }]);
    // The batch id stays free, so the fixed batch loads on retry, and the loader still works.
    expect(await l.load(json({ id: 1, device: 'ok' }, { id: 2, device: 'fixed' }), 'batch-bad')).toEqual({ rows: 2, skipped: false });
  });

  it('fails with FIREHOSE_DELIVERY and commits nothing when a record is not a JSON object', async () => {
    for (const bad of [Buffer.from('{"id": 1'), Buffer.from('[1, 2]')]) {
      const err = await loader().load([Buffer.from('{"id": 9}'), bad], 'batch-json').catch((e: unknown) => e);
      expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
    }
    expect(await rows('SELECT count(*)::int AS n FROM analytics.events')).toEqual([{ n: 0 }]);
  });

  it('reads several newline-separated objects in one record', async () => {
    expect(await loader().load([Buffer.from('{"id": 1}\n{"id": 2}\n')], 'batch-lines')).toEqual({ rows: 2, skipped: false });
  });

  it("matches keys exactly with json 'auto' and case-insensitively with json 'auto ignorecase'", async () => {
    await loader().load(json({ id: 1, Device: 'exact-miss' }), 'batch-case-1');
    await loader({ copyOptions: "json 'auto ignorecase'" }).load(json({ ID: 2, Device: 'ignorecase-hit' }), 'batch-case-2');
    expect(await rows('SELECT id, device FROM analytics.events ORDER BY id')).toEqual([
      { id: 1, device: null },
      { id: 2, device: 'ignorecase-hit' },
    ]);
  });

  it('uses every table column, in table order, when the column list is empty', async () => {
    await loader({ columns: [] }).load(json({ id: 7, temp: 3, loaded_at: '2026-01-15T12:00:00Z' }), 'batch-all');
    expect(await rows("SELECT id, temp, loaded_at = '2026-01-15T12:00:00Z'::timestamptz AS at FROM analytics.events")).toEqual([{ id: 7, temp: 3, at: true }]);
  });

  it('passes CSV and delimited records through to COPY', async () => {
    await admin.query('CREATE TABLE public.lines (a integer, b text)');
    expect(await loader({ table: 'lines', columns: ['a', 'b'], copyOptions: 'csv' }).load([Buffer.from('1,"x, y"'), Buffer.from('2,\n')], 'batch-csv')).toEqual({
      rows: 2,
      skipped: false,
    });
    expect(await loader({ table: 'public.lines', columns: [], copyOptions: "delimiter '|'" }).load([Buffer.from('3|pipe')], 'batch-pipe')).toEqual({
      rows: 1,
      skipped: false,
    });
    expect(await loader({ table: 'lines', columns: ['b', 'a'], copyOptions: "csv quote as '''' delimiter as ';'" }).load([Buffer.from("'q;q';4")], 'batch-quote')).toEqual({
      rows: 1,
      skipped: false,
    });
    expect(await rows('SELECT a, b FROM public.lines ORDER BY a')).toEqual([
      { a: 1, b: 'x, y' },
      { a: 2, b: null },
      { a: 3, b: 'pipe' },
      { a: 4, b: 'q;q' },
    ]);
  });

  it('quotes identifiers, so a hostile name is just a missing table', async () => {
    await admin.query('CREATE TABLE "Mixed Case" (id integer)');
    await loader({ table: '"Mixed Case"', columns: ['id'] }).load(json({ id: 1 }), 'batch-quoted');
    expect(await rows('SELECT id FROM "Mixed Case"')).toEqual([{ id: 1 }]);
    const err = await loader({ table: '"events; DROP TABLE analytics.events; --"', columns: ['id'] }).load(json({ id: 1 }), 'batch-hostile').catch((e: unknown) => e);
    expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
    expect((err as RivuletError).message).toContain('42P01');
    expect(await rows('SELECT count(*)::int AS n FROM analytics.events')).toEqual([{ n: 0 }]);
  });

  it('fails with FIREHOSE_DELIVERY when the database cannot be reached', async () => {
    const l = loader({ jdbcUrl: `jdbc:postgresql://127.0.0.1:1/${db.database}` });
    const err = await l.load(json({ id: 1 }), 'batch-down').catch((e: unknown) => e);
    expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
  });

  it('fails with FIREHOSE_DELIVERY on a wrong password', async () => {
    const err = await loader({ password: 'wrong' }).load(json({ id: 1 }), 'batch-auth').catch((e: unknown) => e);
    expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
  });
});

describe('PostgresLoader configuration', () => {
  const base: PostgresTarget = { jdbcUrl: 'jdbc:postgresql://127.0.0.1:5432/db', username: 'u', password: 'p', table: 't', columns: [], copyOptions: "json 'auto'" };
  const refused: [string, Partial<PostgresTarget>][] = [
    ['a table name with SQL in it', { table: 'events; DROP TABLE x' }],
    ['a three-part table name', { table: 'a.b.c' }],
    ['a column name with a quote', { columns: ['id', 'x"y'] }],
    ['an empty column name', { columns: [''] }],
    ['json jsonpaths', { copyOptions: "json 's3://bucket/paths.json'" }],
    ['an unknown option', { copyOptions: 'csv fixedwidth' }],
    ['a multi-character delimiter', { copyOptions: "delimiter '|~|'" }],
    ['json with csv', { copyOptions: "json 'auto' csv" }],
    ['an unterminated literal', { copyOptions: "delimiter '|" }],
    ['a bad JDBC URL', { jdbcUrl: 'postgresql://127.0.0.1/db' }],
  ];
  for (const [what, overrides] of refused) {
    it(`refuses ${what} with FIREHOSE_INVALID_ARGUMENT`, () => {
      let caught: unknown;
      try {
        new PostgresLoader({ ...base, ...overrides });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RivuletError);
      expect((caught as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    });
  }
});

describe('parseJdbcUrl', () => {
  it('reads host, port and database', () => {
    expect(parseJdbcUrl('jdbc:postgresql://db.example.com:6543/warehouse')).toEqual({ host: 'db.example.com', port: 6543, database: 'warehouse' });
    expect(parseJdbcUrl('jdbc:postgresql://127.0.0.1/dev?ssl=false')).toEqual({ host: '127.0.0.1', port: 5432, database: 'dev' });
    expect(parseJdbcUrl('jdbc:postgresql://[::1]:5433/my%20db')).toEqual({ host: '::1', port: 5433, database: 'my db' });
    expect(parseJdbcUrl('jdbc:redshift://cluster.abc.us-east-1.redshift.amazonaws.com/dev')).toEqual({
      host: 'cluster.abc.us-east-1.redshift.amazonaws.com',
      port: 5439,
      database: 'dev',
    });
  });

  for (const bad of ['', 'jdbc:mysql://h/db', 'jdbc:postgresql://h:0/db', 'jdbc:postgresql://h:70000/db', 'jdbc:postgresql://h:5432/', 'jdbc:postgresql://h:5432', 'jdbc:postgresql://u:p@h/db', 'jdbc:postgresql://h/%zz']) {
    it(`refuses ${JSON.stringify(bad)} with FIREHOSE_INVALID_ARGUMENT`, () => {
      expect(() => parseJdbcUrl(bad)).toThrow(RivuletError);
      try {
        parseJdbcUrl(bad);
      } catch (err) {
        expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
      }
    });
  }
});
