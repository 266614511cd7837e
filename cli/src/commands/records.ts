/**
 * `rivulet put` and `rivulet get`: write records (one from an argument or file, or one per line
 * of stdin) and read them back. Owns the flags and what is printed per record; the reading is
 * stream-reader.ts and the batched writing record-writer.ts.
 */
import { randomUUID } from 'node:crypto';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { str, type CommandContext, type CommandSpec } from '../command.js';
import { recordJson, recordLine } from '../output.js';
import { RecordWriter, MAX_BATCH_RECORDS, type WriteEntry } from '../record-writer.js';
import { FROM_HELP, parseStartPosition, type StartPosition } from '../start-position.js';
import { readStream } from '../stream-reader.js';
import { shardIdArg } from './streams.js';
import { lines, positiveInt, readInputFile } from './parse-values.js';

/** Where put's data comes from: DATA, --file F, or - (stdin, one record per line). */
export type PutSource = { kind: 'arg'; data: string } | { kind: 'file'; path: string } | { kind: 'stdin' };

export function putSource(positionals: string[], file: string | undefined, command: string): PutSource {
  const data = positionals[1];
  if (file !== undefined && data !== undefined) throw new RivuletError('CLI_USAGE', { message: `${command}: give DATA, --file F or -, not both` });
  if (file !== undefined) return { kind: 'file', path: file };
  if (data === '-') return { kind: 'stdin' };
  if (data === undefined) throw new RivuletError('CLI_USAGE', { message: `${command} needs DATA, --file F, or - to read one record per line from stdin` });
  return { kind: 'arg', data };
}

const put: CommandSpec = {
  name: 'put',
  usage: 'STREAM [--key K] (DATA | --file F | -)',
  summary: 'put records: DATA or a whole file as one record, or - for one record per stdin line; prints shard and sequence number',
  options: {
    key: { type: 'string', value: 'K', help: 'partition key (default: a random UUID per record)' },
    file: { type: 'string', value: 'F', help: "the file's bytes as one record" },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx, { values, positionals }) {
    const stream = positionals[0]!;
    const source = putSource(positionals, str(values, 'file'), 'put');
    const key = () => str(values, 'key') ?? randomUUID();
    const show = (r: { ShardId?: string; SequenceNumber?: string }) =>
      ctx.out.json ? ctx.out.jsonLine({ ShardId: r.ShardId, SequenceNumber: r.SequenceNumber }) : ctx.out.line(`${r.ShardId}\t${r.SequenceNumber}`);
    if (source.kind !== 'stdin') {
      const data = source.kind === 'arg' ? Buffer.from(source.data) : await readInputFile(source.path);
      show(await ctx.clients.get(KinesisClient).send(new PutRecordCommand({ StreamName: stream, PartitionKey: key(), Data: data })));
      return;
    }
    const writer = new RecordWriter({ kinesis: ctx.clients.get(KinesisClient), stream, clock: ctx.io.clock, signal: ctx.io.signal });
    let batch: WriteEntry[] = [];
    const flush = async () => {
      for (const r of await writer.putAll(batch)) show(r);
      batch = [];
    };
    for await (const line of lines(ctx.io.stdin)) {
      batch.push({ Data: Buffer.from(line), PartitionKey: key() });
      if (batch.length >= MAX_BATCH_RECORDS) await flush();
    }
    await flush();
  },
};

const FROM_OPTION = { type: 'string' as const, value: 'POS', help: `where to start: ${FROM_HELP}` };

/** Checks a start position fits the command: a sequence number names one shard's record. */
export function startFor(ctx: CommandContext, from: string | undefined, fallback: StartPosition, shard: string | undefined): StartPosition {
  const start = from === undefined ? fallback : parseStartPosition(from, ctx.io.clock.now());
  if ((start.type === 'AT_SEQUENCE_NUMBER' || start.type === 'AFTER_SEQUENCE_NUMBER') && shard === undefined) {
    throw new RivuletError('CLI_USAGE', { message: 'a sequence number belongs to one shard: add --shard ID' });
  }
  return start;
}

const get: CommandSpec = {
  name: 'get',
  usage: 'STREAM [--shard ID] [--from POS] [--limit N]',
  summary: 'read records up to the tip of every shard (or one), following closed shards into their children',
  options: {
    shard: { type: 'string', value: 'ID', help: 'only this shard (id or index), without its children' },
    from: { ...FROM_OPTION, help: `${FROM_OPTION.help} (default TRIM_HORIZON)` },
    limit: { type: 'string', value: 'N', help: 'stop after N records' },
  },
  positionals: { min: 1, max: 1 },
  details: ['Prints `shard<TAB>partition key<TAB>data`: data as text when printable UTF-8, else base64:...', 'With --json, one JSON line per record: ShardId, SequenceNumber, PartitionKey, ApproximateArrivalTimestamp, Data (base64), Text.'],
  async run(ctx, { values, positionals: [stream] }) {
    const shardText = str(values, 'shard');
    const shard = shardText === undefined ? undefined : shardIdArg(shardText);
    const start = startFor(ctx, str(values, 'from'), { type: 'TRIM_HORIZON' }, shard);
    const limitText = str(values, 'limit');
    const limit = limitText === undefined ? Infinity : positiveInt(limitText, '--limit');
    const stop = new AbortController();
    let printed = 0;
    await readStream({
      kinesis: ctx.clients.get(KinesisClient),
      clock: ctx.io.clock,
      stream: stream!,
      start,
      follow: false,
      ...(shard ? { shardIds: [shard] } : {}),
      signal: AbortSignal.any([ctx.io.signal, stop.signal]),
      onBatch: ({ shardId, records }) => {
        for (const r of records) {
          if (printed >= limit) break;
          if (ctx.out.json) ctx.out.jsonLine(recordJson(r, shardId));
          else ctx.out.line(recordLine(r, shardId));
          printed++;
        }
        if (printed >= limit) stop.abort();
      },
    });
  },
};

export { FROM_OPTION };
export const recordsCommands: CommandSpec[] = [put, get];
