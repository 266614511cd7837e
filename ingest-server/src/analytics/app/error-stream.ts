/**
 * `error_stream`, the in-application stream KDA writes runtime errors to: rows that do not
 * match the input schema, failed coercions, division by zero, late rows past the grace period.
 *
 * Owns: its columns and how one failure becomes one row.
 * Does not own: routing it to a destination (an application output named `error_stream`).
 * KDA Developer Guide, "Error Handling": an application cannot read error_stream in SQL; it is
 * persisted by adding an output for it, so the graph refuses pumps that read it.
 */
import type { SqlRuntimeError } from '../engine/errors.js';
import type { Row, Value, ValueType } from '../engine/values.js';
import { formatTimestamp } from '../engine/values.js';

export const ERROR_STREAM = 'error_stream';

const varchar = (length: number) => ({ name: 'VARCHAR', length });
const timestamp = { name: 'TIMESTAMP' };

export const ERROR_STREAM_COLUMNS = [
  { name: 'ERROR_TIME', type: 'TIMESTAMP', sqlType: timestamp },
  { name: 'ERROR_LEVEL', type: 'VARCHAR', sqlType: varchar(10) },
  { name: 'ERROR_NAME', type: 'VARCHAR', sqlType: varchar(32) },
  { name: 'MESSAGE', type: 'VARCHAR', sqlType: varchar(4096) },
  { name: 'DATA_ROWTIME', type: 'TIMESTAMP', sqlType: timestamp },
  { name: 'DATA_ROW', type: 'VARCHAR', sqlType: varchar(49152) },
  { name: 'PUMP_NAME', type: 'VARCHAR', sqlType: varchar(128) },
] as const;

/**
 * One error_stream row. DATA_ROW is the raw record text for a record that did not decode, else
 * the offending row's values as a JSON array (timestamps as text, when `types` says which
 * values are timestamps), so it can be read back.
 */
export function errorRow(nowMs: number, error: SqlRuntimeError, input: Row | undefined, pumpName: string | null, rawData?: string, types?: readonly ValueType[]): Row {
  const show = (v: Value, i: number): Value => (types?.[i] === 'TIMESTAMP' && typeof v === 'number' ? formatTimestamp(v) : v);
  const data = rawData ?? (input ? JSON.stringify(input.values.map(show)) : null);
  return {
    rowtime: nowMs,
    values: [nowMs, 'ERROR', error.name, error.message.slice(0, 4096), input ? input.rowtime : null, data === null ? null : data.slice(0, 49152), pumpName],
  };
}
