/**
 * AST of the Kinesis Data Analytics SQL dialect, as produced by `parseSql`.
 *
 * Owns: the shapes of statements, queries and expressions. Names are already normalized the
 * SQL way: an unquoted identifier is upper-cased (`ticker` → `TICKER`), a quoted one keeps its
 * exact text (`"c"` → `c`). So two names refer to the same object exactly when the strings are
 * equal. Time spans are already converted: INTERVALs to milliseconds (or months), window
 * frames to `ms` or a row count.
 * Does not own: meaning. Whether a function exists, whether a column resolves, whether an
 * aggregate is legal where it appears: that is the planner's job. Every node carries `pos`
 * so the planner can report those errors with a line and column too.
 */

/** 1-based position of a node's first token. */
export interface Position {
  line: number;
  column: number;
}

export type Statement = CreateStream | CreatePump | SelectStatement;

/** `CREATE [OR REPLACE] STREAM "X" (col TYPE, ...)`. */
export interface CreateStream {
  kind: 'CreateStream';
  orReplace: boolean;
  name: string;
  columns: ColumnDef[];
  pos: Position;
}

export interface ColumnDef {
  name: string;
  type: SqlType;
  pos: Position;
}

/** `VARCHAR(4)` → `{ name: 'VARCHAR', length: 4 }`; `DECIMAL(8,2)` → `{ name: 'DECIMAL', precision: 8, scale: 2 }`. */
export interface SqlType {
  /** Upper case; two-word types are joined with a space: `DOUBLE PRECISION`. */
  name: string;
  length?: number;
  precision?: number;
  scale?: number;
}

/** `CREATE [OR REPLACE] PUMP "P" AS INSERT INTO "X" [(a, b)] SELECT STREAM ...`. */
export interface CreatePump {
  kind: 'CreatePump';
  orReplace: boolean;
  name: string;
  target: string;
  columns?: string[];
  select: Select;
  pos: Position;
}

/** A top-level query, as sent to the ad-hoc query endpoint. */
export interface SelectStatement {
  kind: 'Select';
  select: Select;
  pos: Position;
}

export interface Select {
  /** `SELECT STREAM` (continuous) versus plain `SELECT`. */
  stream: boolean;
  distinct: boolean;
  items: SelectItem[];
  from: FromItem;
  joins: Join[];
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
  /** `WINDOWED BY STAGGER (PARTITION BY ... RANGE INTERVAL '1' MINUTE)`. */
  windowedBy?: { stagger: { partitionBy: Expr[]; rangeMs: number } };
  windows?: NamedWindow[];
  orderBy?: OrderItem[];
  pos: Position;
}

export type SelectItem =
  | { kind: 'expr'; expr: Expr; alias?: string; pos: Position }
  /** `*` or `s.*`. */
  | { kind: 'star'; table?: string; pos: Position };

export type FromItem =
  | { kind: 'stream'; name: string; alias?: string; pos: Position }
  | { kind: 'subquery'; select: Select; alias?: string; pos: Position };

export interface Join {
  kind: 'INNER' | 'LEFT';
  source: FromItem;
  on: Expr;
  /** `JOIN s OVER (RANGE INTERVAL '1' MINUTE PRECEDING)` or `JOIN s OVER w`. Absent for a reference table. */
  window?: JoinWindow;
  pos: Position;
}

export type JoinWindow = { rangeMs: number } | { rows: number } | { name: string };

/** Frame of a sliding window. `RANGE CURRENT ROW` is `ms: 0`, `ROWS CURRENT ROW` is `n: 0`. */
export type WindowFrame = { kind: 'RANGE'; ms: number } | { kind: 'ROWS'; n: number };

export interface WindowSpec {
  partitionBy: Expr[];
  frame: WindowFrame;
}

/** `WINDOW W1 AS (PARTITION BY k RANGE INTERVAL '1' MINUTE PRECEDING)`. */
export interface NamedWindow extends WindowSpec {
  name: string;
  pos: Position;
}

export type WindowRef = { kind: 'named'; name: string } | { kind: 'inline'; spec: WindowSpec };

