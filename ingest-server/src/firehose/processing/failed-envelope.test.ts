import { describe, expect, it } from 'vitest';
import { failedRecordLine } from './failed-envelope.js';

const base = {
  attemptsMade: 4,
  arrivalTimestamp: 1_700_000_000_000,
  errorCode: 'Lambda.FunctionError',
  errorMessage: 'boom',
  attemptEndingTimestamp: 1_700_000_005_000,
  rawData: Buffer.from('{"a":1}\n'),
};

describe('failedRecordLine', () => {
  it('writes the processing-failed envelope with the documented fields in order and a trailing newline', () => {
    const line = failedRecordLine({ ...base, kind: 'processing-failed', lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:f' });
    const text = line.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'lambdaArn']);
    expect(doc).toEqual({
      attemptsMade: 4,
      arrivalTimestamp: 1_700_000_000_000,
      errorCode: 'Lambda.FunctionError',
      errorMessage: 'boom',
      attemptEndingTimestamp: 1_700_000_005_000,
      rawData: Buffer.from('{"a":1}\n').toString('base64'),
      lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    });
  });

  it('writes the format-conversion envelope with capitalised error fields and the catalog table', () => {
    const doc = JSON.parse(
      failedRecordLine({
        ...base,
        kind: 'format-conversion-failed',
        errorCode: 'DataFormatConversion.ParseError',
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        subSequenceNumber: 0,
        dataCatalogTable: { databaseName: 'db', tableName: 't', region: 'us-east-1' },
      }).toString('utf8'),
    ) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      'attemptsMade',
      'arrivalTimestamp',
      'ErrorCode',
      'ErrorMessage',
      'attemptEndingTimestamp',
      'rawData',
      'sequenceNumber',
      'subSequenceNumber',
      'dataCatalogTable',
    ]);
    expect(doc['ErrorCode']).toBe('DataFormatConversion.ParseError');
    expect(doc['dataCatalogTable']).toEqual({ databaseName: 'db', tableName: 't', region: 'us-east-1' });
  });

  it('omits the optional format-conversion fields it was not given', () => {
    const doc = JSON.parse(failedRecordLine({ ...base, kind: 'format-conversion-failed' }).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'ErrorCode', 'ErrorMessage', 'attemptEndingTimestamp', 'rawData']);
  });

  it('writes other failures (e.g. dynamic partitioning) without lambdaArn', () => {
    const doc = JSON.parse(
      failedRecordLine({ ...base, kind: 'generic', attemptsMade: 0, errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: 'Non JSON record provided' }).toString('utf8'),
    ) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData']);
    expect(Buffer.from(doc['rawData'] as string, 'base64').toString('utf8')).toBe('{"a":1}\n');
  });
});
