/**
 * The demo's SQL application: per-sensor averages of the readings in demo-sensors, written to
 * the data stream demo-averages as JSON rows
 * `{ kind, sensor, avg_temperature, avg_humidity, readings, at }`:
 * - kind "minute": a tumbling one-minute window per sensor (a row when the minute closes; `at`
 *   is the minute's start);
 * - kind "sliding": the average over the last minute, one row per reading (`at` is the
 *   reading's arrival), so results show up before the first minute closes.
 */
import { DEMO } from './options.js';

export const DEMO_INPUT_COLUMNS: readonly (readonly [name: string, sqlType: string])[] = [
  ['sensor', 'VARCHAR(16)'],
  ['temperature', 'DOUBLE'],
  ['humidity', 'DOUBLE'],
];

/** The JSON input schema in the API's shape: each column maps `$.<name>`. */
export function demoInputSchema() {
  return {
    RecordFormat: { RecordFormatType: 'JSON' as const, MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
    RecordEncoding: 'UTF-8',
    RecordColumns: DEMO_INPUT_COLUMNS.map(([Name, SqlType]) => ({ Name, SqlType, Mapping: `$.${Name}` })),
  };
}

/** The in-application stream both pumps write; the application's output sends it to demo-averages. */
export const DEMO_OUTPUT_SQL_STREAM = 'DESTINATION_SQL_STREAM';

export const DEMO_SQL = `-- Per-sensor averages of ${DEMO.sensorStream} (written by npm run demo).
CREATE OR REPLACE STREAM "${DEMO_OUTPUT_SQL_STREAM}" (
  "kind" VARCHAR(8),
  "sensor" VARCHAR(16),
  "avg_temperature" DOUBLE,
  "avg_humidity" DOUBLE,
  "readings" INTEGER,
  "at" TIMESTAMP);

-- Every closed minute, per sensor.
CREATE OR REPLACE PUMP "MINUTE_PUMP" AS INSERT INTO "${DEMO_OUTPUT_SQL_STREAM}"
  SELECT STREAM 'minute', "sensor", AVG("temperature"), AVG("humidity"), COUNT(*),
         STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND) AS "at"
  FROM "SOURCE_SQL_STREAM_001"
  GROUP BY "sensor", STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND);

-- The last minute, per sensor, updated with every reading.
CREATE OR REPLACE PUMP "SLIDING_PUMP" AS INSERT INTO "${DEMO_OUTPUT_SQL_STREAM}"
  SELECT STREAM 'sliding', "sensor", AVG("temperature") OVER w, AVG("humidity") OVER w, COUNT(*) OVER w,
         "SOURCE_SQL_STREAM_001".ROWTIME AS "at"
  FROM "SOURCE_SQL_STREAM_001"
  WINDOW w AS (PARTITION BY "sensor" RANGE INTERVAL '1' MINUTE PRECEDING);
`;
