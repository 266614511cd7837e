/**
 * AWS KDA SQL developer guide examples shared by the parser, engine and application tests,
 * copied as written (whitespace aside), with the guide's demo stream: keep one copy of each here.
 * Application-level data (complete application code, reference data) is in
 * app/aws-examples-data.fixture.ts.
 */
import type { SqlType } from './ast.js';
import type { ValueType } from '../engine/values.js';

/** The guide's input stream. */
export const SOURCE = 'SOURCE_SQL_STREAM_001';

/** 2018-08-01 (the date of the guide's stagger example) at hh:mm:ss.ms, UTC. */
export const at = (hh: number, mm: number, ss: number, ms = 0): number => Date.UTC(2018, 7, 1, hh, mm, ss, ms);

// Developer Guide, "Stagger Windows": the input table of "Partial Results with Tumbling Windows"
// and "Complete Results with Stagger Windows", four AMZN rows as [ROWTIME, EVENT_TIME].
export const STAGGER_WINDOWS_INPUT: readonly (readonly [rowtime: number, eventTime: number])[] = [
  [at(11, 0, 20), at(11, 0, 10)],
  [at(11, 0, 30), at(11, 0, 20)],
  [at(11, 1, 5), at(11, 0, 55)],
  [at(11, 1, 15), at(11, 1, 5)],
];

/**
 * Developer Guide, "Example: Stagger Window": the input records' ROWTIMEs as listed, six AMZN
 * records with EVENT_TIME `amzn`, then six INTC ones with `intc`.
 */
export function staggerExampleArrivals(amzn: number, intc: number): [rowtime: number, eventTime: number, ticker: string][] {
  return [
    [at(20, 17, 30), amzn, 'AMZN'], [at(20, 17, 40), amzn, 'AMZN'], [at(20, 17, 50), amzn, 'AMZN'],
    [at(20, 18, 0), amzn, 'AMZN'], [at(20, 18, 10), amzn, 'AMZN'], [at(20, 18, 21), amzn, 'AMZN'],
    [at(20, 18, 31), intc, 'INTC'], [at(20, 18, 41), intc, 'INTC'], [at(20, 18, 51), intc, 'INTC'],
    [at(20, 19, 1), intc, 'INTC'], [at(20, 19, 11), intc, 'INTC'], [at(20, 19, 21), intc, 'INTC'],
  ];
}

// Developer Guide, "Tumbling Windows": the demo stream's schema,
// (TICKER_SYMBOL VARCHAR(4), SECTOR varchar(16), CHANGE REAL, PRICE REAL).
export const DEMO_COLUMNS: readonly { readonly name: string; readonly type: ValueType; readonly sqlType: SqlType }[] = [
  { name: 'TICKER_SYMBOL', type: 'VARCHAR', sqlType: { name: 'VARCHAR', length: 4 } },
  { name: 'SECTOR', type: 'VARCHAR', sqlType: { name: 'VARCHAR', length: 16 } },
  { name: 'CHANGE', type: 'DOUBLE', sqlType: { name: 'REAL' } },
  { name: 'PRICE', type: 'DOUBLE', sqlType: { name: 'REAL' } },
];

// Developer Guide, "Tumbling Windows (Aggregations Using GROUP BY)".
export const TUMBLING = `SELECT STREAM ROWTIME,
              Ticker_Symbol,
              MIN(Price) AS Price,
              MAX(Price) AS Price
FROM     "SOURCE_SQL_STREAM_001"
GROUP BY Ticker_Symbol, 
         STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);`;

// Developer Guide, "Stagger Windows": the tumbling query grouped by event time and ROWTIME.
export const TUMBLING_EVENT_TIME = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ( TICKER_SYMBOL VARCHAR(4), EVENT_TIME timestamp, TICKER_COUNT DOUBLE); CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM TICKER_SYMBOL, FLOOR(EVENT_TIME TO MINUTE), COUNT(TICKER_SYMBOL) AS TICKER_COUNT FROM "SOURCE_SQL_STREAM_001" GROUP BY ticker_symbol, FLOOR(EVENT_TIME TO MINUTE), STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE);`;

// Developer Guide, "Stagger Windows", "Complete Results with Stagger Windows".
export const STAGGER_CONCEPTS = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    ticker_symbol    VARCHAR(4), 
    event_time       TIMESTAMP,
    ticker_count     DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
  INSERT INTO "DESTINATION_SQL_STREAM" 
    SELECT STREAM 
        TICKER_SYMBOL,
        FLOOR(EVENT_TIME TO MINUTE),
        COUNT(TICKER_SYMBOL) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    WINDOWED BY STAGGER (
            PARTITION BY FLOOR(EVENT_TIME TO MINUTE), TICKER_SYMBOL RANGE INTERVAL '1' MINUTE);`;

// Developer Guide, "Example: Stagger Window".
export const STAGGER = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    event_time TIMESTAMP,
    ticker_symbol    VARCHAR(4),
    ticker_count     INTEGER);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
  INSERT INTO "DESTINATION_SQL_STREAM" 
    SELECT STREAM 
        EVENT_TIME, 
        TICKER,
        COUNT(TICKER) AS ticker_count
    FROM "SOURCE_SQL_STREAM_001"
    WINDOWED BY STAGGER (
            PARTITION BY TICKER, EVENT_TIME RANGE INTERVAL '1' MINUTE);`;

// Developer Guide, "Getting Started", the "Continuous filter" template.
export const CONTINUOUS_FILTER = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" 
  (symbol VARCHAR(4), sector VARCHAR(12), CHANGE DOUBLE, price DOUBLE);
 
-- Create pump to insert into output. 
CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
   INSERT INTO "DESTINATION_SQL_STREAM"  
      SELECT STREAM ticker_symbol, sector, CHANGE, price
      FROM "SOURCE_SQL_STREAM_001"
      WHERE sector SIMILAR TO '%TECH%';`;

