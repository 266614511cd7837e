import { describe, expect, it } from 'vitest';
import { parseRetryAfter, verdictFromHttp, verdictFromNetworkError } from './http-verdict.js';

const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('verdictFromHttp', () => {
  it.each([
    [200, undefined, 'ok'],
    [204, undefined, 'ok'],
    [408, undefined, 'retry'],
    [429, undefined, 'retry'],
    [500, 'InternalFailure', 'retry'],
    [502, undefined, 'retry'],
    [503, 'ServiceUnavailable', 'retry'],
    [504, undefined, 'retry'],
    [507, undefined, 'retry'],
    [400, 'ProvisionedThroughputExceededException', 'retry'],
    [400, 'LimitExceededException', 'retry'],
    [400, 'ThrottlingException', 'retry'],
    [400, 'KMSThrottlingException', 'retry'],
    [400, 'com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException', 'retry'],
    [400, 'ThrottlingException:http://internal.amazon.com/coral/', 'retry'],
    [400, 'ValidationException', 'error'],
    [400, 'ResourceNotFoundException', 'error'],
    [400, 'InvalidArgumentException', 'error'],
    [400, 'SerializationException', 'error'],
    [400, undefined, 'error'],
    [401, undefined, 'error'],
    [403, 'UnrecognizedClientException', 'error'],
    [403, 'InvalidSignatureException', 'error'],
    [404, 'UnknownOperationException', 'error'],
    [413, 'SerializationException', 'error'],
    [501, undefined, 'error'],
    [301, undefined, 'error'],
  ] as const)('HTTP %i %s is %s', (status, awsType, kind) => {
    expect(verdictFromHttp(status, {}, awsType, NOW_MS).kind).toBe(kind);
  });

  it('names the status and the bare AWS type in the reason', () => {
    expect(verdictFromHttp(400, {}, 'com.amazonaws.kinesis#ValidationException')).toEqual({
      kind: 'error',
      reason: 'HTTP 400 ValidationException',
    });
    expect(verdictFromHttp(503, {})).toEqual({ kind: 'retry', reason: 'HTTP 503' });
  });

  it('carries Retry-After in seconds on a retry verdict', () => {
    expect(verdictFromHttp(429, { 'retry-after': '7' })).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 7000 });
    expect(verdictFromHttp(503, { 'Retry-After': ' 2 ' })).toMatchObject({ retryAfterMs: 2000 });
  });

  it('turns an HTTP-date Retry-After into a delay from the injected now', () => {
    const headers = { 'retry-after': new Date(NOW_MS + 90_000).toUTCString() };
    expect(verdictFromHttp(503, headers, undefined, NOW_MS)).toMatchObject({ kind: 'retry', retryAfterMs: 90_000 });
  });

  it('ignores Retry-After on an error verdict and when it cannot be read', () => {
    expect(verdictFromHttp(400, { 'retry-after': '5' }, 'ValidationException')).not.toHaveProperty('retryAfterMs');
    expect(verdictFromHttp(503, { 'retry-after': 'soon' }, undefined, NOW_MS)).not.toHaveProperty('retryAfterMs');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120_000],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30_000],
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['not a date', undefined],
  ])('reads %j as %s ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW_MS)).toBe(expected);
  });

  it('cannot read an HTTP-date without a now to measure from', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT')).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW_MS)).toBeUndefined();
  });
});

describe('verdictFromNetworkError', () => {
  it('retries and names the socket error under fetch\'s wrapper', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:4567'), { code: 'ECONNREFUSED' });
    const verdict = verdictFromNetworkError(new TypeError('fetch failed', { cause: socket }));
    expect(verdict).toEqual({
      kind: 'retry',
      reason: 'network error: fetch failed: ECONNREFUSED connect ECONNREFUSED 10.0.0.1:4567',
    });
  });

  it('retries whatever was thrown, even a non-Error', () => {
    expect(verdictFromNetworkError('timeout')).toEqual({ kind: 'retry', reason: 'network error: timeout' });
    expect(verdictFromNetworkError(undefined)).toEqual({ kind: 'retry', reason: 'network error: unknown' });
  });
});
