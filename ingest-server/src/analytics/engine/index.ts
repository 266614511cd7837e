/** Analytics execution engine: the only surface other modules import. Compiles parsed SQL into incremental operators; no I/O. */
export { compileExpr, streamScope, resolveColumn, AGGREGATE_NAMES } from './expr.js';
export type { Compiled, Scope, ScopeColumn, CompileOptions } from './expr.js';
export { tumbling } from './tumbling.js';
export type { TumblingOperator, TumblingOptions, TumblingEmit, PushResult } from './tumbling.js';
export { castFunction, valueTypeOf, parseTimestamp, formatTimestamp } from './values.js';
export type { Value, ValueType, Row } from './values.js';
export { SqlCompileError, SqlRuntimeError } from './errors.js';
export type { SqlRuntimeErrorName } from './errors.js';
