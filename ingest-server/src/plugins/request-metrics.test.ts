import { describe, expect, it } from 'vitest';
import { requestIdFor, requestLabels } from './request-metrics.js';

describe('requestIdFor', () => {
  it('keeps a caller’s safe token of up to 64 characters', () => {
    expect(requestIdFor('trace-42.a_B')).toBe('trace-42.a_B');
    expect(requestIdFor('a'.repeat(64))).toBe('a'.repeat(64));
  });

  it('replaces a missing, long, repeated or unsafe header with a UUID', () => {
    for (const bad of [undefined, '', 'a'.repeat(65), 'has space', 'new\nline', '<script>', ['one', 'two']]) {
      expect(requestIdFor(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('requestLabels', () => {
  it('names AWS JSON requests by service and X-Amz-Target action', () => {
    expect(requestLabels('/', 'Kinesis_20131202.PutRecords', undefined)).toEqual({ service: 'streams', action: 'PutRecords' });
    expect(requestLabels('/', 'Firehose_20150804.PutRecordBatch', undefined)).toEqual({ service: 'firehose', action: 'PutRecordBatch' });
    expect(requestLabels('/', 'KinesisAnalytics_20150814.StartApplication', 'ResourceNotFoundException')).toEqual({ service: 'analytics', action: 'StartApplication' });
  });

  it('never turns an unknown target into a label', () => {
    expect(requestLabels('/', 'Kinesis_20131202.MadeUp1', 'UnknownOperationException')).toEqual({ service: 'streams', action: 'Unknown' });
    expect(requestLabels('/', 'Nope_2020.PutRecords', 'UnknownOperationException')).toEqual({ service: 'other', action: 'Unknown' });
    expect(requestLabels('/', undefined, 'UnknownOperationException')).toEqual({ service: 'other', action: 'Unknown' });
    expect(requestLabels('/', 'Kinesis_20131202.a b', 'SerializationException')).toEqual({ service: 'streams', action: 'Unknown' });
  });

  it('names REST routes by their path pattern, and unrouted requests NotFound', () => {
    expect(requestLabels('/getClip', undefined, undefined)).toEqual({ service: 'video', action: 'GetClip' });
    expect(requestLabels('/putMedia', undefined, undefined)).toEqual({ service: 'video', action: 'PutMedia' });
    expect(requestLabels('/hls/v1/getHLSMasterPlaylist.m3u8', undefined, undefined)).toEqual({ service: 'video', action: 'GetHLSMasterPlaylist' });
    expect(requestLabels('/analytics/query', undefined, undefined)).toEqual({ service: 'analytics', action: 'Query' });
    expect(requestLabels('/console/*', undefined, undefined)).toEqual({ service: 'console', action: 'Console' });
    expect(requestLabels('/metrics', undefined, undefined)).toEqual({ service: 'other', action: 'Metrics' });
    expect(requestLabels('/readyz', undefined, undefined)).toEqual({ service: 'other', action: 'Readyz' });
    expect(requestLabels(undefined, 'Kinesis_20131202.PutRecords', undefined)).toEqual({ service: 'other', action: 'NotFound' });
  });
});
