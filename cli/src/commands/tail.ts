/**
 * `rivulet tail STREAM`: follows every open shard, and after a split or merge the children of
 * each closed shard (read only once all their parents are exhausted, so per-key order holds),
 * until Ctrl-C, --count or --timeout. Owns the flags and the stop conditions; the reading is
 * stream-reader.ts.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { sleep } from '../backoff.js';
import { str, type CommandSpec } from '../command.js';
import { recordJson, recordLine } from '../output.js';
import { readStream } from '../stream-reader.js';
import { positiveInt, nonNegative } from './parse-values.js';
import { FROM_OPTION, startFor } from './records.js';

const tail: CommandSpec = {
  name: 'tail',
  usage: 'STREAM [--from POS] [--count N] [--timeout SECONDS]',
  summary: 'follow all shards, and their children across a reshard, printing records as they arrive',
  options: {
    from: { ...FROM_OPTION, help: `${FROM_OPTION.help} (default LATEST)` },
    count: { type: 'string', value: 'N', help: 'stop after N records' },
    timeout: { type: 'string', value: 'SECONDS', help: 'stop after this long' },
    'poll-interval': { type: 'string', value: 'MS', help: 'pause after an empty read of a shard (default 250)' },
  },
  positionals: { min: 1, max: 1 },
  details: [
    'Ctrl-C stops it with exit code 0. Output is as for get (--json: one JSON line per record).',
    'A closed shard (split or merged) is read to its end before its children are read.',
  ],
  async run(ctx, { values, positionals: [stream] }) {
    const start = startFor(ctx, str(values, 'from'), { type: 'LATEST' }, undefined);
    const countText = str(values, 'count');
    const count = countText === undefined ? Infinity : positiveInt(countText, '--count');
    const timeoutText = str(values, 'timeout');
    const pollText = str(values, 'poll-interval');
    const stop = new AbortController();
    let stoppedByUs = false;
    const stopNow = () => {
      stoppedByUs = true;
      stop.abort();
    };
    const timer = new AbortController();
    if (timeoutText !== undefined) {
      const seconds = nonNegative(timeoutText, '--timeout');
      void sleep(ctx.io.clock, seconds * 1000, timer.signal).then(() => timer.signal.aborted || stopNow());
    }
    let printed = 0;
    try {
      await readStream({
        kinesis: ctx.clients.get(KinesisClient),
        clock: ctx.io.clock,
        stream: stream!,
        start,
        follow: true,
        signal: AbortSignal.any([ctx.io.signal, stop.signal]),
        ...(pollText !== undefined ? { pollIntervalMs: positiveInt(pollText, '--poll-interval', 0) } : {}),
        onBatch: ({ shardId, records }) => {
          for (const r of records) {
            if (printed >= count) break;
            if (ctx.out.json) ctx.out.jsonLine(recordJson(r, shardId));
            else ctx.out.line(recordLine(r, shardId));
            printed++;
          }
          if (printed >= count) stopNow();
        },
      });
    } finally {
      timer.abort();
    }
    if (ctx.io.signal.aborted || stoppedByUs) return 0;
    // Every shard ended without a stop: the stream was deleted under us.
    throw new RivuletError('CLI_INPUT', { message: `stream ${stream} has no open shards left to follow` });
  },
};

export const tailCommands: CommandSpec[] = [tail];
