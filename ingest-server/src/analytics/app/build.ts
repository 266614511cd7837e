/**
 * From an application's definition to the parts that run it: the compiled graph, the input
 * reader and decoder, the output sinks and encoders, and the reference tables' loaders.
 *
 * Owns: how the API's configuration maps onto the engine: the input's in-application stream
 * gets the schema's columns plus APPROXIMATE_ARRIVAL_TIME; a reference data source becomes a
 * table; an output names the in-application stream it sends. Configuration that cannot work is
 * refused here with the AWS error the API returns (CodeValidationException for the SQL).
 * Does not own: the loop (runner.ts) or the lifecycle (service.ts).
 */
import { RivuletError } from '@rivulet/shared';
import { SqlCompileError } from '../engine/errors.js';
import type { ReferenceTable } from '../engine/join.js';
import { SqlSyntaxError } from '../sql/index.js';
import { inAppStreamOf, type ApplicationDoc } from '../model.js';
import { compileRecordDecoder, compileRecordEncoder } from '../record-format.js';
import type { Value } from '../engine/values.js';
import { AppGraph, type InAppStream, type StreamColumn } from './graph.js';

export const ARRIVAL_COLUMN: StreamColumn = { name: 'APPROXIMATE_ARRIVAL_TIME', type: 'TIMESTAMP', sqlType: { name: 'TIMESTAMP' } };

/** The SQL error as KDA reports it: CodeValidationException, with the line and column. */
export function codeError(err: unknown): RivuletError | undefined {
  if (err instanceof SqlSyntaxError || err instanceof SqlCompileError) {
    return new RivuletError('ANALYTICS_CODE', { message: err.message, line: err.line, column: err.column }, { cause: err });
  }
  return undefined;
}

export interface BuiltApplication {
  readonly graph: AppGraph;
  readonly inputs: readonly { doc: ApplicationDoc['inputs'][number]; streamName: string; decode: ReturnType<typeof compileRecordDecoder> }[];
  readonly outputs: readonly { doc: ApplicationDoc['outputs'][number]; encode: (values: readonly Value[]) => Buffer }[];
  readonly tables: readonly { doc: ApplicationDoc['references'][number]; decode: ReturnType<typeof compileRecordDecoder> }[];
}

/**
 * Compiles an application. Throws ANALYTICS_CODE for SQL that does not parse or compile,
 * ANALYTICS_INVALID_ARGUMENT for schemas that cannot be used.
 */
export function buildApplication(doc: ApplicationDoc, options: { graceMs: number; now: () => number }): BuiltApplication {
  const inputs = doc.inputs.map((input) => ({
    doc: input,
    streamName: inAppStreamOf(input.NamePrefix),
    decode: compileRecordDecoder(input.InputSchema),
  }));
  const streams: InAppStream[] = inputs.map((i) => ({ name: i.streamName, columns: [...i.decode.columns, ARRIVAL_COLUMN] }));
  const tables = doc.references.map((r) => ({ doc: r, decode: compileRecordDecoder(r.ReferenceSchema) }));
  let graph: AppGraph;
  try {
    graph = AppGraph.compile(doc.code, streams, tables.map((t) => ({ name: t.doc.TableName, columns: t.decode.columns })), options);
  } catch (err) {
    throw codeError(err) ?? err;
  }
  const outputs = doc.outputs.map((output) => {
    const stream = graph.streams.get(output.Name);
    if (!stream) {
      throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Output ${output.OutputId} names in-application stream ${output.Name}, which the application code does not create` });
    }
    return { doc: output, encode: compileRecordEncoder(output.DestinationSchema.RecordFormatType, stream.columns) };
  });
  return { graph, inputs, outputs, tables };
}

/** Decodes a reference data object into a table; rows that do not match the schema are skipped and counted. */
export function referenceTable(decode: ReturnType<typeof compileRecordDecoder>, data: Buffer): { table: ReferenceTable; skipped: number } {
  let { rows, errors } = decode(data);
  // A JSON reference object is either one document or one JSON object per line.
  if (errors.length > 0 && rows.length === 0) {
    rows = [];
    errors = [];
    for (const line of data.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const one = decode(Buffer.from(line, 'utf8'));
      rows.push(...one.rows);
      errors.push(...one.errors);
    }
  }
  return { table: { columns: decode.columns, rows }, skipped: errors.length };
}

/** Only checks the code, for CreateApplication and UpdateApplication. */
export function checkApplication(doc: ApplicationDoc): void {
  buildApplication(doc, { graceMs: 0, now: () => 0 });
}
