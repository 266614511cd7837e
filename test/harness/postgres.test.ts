/**
 * Tests for the PostgreSQL harness: the server it starts takes password-authenticated `pg`
 * connections on loopback, runs DDL and DML in the database it created, refuses a wrong
 * password, and several servers run side by side.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgServer } from './postgres.js';

describe('startPostgres', () => {
  let server: PgServer;
  let client: pg.Client;

  beforeAll(async () => {
    server = await startPostgres();
    client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  it('describes itself with a loopback JDBC URL for its database', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.jdbcUrl).toBe(`jdbc:postgresql://127.0.0.1:${server.port}/${server.database}`);
  });

  it('creates a table, inserts rows and selects them back', async () => {
    await client.query('CREATE TABLE readings (device_id text NOT NULL, temp_c double precision NOT NULL, at timestamptz NOT NULL)');
    await client.query('INSERT INTO readings VALUES ($1, $2, $3), ($4, $5, $6)', ['cam-1', 21.5, '2026-01-01T00:00:00Z', 'cam-2', 19.25, '2026-01-01T00:00:01Z']);

    const { rows } = await client.query<{ device_id: string; temp_c: number }>('SELECT device_id, temp_c FROM readings ORDER BY device_id');
    expect(rows).toEqual([
      { device_id: 'cam-1', temp_c: 21.5 },
      { device_id: 'cam-2', temp_c: 19.25 },
    ]);
  });

  it('connects the client to the database it created, as a superuser', async () => {
    const { rows } = await client.query<{ db: string; su: string }>("SELECT current_database() AS db, current_setting('is_superuser') AS su");
    expect(rows[0]).toEqual({ db: server.database, su: 'on' });
  });

  it('refuses a wrong password', async () => {
    const intruder = new pg.Client({ host: server.host, port: server.port, user: server.user, password: 'wrong', database: server.database });
    await expect(intruder.connect()).rejects.toMatchObject({ code: '28P01' });
    await intruder.end().catch(() => undefined);
  });

  it('runs a second server side by side on another port', async () => {
    const other = await startPostgres();
    try {
      expect(other.port).not.toBe(server.port);
      const otherClient = new pg.Client({ host: other.host, port: other.port, user: other.user, password: other.password, database: other.database });
      await otherClient.connect();
      try {
        // The first server's table does not exist here: the two share no data directory.
        const { rows } = await otherClient.query<{ t: string | null }>("SELECT to_regclass('readings')::text AS t");
        expect(rows[0]?.t).toBeNull();
      } finally {
        await otherClient.end();
      }
    } finally {
      await other.stop();
    }
  });
});
