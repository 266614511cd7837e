import { RivuletError } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { errorPrefixTemplate, objectName, PREFIX_ERRORS, renderPrefix, validatePrefixes, type PrefixContext } from './prefix.js';

// 10:30:05 UTC on Aug 27, 2018, as in the AWS examples
const AUG27 = Date.UTC(2018, 7, 27, 10, 30, 5);

function ctx(over: Partial<PrefixContext> = {}): PrefixContext {
  let n = 0;
  return {
    arrivalMs: AUG27,
    queryKeys: {},
    lambdaKeys: {},
    randomString: () => `rnd${String(n++).padStart(8, '0')}`,
    ...over,
  };
}

function rendered(template: string | undefined, c: PrefixContext, kind: 'data' | 'error' = 'data'): string {
  const r = renderPrefix(template, c, kind);
  if (!r.ok) throw new Error(`${r.errorCode}: ${r.errorMessage}`);
  return r.prefix;
}

function rejection(prefix: string | undefined, errorPrefix: string | undefined, dynamicPartitioning = false): string {
  try {
    validatePrefixes(prefix, errorPrefix, { dynamicPartitioning });
  } catch (err) {
    expect(err).toBeInstanceOf(RivuletError);
    expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    return (err as RivuletError).message;
  }
  throw new Error('expected the prefixes to be rejected');
}

describe('renderPrefix', () => {
  it('uses yyyy/MM/dd/HH/ (UTC) when no Prefix is given', () => {
    expect(rendered(undefined, ctx())).toBe('2018/08/27/10/');
    expect(rendered('', ctx())).toBe('2018/08/27/10/');
  });

  it('appends !{timestamp:yyyy/MM/dd/HH/} to a Prefix without a timestamp expression', () => {
    expect(rendered('myFirehosePrefix/', ctx())).toBe('myFirehosePrefix/2018/08/27/10/');
    expect(rendered('rand=!{firehose:random-string}/', ctx())).toBe('rand=rnd00000000/2018/08/27/10/');
  });

  it('evaluates timestamp patterns with quoted literals, every instance at the same instant', () => {
    expect(rendered("myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", ctx())).toBe(
      'myPrefix/year=2018/month=08/day=27/hour=10/',
    );
    expect(rendered("p/!{timestamp:'year='yyyy'/month='M'/min='mm'/sec='ss'/yy='yy}/", ctx())).toBe('p/year=2018/month=8/min=30/sec=05/yy=18/');
    expect(rendered("p/!{timestamp:HH'h'''}/", ctx())).toBe("p/10h'/");
  });

  it('gives each random-string instance a new value', () => {
    expect(rendered('!{firehose:random-string}/!{firehose:random-string}/!{timestamp:yyyy}', ctx())).toBe('rnd00000000/rnd00000001/2018');
  });

  it('uses a dynamic-partitioning Prefix as written and fills keys from the query and the Lambda', () => {
    const c = ctx({ queryKeys: { customer_id: '1234567890' }, lambdaKeys: { device: 'mobile' } });
    expect(rendered('customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromLambda:device}/', c)).toBe(
      'customer_id=1234567890/device=mobile/',
    );
  });

  it('returns an error result when a referenced partition key is missing', () => {
    const r = renderPrefix('c=!{partitionKeyFromQuery:customer_id}/', ctx({ lambdaKeys: { customer_id: 'x' } }), 'data');
    expect(r).toMatchObject({ ok: false, errorCode: PREFIX_ERRORS.keyMissing });
  });

  it.each([
    ['..', "'..' path segment"],
    ['a/../b', "'..' path segment"],
    ['/etc', "starts with '/'"],
    ['a\0b', 'NUL'],
  ])('refuses the partition value %j', (value, reason) => {
    const r = renderPrefix('!{partitionKeyFromQuery:k}/', ctx({ queryKeys: { k: value } }), 'data');
    expect(r).toMatchObject({ ok: false, errorCode: PREFIX_ERRORS.unsafeValue });
    if (!r.ok) expect(r.errorMessage).toContain(reason);
  });

  it('refuses values that only form a ".." segment together', () => {
    const r = renderPrefix('x/!{partitionKeyFromQuery:a}!{partitionKeyFromLambda:b}/', ctx({ queryKeys: { a: '.' }, lambdaKeys: { b: '.' } }), 'data');
    expect(r).toMatchObject({ ok: false, errorCode: PREFIX_ERRORS.unsafeValue });
  });

  it('allows partition values with inner slashes and dots', () => {
    expect(rendered('k=!{partitionKeyFromQuery:k}/', ctx({ queryKeys: { k: 'a.b/c..d' } }))).toBe('k=a.b/c..d/');
  });

  it('returns an error result past 512 evaluated characters', () => {
    const r = renderPrefix('!{partitionKeyFromQuery:k}/', ctx({ queryKeys: { k: 'x'.repeat(512) } }), 'data');
    expect(r).toMatchObject({ ok: false, errorCode: PREFIX_ERRORS.tooLong });
  });

  it('renders the error-output-type in an error prefix', () => {
    const c = ctx({ errorOutputType: 'processing-failed' });
    expect(rendered('myFirehoseFailures/!{firehose:error-output-type}/', c, 'error')).toBe('myFirehoseFailures/processing-failed/');
    expect(rendered('err/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}', c, 'error')).toBe('err/processing-failed/2018/anyMonth/27');
  });

  it("derives AWS's default error prefix from a literal Prefix", () => {
    const c = ctx({ errorOutputType: 'format-conversion-failed' });
    expect(rendered(errorPrefixTemplate('myFirehosePrefix/', undefined), c, 'error')).toBe('myFirehosePrefix/format-conversion-failed/2018/08/27/10/');
    expect(rendered(undefined, c, 'error')).toBe('format-conversion-failed/2018/08/27/10/');
    expect(errorPrefixTemplate('a/', 'errors/!{firehose:error-output-type}')).toBe('errors/!{firehose:error-output-type}');
  });

  it('cannot evaluate error-output-type in a data prefix', () => {
    expect(renderPrefix('!{firehose:error-output-type}', ctx({ errorOutputType: 'processing-failed' }), 'data').ok).toBe(false);
  });
});

