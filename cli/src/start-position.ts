/**
 * Where a read starts (--from of get, tail and apps output): TRIM_HORIZON, LATEST, a TIME, or a
 * sequence number. Owns parsing that word and turning it into GetShardIterator parameters; not
 * the reading itself (stream-reader.ts).
 */
import type { GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { parseTimeArg } from './time-arg.js';

export type StartPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestampMs: number }
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

/** Kinesis sequence numbers are 21 to 56 digits; a TIME in unix ms has at most 16. */
const MIN_SEQUENCE_DIGITS = 17;

export const FROM_HELP = 'TRIM_HORIZON, LATEST, a TIME, a sequence number, or AFTER:SEQ';

/**
 * @example
 * parseStartPosition('-5m', now) // => { type: 'AT_TIMESTAMP', timestampMs: now - 300000 }
 */
export function parseStartPosition(text: string, nowMs: number): StartPosition {
  const upper = text.trim().toUpperCase();
  if (upper === 'TRIM_HORIZON' || upper === 'OLDEST') return { type: 'TRIM_HORIZON' };
  if (upper === 'LATEST') return { type: 'LATEST' };
  const seq = /^(AT|AFTER)(?:_SEQUENCE_NUMBER)?:(\d+)$/.exec(upper);
  if (seq) return { type: seq[1] === 'AT' ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq[2]! };
  if (/^\d+$/.test(upper) && upper.length >= MIN_SEQUENCE_DIGITS) return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: upper };
  try {
    return { type: 'AT_TIMESTAMP', timestampMs: parseTimeArg(text, nowMs, '--from') };
  } catch (cause) {
    throw new RivuletError('CLI_USAGE', { message: `--from ${JSON.stringify(text)} is not ${FROM_HELP}` }, { cause });
  }
}

/** The GetShardIterator input for `position` on one shard. */
export function iteratorInput(stream: string, shardId: string, position: StartPosition): GetShardIteratorCommandInput {
  const base = { StreamName: stream, ShardId: shardId, ShardIteratorType: position.type };
  if (position.type === 'AT_TIMESTAMP') return { ...base, Timestamp: new Date(position.timestampMs) };
  if (position.type === 'AT_SEQUENCE_NUMBER' || position.type === 'AFTER_SEQUENCE_NUMBER') return { ...base, StartingSequenceNumber: position.sequenceNumber };
  return base;
}
