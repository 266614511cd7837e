/**
 * `rivulet-ingest query`: runs one ad-hoc SELECT over a stream's retained records against a
 * running server (POST /analytics/query) and prints the rows as a table, or JSON with --json.
 *
 * Owns: argument parsing, request signing (SigV4 when credentials are given by flag or the
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment), and what the operator sees: a
 * non-zero exit with a one-line reason on any error, including the SQL error's position.
 * Does not own: running the query (query.ts, in the server).
 */
import { readFile } from 'node:fs/promises';
import { signRequest, type SigV4Credentials } from '@rivulet/shared';
import { QUERY_PATH } from './routes.js';

export const QUERY_USAGE =
  'usage: query --stream NAME (--sql "SELECT ..." | --file query.sql) [--endpoint URL] [--schema schema.json] [--from ISO-TIME] [--limit N] [--json]';

export interface QueryCommandOptions {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  nowMs: () => number;
  fetch?: typeof fetch;
}

interface Args {
  endpoint: string;
  stream: string;
  sql: string;
  schemaFile?: string;
  from?: number;
  limit?: number;
  json: boolean;
  region: string;
}

class UsageError extends Error {}

async function parse(argv: string[], env: QueryCommandOptions['env']): Promise<Args> {
  const take = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  let stream: string | undefined;
  let sql: string | undefined;
  const args: Partial<Args> = { endpoint: env.RIVULET_ENDPOINT ?? 'http://127.0.0.1:4567', json: false, region: env.AWS_REGION ?? 'us-east-1' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--endpoint': args.endpoint = take(i++, flag); break;
      case '--stream': stream = take(i++, flag); break;
      case '--sql': sql = take(i++, flag); break;
      case '--file': sql = await readFile(take(i++, flag), 'utf8'); break;
      case '--schema': args.schemaFile = take(i++, flag); break;
      case '--region': args.region = take(i++, flag); break;
      case '--from': {
        const ms = Date.parse(take(i++, flag));
        if (Number.isNaN(ms)) throw new UsageError(`--from ${argv[i]} is not a time (use ISO 8601, e.g. 2026-11-26T10:00:00Z)`);
        args.from = ms;
        break;
      }
      case '--limit': {
        const n = Number(take(i++, flag));
        if (!Number.isInteger(n) || n < 1) throw new UsageError('--limit needs a positive integer');
        args.limit = n;
        break;
      }
      case '--json': args.json = true; break;
      default: throw new UsageError(`unknown argument ${flag}`);
    }
  }
  if (!stream) throw new UsageError('--stream is required');
  if (!sql) throw new UsageError('--sql or --file is required');
  return { ...(args as Args), stream, sql };
}

function table(columns: { Name: string }[], rows: unknown[][]): string[] {
  const text = (v: unknown) => (v === null ? 'NULL' : String(v));
  const widths = columns.map((c, i) => Math.max(c.Name.length, ...rows.map((r) => text(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.Name)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r.map(text)))];
}

/** Exit codes: 0 done, 1 the query failed, 2 the command line was wrong. */
export async function runQueryCommand(argv: string[], opts: QueryCommandOptions): Promise<number> {
  let args: Args;
  try {
    args = await parse(argv, opts.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    opts.err(`query: ${e.message}`);
    opts.err(QUERY_USAGE);
    return 2;
  }
  try {
    const body = JSON.stringify({
      StreamName: args.stream,
      Sql: args.sql,
      ...(args.schemaFile ? { InputSchema: JSON.parse(await readFile(args.schemaFile, 'utf8')) as unknown } : {}),
      ...(args.from !== undefined ? { StartTimestampMs: args.from } : {}),
      ...(args.limit !== undefined ? { Limit: args.limit } : {}),
    });
    const url = new URL(QUERY_PATH, args.endpoint);
    let headers: Record<string, string> = { 'content-type': 'application/json' };
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = opts.env;
    if (accessKeyId && secretAccessKey) {
      const creds: SigV4Credentials = sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
      headers = signRequest({ method: 'POST', url, headers, body }, creds, { region: args.region, service: 'kinesisanalytics', nowMs: opts.nowMs() });
    }
    const res = await (opts.fetch ?? fetch)(url, { method: 'POST', headers, body });
    const answer = (await res.json()) as { __type?: string; message?: string; Columns?: { Name: string }[]; Rows?: unknown[][]; Truncated?: boolean; Errors?: unknown[] };
    if (!res.ok) {
      opts.err(`query: ${answer.__type ?? `HTTP ${res.status}`}: ${answer.message ?? ''}`.trimEnd());
      return 1;
    }
    if (args.json) {
      opts.out(JSON.stringify(answer));
      return 0;
    }
    for (const line of table(answer.Columns ?? [], answer.Rows ?? [])) opts.out(line);
    opts.out(`(${answer.Rows?.length ?? 0} rows${answer.Truncated ? ', truncated by --limit' : ''}${answer.Errors?.length ? `, ${answer.Errors.length} rows in error_stream` : ''})`);
    return 0;
  } catch (e) {
    opts.err(`query: ${(e as Error).message}`);
    return 1;
  }
}
