/**
 * Firehose delivery streams as application inputs (KinesisFirehoseInput).
 *
 * Owns: which Rivulet data stream an input is read from, and the taps. A delivery stream that
 * reads a data stream (KinesisStreamAsSource) is read through that same data stream. A Direct
 * PUT delivery stream gets a tap: every record Firehose accepts is first appended to the data
 * stream `firehose-tap.<delivery stream>`, which the application then reads like any input:
 * the records keep their arrival time, survive restarts, and stay for the stream's retention
 * (so records put while the application is stopped are read when it starts from where it was).
 * The tap stream is written without the per-shard client quota and outlives the applications
 * (deleting it is the operator's call); it appears in ListStreams under that name.
 * Does not own: reading (source.ts) or the put path (FirehoseService.put calls the tap).
 */
import { RivuletError } from '@rivulet/shared';
import type { FirehoseService } from '../../firehose/index.js';
import type { StreamsService } from '../../streams/index.js';
import { streamNameOfArn } from './source.js';

const TAP_PREFIX = 'firehose-tap.';

export interface TapDeps {
  readonly streams: StreamsService;
  readonly firehose: FirehoseService;
}

/** The name of the data stream that holds a Direct PUT delivery stream's records for Analytics. */
export function tapStreamName(deliveryStream: string): string {
  return `${TAP_PREFIX}${deliveryStream}`;
}

/** The data stream an input reads, and for a Direct PUT delivery stream the tap it needs. */
export function inputStreamOf(
  input: { KinesisStreamsInput?: { ResourceARN: string } | undefined; KinesisFirehoseInput?: { ResourceARN: string } | undefined },
  deps: TapDeps,
): { streamName: string; tapOf?: string } {
  if (input.KinesisStreamsInput) return { streamName: streamNameOfArn(input.KinesisStreamsInput.ResourceARN, 'kinesis') };
  if (!input.KinesisFirehoseInput) throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: 'An input needs KinesisStreamsInput or KinesisFirehoseInput.' });
  const name = streamNameOfArn(input.KinesisFirehoseInput.ResourceARN, 'firehose');
  let source: { streamName: string } | undefined;
  try {
    source = deps.firehose.docOf(name).source;
  } catch (err) {
    throw new RivuletError('ANALYTICS_INVALID_ARGUMENT', { message: `Delivery stream ${name} does not exist.` }, { cause: err });
  }
  return source ? { streamName: source.streamName } : { streamName: tapStreamName(name), tapOf: name };
}

/** Creates the tap stream if needed and makes the delivery stream write into it. */
export async function ensureTap(deliveryStream: string, deps: TapDeps): Promise<void> {
  const name = tapStreamName(deliveryStream);
  const registry = deps.streams.registry;
  try {
    registry.require({ StreamName: name });
  } catch {
    await registry.create(name, 1, 'PROVISIONED', {});
  }
  deps.firehose.setTap(deliveryStream, async (records) => {
    const stream = registry.require({ StreamName: name });
    const entries = records.map((data) => ({ dataBase64: data.toString('base64'), dataBytes: data.length, partitionKey: deliveryStream }));
    await deps.streams.records.put(stream, entries, undefined, false, false);
  });
}

/** Removes a delivery stream's tap (its records already in the tap stream stay until they expire). */
export function removeTap(deliveryStream: string, deps: TapDeps): void {
  deps.firehose.setTap(deliveryStream, undefined);
}
