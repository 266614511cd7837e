/**
 * Application-level test support for the AppGraph tests: the AWS KDA SQL Developer Guide's
 * application code copied as written (whitespace aside), the guide's reference data, and a harness that compiles an application and collects what its
 * destination stream and error_stream receive.
 * The examples the parser and engine tests also use, the demo schema and `at` live in
 * sql/aws-examples.fixture.ts; only the complete application code built around them is here.
 */
import type { Row, Value } from '../engine/values.js';
import { ARRIVAL_COLUMN } from './build.js';
import { ERROR_STREAM } from './error-stream.js';
import { AppGraph, type GraphOptions, type StreamColumn } from './graph.js';
import { at, SLIDING_1, SOURCE } from '../sql/aws-examples.fixture.js';

export { at, DEMO_COLUMNS, SOURCE } from '../sql/aws-examples.fixture.js';

export const DESTINATION = 'DESTINATION_SQL_STREAM';

/** What error_stream.ERROR_TIME reads in every test. */
export const NOW_MS = at(23, 59, 59);

// Developer Guide, "Example: Exploring the In-Application Error Stream", "Introducing a Divide
// by Zero Error": the Getting Started application with its SELECT replaced by the guide's.
export const DIVIDE_BY_ZERO = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" 
  (symbol VARCHAR(4), sector VARCHAR(12), CHANGE DOUBLE, price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
   INSERT INTO "DESTINATION_SQL_STREAM"  
   SELECT STREAM ticker_symbol, sector, change, (price / 0) as ProblemColumn
   FROM "SOURCE_SQL_STREAM_001"
   WHERE sector SIMILAR TO '%TECH%';`;

// Developer Guide, "Tumbling Windows (Aggregations Using GROUP BY)": the resulting application code.
export const TUMBLING_APP = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
                                   ticker_symbol VARCHAR(4), 
                                   Min_Price     DOUBLE, 
                                   Max_Price     DOUBLE);
-- CREATE OR REPLACE PUMP to insert into output
CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
  INSERT INTO "DESTINATION_SQL_STREAM" 
    SELECT STREAM Ticker_Symbol,
                  MIN(Price) AS Min_Price,
                  MAX(Price) AS Max_Price
    FROM    "SOURCE_SQL_STREAM_001"
    GROUP BY Ticker_Symbol, 
             STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);`;

// Developer Guide, "Sliding Windows", Example 1: the resulting application code, the query
// (SLIDING_1) inserted into the destination stream. Example 2's application code is SLIDING_2.
export const SLIDING_1_APP = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
                         ticker_symbol VARCHAR(10), 
                         Min_Price     double, 
                         Max_Price     double, 
                         Avg_Price     double);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
   INSERT INTO "DESTINATION_SQL_STREAM"
${SLIDING_1}`;

// Developer Guide, "Example: Adding Reference Data to a Kinesis Data Analytics Application",
// Step 1: TickerReference.csv, as written (header line and spaces included). Step 3's
// application code is REFERENCE_JOIN.
export const TICKER_REFERENCE_CSV = `Ticker, Company
AMZN,Amazon
ASD, SomeCompanyA
MMB, SomeCompanyB
WAS,  SomeCompanyC
`;

/** In-application reference table "CompanyName": the two columns discovery finds in the CSV. */
export const COMPANY_NAME_SCHEMA = {
  RecordFormat: { RecordFormatType: 'CSV' as const, MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: '\n', RecordColumnDelimiter: ',' } } },
  RecordColumns: [
    { Name: 'Ticker', SqlType: 'VARCHAR(8)' },
    { Name: 'Company', SqlType: 'VARCHAR(20)' },
  ],
};

export interface AppRun {
  readonly graph: AppGraph;
  /** Rows DESTINATION_SQL_STREAM received. */
  readonly out: Row[];
  /** Rows error_stream received. */
  readonly errors: Row[];
  /** One row into SOURCE_SQL_STREAM_001: schema values, then APPROXIMATE_ARRIVAL_TIME = ROWTIME. */
  insert(rowtime: number, ...values: Value[]): void;
}

/** Compiles application code over one input stream with `columns` (plus the arrival time). */
export function runApp(
  code: string,
  columns: readonly StreamColumn[],
  options: { graceMs?: number; tables?: readonly { name: string; columns: readonly StreamColumn[] }[]; destination?: string } = {},
): AppRun {
  const graphOptions: GraphOptions = { now: () => NOW_MS, graceMs: options.graceMs ?? 0 };
  const graph = AppGraph.compile(code, [{ name: SOURCE, columns: [...columns, ARRIVAL_COLUMN] }], options.tables ?? [], graphOptions);
  const out: Row[] = [];
  const errors: Row[] = [];
  graph.onRow(options.destination ?? DESTINATION, (r) => void out.push(r));
  graph.onRow(ERROR_STREAM, (r) => void errors.push(r));
  return { graph, out, errors, insert: (rowtime, ...values) => graph.insert(SOURCE, { rowtime, values: [...values, rowtime] }) };
}
