/** Analytics execution engine: the only surface other modules import. Compiles parsed SQL into incremental operators; no I/O. */
export { compileExpr, streamScope, resolveColumn, AGGREGATE_NAMES } from './expr.js';
export type { Compiled, Scope, ScopeColumn, CompileOptions } from './expr.js';
export { tumbling } from './tumbling.js';
export type { TumblingOperator, TumblingOptions } from './tumbling.js';
export { stagger } from './stagger.js';
export type { StaggerOperator, StaggerOptions } from './stagger.js';
export { castFunction, valueTypeOf, parseTimestamp, formatTimestamp } from './values.js';
export type { Value, ValueType, Row } from './values.js';
export { SqlCompileError, SqlRuntimeError } from './errors.js';
export type { SqlRuntimeErrorName } from './errors.js';
export { sliding } from './sliding.js';
export type { SlidingOperator, SlidingOptions } from './sliding.js';
export { slidingAccumulator, ExactSum } from './sliding-aggregates.js';
export type { SlidingAccumulator } from './sliding-aggregates.js';
export { planRelation, analyzeOn } from './join.js';
export type { Relation, RelationInput, JoinOperator, JoinCondition, JoinWindowSpec, HashKey } from './join.js';
export { TableJoin } from './reference-table.js';
export type { ReferenceTable } from './reference-table.js';
