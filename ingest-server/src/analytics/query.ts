/**
 * Ad-hoc queries: one `SELECT` over the records a stream still retains, answered at once.
 *
 * Owns: running a bare SELECT (tumbling, sliding, stagger, joins to nothing but the stream)
 * over a stream from TRIM_HORIZON (or a timestamp) to its tip, with the stream's records as
 * SOURCE_SQL_STREAM_001 (schema given, or discovered from the first records), then closing
 * every window, ended or not; rows come back with their column names and types.
 * Does not own: applications (service.ts) or the HTTP route (routes.ts).
 */
import { RivuletError, type Clock } from '@rivulet/shared';
import { recordData, type StreamsService } from '../streams/index.js';
import { ARRIVAL_COLUMN, codeError } from './app/build.js';
import { AppGraph, QUERY_RESULT } from './app/graph.js';
import { feedRecord } from './app/runner.js';
import { StreamInput } from './app/source.js';
import type { Row, Value } from './engine/values.js';
import { formatTimestamp } from './engine/values.js';
import { discoverSchema } from './discover.js';
import { compileRecordDecoder, type DecodeResult } from './record-format.js';
import type { SourceSchema } from './schemas.js';
import { parseSql } from './sql/index.js';

export interface QueryRequest {
  StreamName: string;
  Sql: string;
  InputSchema?: SourceSchema | undefined;
  /** Epoch ms; absent: the oldest retained record. */
  StartTimestampMs?: number | undefined;
  /** Rows returned at most; default 1,000. */
  Limit?: number | undefined;
}

export interface QueryResult {
  Columns: { Name: string; Type: string }[];
  Rows: (string | number | boolean | null)[][];
  /** More rows matched than Limit. */
  Truncated: boolean;
  RecordsRead: number;
  Errors: { ErrorName: string; Message: string }[];
  InputSchema: SourceSchema;
}

export interface QueryDeps {
  streams: StreamsService;
  clock: Clock;
}

const SOURCE = 'SOURCE_SQL_STREAM_001';
const DISCOVERY_SAMPLE = 100;
const MAX_ERRORS = 100;

export async function runQuery(req: QueryRequest, deps: QueryDeps): Promise<QueryResult> {
  const limit = req.Limit ?? 1000;
  const now = deps.clock.now();
  const start = req.StartTimestampMs === undefined ? { kind: 'TRIM_HORIZON' as const } : { kind: 'AT_TIMESTAMP' as const, timestampMs: req.StartTimestampMs };
  const input = () => new StreamInput(req.StreamName, start, {}, { streams: deps.streams, now: () => now, commitSkewMs: 0, readLimit: 10_000 });
  deps.streams.registry.require({ StreamName: req.StreamName });

  let schema = req.InputSchema;
  if (!schema) {
    const sample = (await input().poll()).records.slice(0, DISCOVERY_SAMPLE).map(recordData);
    if (sample.length === 0) throw new RivuletError('ANALYTICS_UNABLE_TO_DETECT_SCHEMA', { message: `Stream ${req.StreamName} holds no records to discover a schema from; give InputSchema.` });
    schema = discoverSchema(sample).InputSchema;
  }
  const decode = compileRecordDecoder(schema);
  let graph: AppGraph;
  try {
    const statements = parseSql(req.Sql);
    const only = statements[0];
    if (statements.length !== 1 || only?.kind !== 'Select') {
      throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: 'An ad-hoc query is exactly one SELECT statement.' });
    }
    graph = AppGraph.forQuery(only.select, [{ name: SOURCE, columns: [...decode.columns, ARRIVAL_COLUMN] }], [], { now: () => now });
  } catch (err) {
    throw codeError(err) ?? err;
  }
  const columns = graph.streams.get(QUERY_RESULT)!.columns;
  const rows: Row[] = [];
  let truncated = false;
  graph.onRow(QUERY_RESULT, (row) => {
    if (rows.length < limit) rows.push(row);
    else truncated = true;
  });
  const errors: QueryResult['Errors'] = [];
  graph.onRow('error_stream', (row) => {
    if (errors.length < MAX_ERRORS) errors.push({ ErrorName: String(row.values[2]), Message: String(row.values[3]) });
  });

  const source = input();
  const scratch: DecodeResult = { rows: [], errors: [] };
  let read = 0;
  for (;;) {
    const poll = await source.poll();
    for (const record of poll.records) {
      read++;
      feedRecord(graph, SOURCE, decode.into, record, record.arrivalMs, scratch);
    }
    if (!poll.more || truncated) break;
  }
  // The query ends here: every window still open is closed, so its row holds the records so
  // far (a partial result for a window that has not ended yet).
  graph.advance(Number.POSITIVE_INFINITY);
  return {
    Columns: columns.map((c) => ({ Name: c.name, Type: c.type })),
    Rows: rows.map((r) => r.values.map((v, i) => wire(v, columns[i]?.type))),
    Truncated: truncated,
    RecordsRead: read,
    Errors: errors,
    InputSchema: schema,
  };
}

function wire(v: Value, type: string | undefined): string | number | boolean | null {
  return type === 'TIMESTAMP' && typeof v === 'number' ? formatTimestamp(v) : v;
}
