/**
 * DiscoverInputSchema: samples records from a data stream (or an object in a bucket) and infers
 * the schema, as the KDA console's "Discover schema" does. Up to 100 records are sampled; from a
 * stream, from the InputStartingPosition (TRIM_HORIZON when absent, so a stream that already
 * holds records always yields a sample).
 */
import { RivuletError } from '@rivulet/shared';
import { bucketFromArn } from '../../firehose/index.js';
import { inputStreamOf } from '../app/firehose-input.js';
import { StreamInput } from '../app/source.js';
import { recordData } from '../../streams/index.js';
import { discoverSchema } from '../discover.js';
import { Schemas } from '../schemas.js';
import { analyticsAction } from './define.js';

const SAMPLE_RECORDS = 100;

export const discoverInputSchema = analyticsAction('DiscoverInputSchema', Schemas.DiscoverInputSchema, async (svc, input) => {
  if (input.InputProcessingConfiguration) throw new RivuletError('ANALYTICS_UNSUPPORTED', { message: 'Input preprocessing with a Lambda function is not supported by this server.' });
  let samples: Buffer[];
  if (input.S3Configuration) {
    const { BucketARN, FileKey } = input.S3Configuration;
    let data: Buffer;
    try {
      data = await svc.deps.firehose.readObject(bucketFromArn(BucketARN), FileKey);
    } catch (err) {
      throw new RivuletError('ANALYTICS_NOT_FOUND', { message: `Object ${FileKey} could not be read from ${BucketARN}: ${(err as Error).message}` }, { cause: err });
    }
    // A static file is sampled as a whole: discovery splits its rows itself.
    samples = [data];
  } else if (input.ResourceARN) {
    // A delivery stream is sampled through the data stream its records are read from.
    const arn = input.ResourceARN;
    const { streamName: name } = inputStreamOf(arn.includes(':firehose:') ? { KinesisFirehoseInput: { ResourceARN: arn } } : { KinesisStreamsInput: { ResourceARN: arn } }, svc.deps);
    const position = input.InputStartingPositionConfiguration?.InputStartingPosition ?? 'TRIM_HORIZON';
    const now = svc.deps.clock.now();
    const source = new StreamInput(name, position === 'TRIM_HORIZON' ? { kind: 'TRIM_HORIZON' } : { kind: 'AT_TIMESTAMP', timestampMs: now }, {}, {
      streams: svc.deps.streams,
      now: () => svc.deps.clock.now(),
      commitSkewMs: 0,
      readLimit: SAMPLE_RECORDS,
    });
    svc.deps.streams.registry.require({ StreamName: name });
    samples = (await source.poll()).records.slice(0, SAMPLE_RECORDS).map(recordData);
  } else {
    throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: 'DiscoverInputSchema needs ResourceARN or S3Configuration.' });
  }
  return discoverSchema(samples);
});