// Developer Guide, "Sliding Windows", Example 1 (query) and Example 2 (application code).
export const SLIDING_1 = `SELECT STREAM ticker_symbol,
              MIN(Price) OVER W1 AS Min_Price,
              MAX(Price) OVER W1 AS Max_Price,
              AVG(Price) OVER W1 AS Avg_Price
FROM   "SOURCE_SQL_STREAM_001"
WINDOW W1 AS (
   PARTITION BY ticker_symbol
   RANGE INTERVAL '1' MINUTE PRECEDING);`;

export const SLIDING_2 = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
                            ticker_symbol VARCHAR(10),
                            Avg_Percent_Change double);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
   INSERT INTO "DESTINATION_SQL_STREAM"
      SELECT STREAM Ticker_Symbol,
                    AVG(Change / (Price - Change)) over W1 as Avg_Percent_Change
      FROM "SOURCE_SQL_STREAM_001"
      WINDOW W1 AS (
              PARTITION BY ticker_symbol
              RANGE INTERVAL '10' SECOND PRECEDING);`;

// Developer Guide, "Sliding Windows", Example 3: two row-based windows on one stream.
export const SLIDING_3 = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
                           ticker_symbol      VARCHAR(12),
                           price              double,
                           average_last2rows  double,
                           average_last10rows double);

CREATE OR REPLACE PUMP "myPump" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM ticker_symbol,
              price,
              avg(price) over last2rows,
              avg(price) over last10rows
FROM SOURCE_SQL_STREAM_001
WINDOW
    last2rows AS (PARTITION BY ticker_symbol ROWS 2 PRECEDING),
    last10rows AS (PARTITION BY ticker_symbol ROWS 10 PRECEDING);`;

// SQL Reference, "WINDOW Clause (Sliding Windows)", Example 1.
export const WINDOW_CLAUSE_1 = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    ticker_symbol VARCHAR(4), 
    min_price     DOUBLE, 
    max_price     DOUBLE, 
    avg_price     DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS 
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM ticker_symbol,
        MIN(price) OVER W1 AS min_price,
        MAX(price) OVER W1 AS max_price,
        AVG(price) OVER W1 AS avg_price
    FROM "SOURCE_SQL_STREAM_001"
    WINDOW W1 AS (
        PARTITION BY ticker_symbol 
        RANGE INTERVAL '1' MINUTE PRECEDING);`;

// Developer Guide, "Example: Adding Reference Data to a Kinesis Data Analytics Application".
export const REFERENCE_JOIN = `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker_symbol VARCHAR(4), "Company" varchar(20), sector VARCHAR(12), change DOUBLE, price DOUBLE);

CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
   SELECT STREAM ticker_symbol, "c"."Company", sector, change, price
   FROM "SOURCE_SQL_STREAM_001" LEFT JOIN "CompanyName" as "c"
   ON "SOURCE_SQL_STREAM_001".ticker_symbol = "c"."Ticker";`;

// Developer Guide, "Streaming Data Operations: Stream Joins", Example 1, both forms.
export const STREAM_JOIN_INLINE = `SELECT STREAM ROWTIME, o.orderId, o.ticker, o.amount AS orderAmount, t.amount AS tradeAmount FROM OrderStream AS o JOIN TradeStream OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t ON o.orderId = t.orderId;`;
export const STREAM_JOIN_NAMED = `SELECT STREAM ROWTIME, o.orderId, o.ticker, o.amount AS orderAmount, t.amount AS tradeAmount FROM OrderStream AS o JOIN TradeStream OVER t ON o.orderId = t.orderId WINDOW t AS (RANGE INTERVAL '1' MINUTE PRECEDING)`;

// Developer Guide, "Error Handling": division by zero sends rows to the error stream.
export const ERROR_STREAM_SELECT = `SELECT STREAM ticker_symbol, sector, change, (price / 0) as ProblemColumn
FROM "SOURCE_SQL_STREAM_001"
WHERE sector SIMILAR TO '%TECH%';`;

// SQL Reference, "Window examples": as printed, a comma is missing after `count(*) OVER lastHour`.
export const WINDOW_EXAMPLES = `SELECT STREAM
  ticker,
  sum(amount) OVER lastHour,
  count(*) OVER lastHour
  sum(amount) OVER lastThree
FROM Trades
WINDOW
  lastHour AS (RANGE INTERVAL '1' HOUR PRECEDING),
  lastThree AS (ROWS 3 PRECEDING),
  lastZeroRows AS (ROWS CURRENT ROW),
  lastZeroSeconds AS (RANGE CURRENT ROW),
  lastTwoSameTicker AS (PARTITION BY ticker ROWS 2 PRECEDING),
  lastHourSameTicker AS (PARTITION BY ticker RANGE INTERVAL '1' HOUR PRECEDING)`;

/** WINDOW_EXAMPLES with the missing comma after `count(*) OVER lastHour` added. */
export const WINDOW_EXAMPLES_FIXED = WINDOW_EXAMPLES.replace('count(*) OVER lastHour\n', 'count(*) OVER lastHour,\n');