export interface OrderItem {
  expr: Expr;
  direction: 'ASC' | 'DESC';
}

export type IntervalUnit = 'YEAR' | 'MONTH' | 'DAY' | 'HOUR' | 'MINUTE' | 'SECOND';
export type FloorUnit = IntervalUnit;

export type BinaryOp =
  | 'OR' | 'AND'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | '||' | '+' | '-' | '*' | '/' | '%';

export type Expr =
  | { kind: 'number'; value: number; text: string; pos: Position }
  | { kind: 'string'; value: string; pos: Position }
  | { kind: 'boolean'; value: boolean; pos: Position }
  | { kind: 'null'; pos: Position }
  /** `TIMESTAMP '2018-08-01 20:17:20'`, `DATE '...'`, `TIME '...'`: the text is kept as written. */
  | { kind: 'datetime'; type: 'TIMESTAMP' | 'DATE' | 'TIME'; text: string; pos: Position }
  | IntervalLiteral
  | { kind: 'column'; table?: string; name: string; pos: Position }
  /** `ROWTIME` or `"S".ROWTIME`. */
  | { kind: 'rowtime'; table?: string; pos: Position }
  | { kind: 'unary'; op: '-' | '+' | 'NOT'; operand: Expr; pos: Position }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: Position }
  | { kind: 'isNull'; operand: Expr; negated: boolean; pos: Position }
  | { kind: 'between'; operand: Expr; low: Expr; high: Expr; negated: boolean; pos: Position }
  | { kind: 'in'; operand: Expr; list: Expr[]; negated: boolean; pos: Position }
  | { kind: 'like'; operand: Expr; pattern: Expr; escape?: Expr; negated: boolean; pos: Position }
  /** `sector SIMILAR TO '%TECH%'`: a SQL regular expression, not a LIKE pattern. */
  | { kind: 'similarTo'; operand: Expr; pattern: Expr; escape?: Expr; negated: boolean; pos: Position }
  /** Simple CASE has `operand`; searched CASE does not. */
  | { kind: 'case'; operand?: Expr; whens: { when: Expr; then: Expr }[]; else?: Expr; pos: Position }
  | { kind: 'cast'; operand: Expr; type: SqlType; pos: Position }
  /** Any other `NAME(args)`, including aggregates. `COUNT(*)` has `star: true` and no args. */
  | { kind: 'call'; name: string; args: Expr[]; distinct: boolean; star: boolean; over?: WindowRef; pos: Position }
  /** `FLOOR(ts TO MINUTE)` / `CEIL(ts TO HOUR)`. Plain `FLOOR(x)` is a `call`. */
  | { kind: 'timeFloor'; fn: 'FLOOR' | 'CEIL'; operand: Expr; unit: FloorUnit; pos: Position }
  /** `STEP(ROWTIME BY INTERVAL '60' SECOND)` or `STEP(x BY 5)`. */
  | { kind: 'step'; operand: Expr; by: Expr; pos: Position }
  /** `SUBSTRING(s FROM a [FOR b])` and `SUBSTRING(s, a [, b])`. */
  | { kind: 'substring'; operand: Expr; start: Expr; length?: Expr; pos: Position }
  | { kind: 'trim'; mode: 'BOTH' | 'LEADING' | 'TRAILING'; chars?: Expr; operand: Expr; pos: Position }
  /** `POSITION(needle IN haystack)`. */
  | { kind: 'position'; needle: Expr; haystack: Expr; pos: Position }
  | { kind: 'currentTime'; name: 'CURRENT_TIMESTAMP' | 'CURRENT_DATE' | 'CURRENT_TIME' | 'CURRENT_ROW_TIMESTAMP' | 'LOCALTIMESTAMP' | 'LOCALTIME'; pos: Position };

/**
 * `INTERVAL '1:30' MINUTE TO SECOND`. Day-time intervals have a fixed length and carry `ms`;
 * year-month intervals do not (a month has no fixed length) and carry `months` instead.
 */
export interface IntervalLiteral {
  kind: 'interval';
  text: string;
  from: IntervalUnit;
  to?: IntervalUnit;
  ms?: number;
  months?: number;
  pos: Position;
}
