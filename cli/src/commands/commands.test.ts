import { describe, expect, it } from 'vitest';
import { streamNameOfArn } from './apps.js';
import { createInputFromFlags, delimit } from './firehose.js';
import { putSource } from './records.js';
import { windowFraction } from './replay.js';
import { midpointHashKey, shardIdArg } from './streams.js';

describe('command helpers', () => {
  it('splits at the midpoint of a hash key range', () => {
    expect(midpointHashKey(0n, (1n << 128n) - 1n)).toBe(1n << 127n);
    expect(midpointHashKey(10n, 11n)).toBe(11n);
  });

  it('reads a bare shard index as a shard id', () => {
    expect(shardIdArg('3')).toBe('shardId-000000000003');
    expect(shardIdArg('shardId-000000000007')).toBe('shardId-000000000007');
  });

  it('takes put data from an argument, a file or stdin, never two of them', () => {
    expect(putSource(['s', 'hello'], undefined, 'put')).toEqual({ kind: 'arg', data: 'hello' });
    expect(putSource(['s'], 'f.bin', 'put')).toEqual({ kind: 'file', path: 'f.bin' });
    expect(putSource(['s', '-'], undefined, 'put')).toEqual({ kind: 'stdin' });
    expect(() => putSource(['s', 'x'], 'f', 'put')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
    expect(() => putSource(['s'], undefined, 'put')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
  });

  it('builds a bucket destination from firehose flags', () => {
    expect(createInputFromFlags('d', { bucket: 'logs', prefix: 'p/', interval: '60', size: '5', compression: 'GZIP' })).toEqual({
      DeliveryStreamName: 'd',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/rivulet-cli',
        BucketARN: 'arn:aws:s3:::logs',
        Prefix: 'p/',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        CompressionFormat: 'GZIP',
      },
    });
    expect(() => createInputFromFlags('d', { bucket: 'b', compression: 'LZMA' })).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
    expect(() => createInputFromFlags('d', {})).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
  });

  it('ends firehose records with a newline unless they have one or --raw', () => {
    expect(delimit(Buffer.from('a'), false).toString()).toBe('a\n');
    expect(delimit(Buffer.from('a\n'), false).toString()).toBe('a\n');
    expect(delimit(Buffer.from('a'), true).toString()).toBe('a');
  });

  it('measures how much of a replay window is covered', () => {
    expect(windowFraction(1000, 2000, 1500)).toBe(0.5);
    expect(windowFraction(1000, 2000, 500)).toBe(0);
    expect(windowFraction(1000, 2000, 9000)).toBe(1);
    expect(windowFraction(1000, 1000, 1000)).toBe(1);
  });

  it('takes the stream name out of a stream ARN', () => {
    expect(streamNameOfArn('arn:aws:kinesis:us-east-1:000000000000:stream/doubled')).toBe('doubled');
  });
});