describe('validatePrefixes', () => {
  it('accepts the AWS example prefixes', () => {
    expect(() => validatePrefixes(undefined, 'myFirehoseFailures/!{firehose:error-output-type}/', { dynamicPartitioning: false })).not.toThrow();
    expect(() =>
      validatePrefixes(
        'myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}',
        'myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}',
        { dynamicPartitioning: false },
      ),
    ).not.toThrow();
    expect(() => validatePrefixes('myFirehosePrefix', undefined, { dynamicPartitioning: false })).not.toThrow();
    expect(() =>
      validatePrefixes('customer_id=!{partitionKeyFromQuery:customer_id}/!{timestamp:yyyy}/', 'errors/!{firehose:error-output-type}/', { dynamicPartitioning: true }),
    ).not.toThrow();
  });

  it("rejects a Prefix with expressions and no ErrorOutputPrefix, as AWS's example does", () => {
    expect(rejection('!{timestamp:yyyy/MM/dd}', undefined)).toContain("ErrorOutputPrefix can't be null when Prefix contains expressions");
  });

  it('rejects unknown namespaces, firehose values and malformed expressions', () => {
    expect(rejection('!{time:yyyy}', 'e/!{firehose:error-output-type}')).toContain("unknown namespace 'time'");
    expect(rejection('!{firehose:uuid}', 'e/!{firehose:error-output-type}')).toContain("unknown firehose namespace value 'uuid'");
    expect(rejection('a/!{timestamp:yyyy', 'e/')).toContain('not closed');
    expect(rejection('a/!{timestampyyyy}', 'e/')).toContain('!{namespace:value}');
    expect(rejection('a/!{timestamp:}', 'e/')).toContain('empty value');
  });

  it('rejects timestamp patterns outside the supported DateTimeFormatter subset', () => {
    expect(rejection('!{timestamp:yyyy-MMM}', 'e/!{firehose:error-output-type}')).toContain("'MMM'");
    expect(rejection('!{timestamp:EEE}', 'e/!{firehose:error-output-type}')).toContain("'EEE'");
    expect(rejection("!{timestamp:'year=yyyy}", 'e/!{firehose:error-output-type}')).toContain('quoted literal');
    expect(rejection('!{timestamp:yyyy[MM]}', 'e/!{firehose:error-output-type}')).toContain('reserved');
  });

  it('rejects partition-key namespaces without dynamic partitioning', () => {
    expect(rejection('c=!{partitionKeyFromQuery:c}/', 'e/!{firehose:error-output-type}')).toContain('only be used when dynamic partitioning is enabled');
    expect(rejection('c=!{partitionKeyFromLambda:c}/', 'e/!{firehose:error-output-type}')).toContain('partitionKeyFromLambda');
  });

  it('requires ErrorOutputPrefix and a partition-key expression with dynamic partitioning', () => {
    expect(rejection('c=!{partitionKeyFromQuery:c}/', undefined, true)).toContain("can't be null");
    expect(rejection('static/', undefined, true)).toContain('must be specified when dynamic partitioning is enabled');
    expect(rejection('!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}', true)).toContain('at least one partitionKeyFromQuery');
  });

  it('keeps error-output-type out of Prefix and requires it in an ErrorOutputPrefix with expressions', () => {
    expect(rejection('!{firehose:error-output-type}/', 'e/!{firehose:error-output-type}')).toContain('Prefix cannot contain !{firehose:error-output-type}');
    expect(rejection('!{timestamp:yyyy}/', 'e/!{timestamp:yyyy}/')).toContain('must contain at least one instance of !{firehose:error-output-type}');
    expect(() => validatePrefixes('static/', 'errors/', { dynamicPartitioning: false })).not.toThrow();
  });

  it('keeps partition keys out of ErrorOutputPrefix', () => {
    expect(rejection('c=!{partitionKeyFromQuery:c}/', 'e/!{firehose:error-output-type}/!{partitionKeyFromQuery:c}', true)).toContain('cannot be used in ErrorOutputPrefix');
  });

  it('rejects templates that would escape the bucket directory', () => {
    expect(rejection('/abs/', undefined)).toContain("starts with '/'");
    expect(rejection('a/../b/', undefined)).toContain("'..' path segment");
    expect(rejection('a/', '../!{firehose:error-output-type}')).toContain("'..' path segment");
  });

  it('rejects templates longer than the API allows', () => {
    expect(rejection('p'.repeat(1025), undefined)).toContain('longer than 1024');
  });
});

describe('objectName', () => {
  it('formats <prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid> in UTC', () => {
    const name = objectName('2018/08/27/10/', 'my-stream', 3, AUG27, 'batch-1');
    expect(name).toMatch(/^2018\/08\/27\/10\/my-stream-3-2018-08-27-10-30-05-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names a retried batch identically and different batches differently', () => {
    expect(objectName('p/', 's', 1, AUG27, 'batch-1')).toBe(objectName('p/', 's', 1, AUG27, 'batch-1'));
    expect(objectName('p/', 's', 1, AUG27, 'batch-1')).not.toBe(objectName('p/', 's', 1, AUG27, 'batch-2'));
  });
});
