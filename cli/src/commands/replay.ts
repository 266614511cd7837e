/**
 * `rivulet replay STREAM --from TIME --to TIME --into STREAM2`: copies the records that arrived
 * in [from, to] — across closed parents and their children — into another stream with
 * PutRecords, keeping partition keys, retrying refused records. Owns the window, the progress
 * estimate and the summary; reading is stream-reader.ts and writing record-writer.ts.
 *
 * Progress: the done fraction is how far the slowest shard reader has got through the window
 * (its last arrival time, or now minus MillisBehindLatest); the total is estimated as
 * done / fraction.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { str, type CommandSpec } from '../command.js';
import { formatBytes } from '../output.js';
import { ProgressBar, formatDuration } from '../progress-bar.js';
import { RecordWriter, type WriteEntry } from '../record-writer.js';
import { readStream } from '../stream-reader.js';
import { parseTimeArg, TIME_HELP } from '../time-arg.js';

/** Fraction of [fromMs, toMs] covered when every reader has reached at least `reachedMs`. */
export function windowFraction(fromMs: number, toMs: number, reachedMs: number): number {
  if (toMs <= fromMs) return 1;
  return Math.min(1, Math.max(0, (reachedMs - fromMs) / (toMs - fromMs)));
}

/** Records queued before a PutRecords batch is sent (Kinesis: at most 500 per call). */
const BATCH_RECORDS = 500;

const replay: CommandSpec = {
  name: 'replay',
  usage: 'STREAM --from TIME [--to TIME] --into STREAM2',
  summary: 'copy the records that arrived between two times into another stream, keeping partition keys',
  options: {
    from: { type: 'string', value: 'TIME', help: 'first arrival time to copy' },
    to: { type: 'string', value: 'TIME', help: 'last arrival time to copy (default now)' },
    into: { type: 'string', value: 'STREAM2', help: 'the stream to write to' },
  },
  positionals: { min: 1, max: 1 },
  details: [
    TIME_HELP,
    'A progress bar (records done / estimated total, rate, ETA) is drawn on stderr when it is a terminal;',
    'otherwise one progress line is printed there at the end. The summary (records, bytes) goes to stdout.',
  ],
  async run(ctx, { values, positionals: [stream] }) {
    const now = ctx.io.clock.now();
    const fromText = str(values, 'from');
    const into = str(values, 'into');
    if (fromText === undefined || into === undefined) throw new RivuletError('CLI_USAGE', { message: 'replay needs --from TIME and --into STREAM2' });
    if (into === stream) throw new RivuletError('CLI_USAGE', { message: 'replay --into must name another stream' });
    const fromMs = parseTimeArg(fromText, now, '--from');
    const toMs = parseTimeArg(str(values, 'to') ?? 'now', now, '--to');
    if (toMs < fromMs) throw new RivuletError('CLI_USAGE', { message: '--to is before --from' });

    const writer = new RecordWriter({ kinesis: ctx.clients.get(KinesisClient), stream: into, clock: ctx.io.clock, signal: ctx.io.signal });
    const bar = new ProgressBar(ctx.io.stderr, ctx.io.clock, { label: 'replay', unit: 'count', noun: 'records', estimated: true });
    const reached = new Map<string, number>();
    let records = 0;
    let bytes = 0;
    let queue: WriteEntry[] = [];
    // Shard readers run concurrently; writes go one batch at a time, in the order batches are read.
    let writing = Promise.resolve();
    const flush = () => {
      const batch = queue;
      queue = [];
      writing = writing.then(async () => {
        if (batch.length === 0) return;
        await writer.putAll(batch);
        records += batch.length;
        bytes += batch.reduce((n, e) => n + e.Data.byteLength, 0);
        const fraction = reached.size === 0 ? 0 : windowFraction(fromMs, toMs, Math.min(...reached.values()));
        bar.update({ done: records, ...(fraction > 0 ? { total: Math.max(records, Math.round(records / fraction)) } : {}) });
      });
      return writing;
    };
    const started = ctx.io.clock.monotonicMs();
    await readStream({
      kinesis: ctx.clients.get(KinesisClient),
      clock: ctx.io.clock,
      stream: stream!,
      start: { type: 'AT_TIMESTAMP', timestampMs: fromMs },
      follow: false,
      untilArrivalMs: toMs,
      signal: ctx.io.signal,
      onBatch: async ({ shardId, records: page }) => {
        for (const r of page) {
          queue.push({ Data: r.Data ?? new Uint8Array(), PartitionKey: r.PartitionKey! });
          if (queue.length >= BATCH_RECORDS) await flush();
        }
        reached.set(shardId, page.at(-1)?.ApproximateArrivalTimestamp?.getTime() ?? fromMs);
        await flush();
      },
      onPosition: (shardId, { millisBehindLatest, ended }) => {
        reached.set(shardId, ended ? toMs : ctx.io.clock.now() - millisBehindLatest);
      },
    });
    await flush();
    const elapsedMs = ctx.io.clock.monotonicMs() - started;
    bar.finish({ done: records, total: records });
    const summary = { Stream: stream, Into: into, From: new Date(fromMs).toISOString(), To: new Date(toMs).toISOString(), Records: records, Bytes: bytes, RetriedRecords: writer.retried, Interrupted: ctx.io.signal.aborted };
    if (ctx.out.json) ctx.out.document(summary);
    else {
      ctx.out.line(`replayed ${records} records (${formatBytes(bytes)}) from ${stream} into ${into} in ${formatDuration(elapsedMs)}${writer.retried ? `, ${writer.retried} retried` : ''}${summary.Interrupted ? ' (interrupted)' : ''}`);
    }
    // The conventional exit code after SIGINT.
    return summary.Interrupted ? 130 : 0;
  },
};

export const replayCommands: CommandSpec[] = [replay];
