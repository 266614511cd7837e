/**
 * The JSON lines Firehose writes under the error output prefix, one per failed record. Owns their field
 * names and order only; choosing the prefix (prefix.ts) and deciding what failed (transform.ts,
 * partitioning.ts, format conversion, destinations) live elsewhere.
 *
 * Shapes, from the Firehose developer guide:
 * - processing-failed ("Handle failure in data transformation"):
 *   {attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn}
 * - format-conversion-failed ("Handling errors for data format conversion"):
 *   {attemptsMade, arrivalTimestamp, ErrorCode, ErrorMessage, attemptEndingTimestamp, rawData,
 *    sequenceNumber, subSequenceNumber, dataCatalogTable{catalogId, databaseName, tableName, region, versionId, catalogArn}}
 *   (the current page capitalises ErrorCode/ErrorMessage; older revisions said lastErrorCode/lastErrorMessage).
 * - everything else (dynamic-partitioning failures, http-endpoint/splunk/OpenSearch backups): AWS documents no
 *   schema, so these carry the processing-failed fields without lambdaArn.
 * Timestamps are epoch milliseconds; rawData is the record's original bytes in base64.
 */

interface FailedRecordBase {
  attemptsMade: number;
  /** When Firehose received the record (epoch ms). */
  arrivalTimestamp: number;
  errorCode: string;
  errorMessage: string;
  /** When Firehose stopped trying (epoch ms). */
  attemptEndingTimestamp: number;
  /** The record as it arrived, before any transformation. */
  rawData: Buffer;
}

export interface DataCatalogTableRef {
  catalogId?: string;
  databaseName: string;
  tableName: string;
  region?: string;
  versionId?: string;
  catalogArn?: string;
}

export type FailedRecord =
  | (FailedRecordBase & { kind: 'processing-failed'; lambdaArn: string })
  | (FailedRecordBase & { kind: 'format-conversion-failed'; sequenceNumber?: string; subSequenceNumber?: number; dataCatalogTable?: DataCatalogTableRef })
  | (FailedRecordBase & { kind: 'generic' });

/** One failed record as a JSON line with a trailing newline, fields in AWS's documented order. */
export function failedRecordLine(rec: FailedRecord): Buffer {
  const head = { attemptsMade: rec.attemptsMade, arrivalTimestamp: rec.arrivalTimestamp };
  const tail = { attemptEndingTimestamp: rec.attemptEndingTimestamp, rawData: rec.rawData.toString('base64') };
  let doc: Record<string, unknown>;
  switch (rec.kind) {
    case 'processing-failed':
      doc = { ...head, errorCode: rec.errorCode, errorMessage: rec.errorMessage, ...tail, lambdaArn: rec.lambdaArn };
      break;
    case 'format-conversion-failed':
      doc = {
        ...head,
        ErrorCode: rec.errorCode,
        ErrorMessage: rec.errorMessage,
        ...tail,
        ...(rec.sequenceNumber !== undefined ? { sequenceNumber: rec.sequenceNumber } : {}),
        ...(rec.subSequenceNumber !== undefined ? { subSequenceNumber: rec.subSequenceNumber } : {}),
        ...(rec.dataCatalogTable ? { dataCatalogTable: rec.dataCatalogTable } : {}),
      };
      break;
    case 'generic':
      doc = { ...head, errorCode: rec.errorCode, errorMessage: rec.errorMessage, ...tail };
      break;
  }
  return Buffer.from(`${JSON.stringify(doc)}\n`, 'utf8');
}
