/**
 * `rivulet firehose list|describe|create|delete|put`: Firehose delivery streams. Owns building a
 * CreateDeliveryStream input from flags (a bucket destination, optionally reading a data
 * stream) or from a JSON file, waiting for ACTIVE, and putting records (PutRecordBatch).
 */
import {
  FirehoseClient,
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  type CompressionFormat,
  type CreateDeliveryStreamCommandInput,
  type DeliveryStreamDescription,
} from '@aws-sdk/client-firehose';
import { KinesisClient, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { backoffMs, sleep } from '../backoff.js';
import { flag, str, type CommandContext, type CommandSpec, type OptionValues } from '../command.js';
import { lines, positiveInt, readInputFile, readJsonFile } from './parse-values.js';
import { putSource } from './records.js';

const DEFAULT_ROLE = 'arn:aws:iam::000000000000:role/rivulet-cli';
const COMPRESSIONS = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];
/** Firehose: PutRecordBatch takes at most 500 records and 4 MiB. */
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const WAIT_POLL_MS = 250;
const WAIT_S = 60;
const MAX_ATTEMPTS = 10;

/** The CreateDeliveryStream input the flags describe (without the source stream's ARN lookup). */
export function createInputFromFlags(name: string, values: OptionValues): CreateDeliveryStreamCommandInput {
  const bucket = str(values, 'bucket');
  if (bucket === undefined) throw new RivuletError('CLI_USAGE', { message: 'firehose create needs --bucket NAME or --config FILE.json' });
  const compression = str(values, 'compression');
  if (compression !== undefined && !COMPRESSIONS.includes(compression)) throw new RivuletError('CLI_USAGE', { message: `--compression must be one of ${COMPRESSIONS.join(', ')}` });
  const interval = str(values, 'interval');
  const size = str(values, 'size');
  const prefix = str(values, 'prefix');
  const errorPrefix = str(values, 'error-prefix');
  return {
    DeliveryStreamName: name,
    ExtendedS3DestinationConfiguration: {
      RoleARN: str(values, 'role-arn') ?? DEFAULT_ROLE,
      BucketARN: `arn:aws:s3:::${bucket}`,
      ...(prefix !== undefined ? { Prefix: prefix } : {}),
      ...(errorPrefix !== undefined ? { ErrorOutputPrefix: errorPrefix } : {}),
      ...(interval !== undefined || size !== undefined
        ? { BufferingHints: { ...(interval !== undefined ? { IntervalInSeconds: positiveInt(interval, '--interval', 0) } : {}), ...(size !== undefined ? { SizeInMBs: positiveInt(size, '--size') } : {}) } }
        : {}),
      ...(compression !== undefined ? { CompressionFormat: compression as CompressionFormat } : {}),
    },
  };
}

async function describeStream(ctx: CommandContext, name: string): Promise<DeliveryStreamDescription> {
  return (await ctx.clients.get(FirehoseClient).send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;
}

function destinationText(d: DeliveryStreamDescription): string[] {
  return (d.Destinations ?? []).map((dest) => {
    const s3 = dest.ExtendedS3DestinationDescription ?? dest.S3DestinationDescription;
    if (s3) {
      const hints = s3.BufferingHints;
      return `s3 ${s3.BucketARN}${s3.Prefix ? ` prefix ${s3.Prefix}` : ''}, ${hints?.IntervalInSeconds ?? '?'} s / ${hints?.SizeInMBs ?? '?'} MB, ${s3.CompressionFormat ?? 'UNCOMPRESSED'}`;
    }
    const kind = Object.keys(dest).find((k) => k.endsWith('DestinationDescription')) ?? 'unknown';
    return kind.replace(/DestinationDescription$/, '');
  });
}

const create: CommandSpec = {
  name: 'firehose create',
  usage: 'NAME (--bucket NAME [--prefix P] [--interval S] [--size MB] [--compression GZIP] | --config FILE.json) [--source-stream STREAM]',
  summary: 'create a delivery stream to a bucket (a directory under the data dir, or S3) and wait until it is ACTIVE',
  options: {
    bucket: { type: 'string', value: 'NAME', help: 'destination bucket (arn:aws:s3:::NAME)' },
    prefix: { type: 'string', value: 'P', help: 'object key prefix' },
    'error-prefix': { type: 'string', value: 'P', help: 'prefix for records that could not be delivered' },
    interval: { type: 'string', value: 'S', help: 'buffering interval in seconds' },
    size: { type: 'string', value: 'MB', help: 'buffering size in MB' },
    compression: { type: 'string', value: 'FORMAT', help: COMPRESSIONS.join('|') },
    'role-arn': { type: 'string', value: 'ARN', help: `role ARN to record (default ${DEFAULT_ROLE})` },
    config: { type: 'string', value: 'FILE', help: 'a CreateDeliveryStream input as JSON (any destination); NAME overrides its name' },
    'source-stream': { type: 'string', value: 'STREAM', help: 'read this data stream instead of taking PutRecord (KinesisStreamAsSource)' },
    'no-wait': { type: 'boolean', help: 'return at once instead of waiting for ACTIVE' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    const configFile = str(values, 'config');
    if (configFile !== undefined && str(values, 'bucket') !== undefined) throw new RivuletError('CLI_USAGE', { message: '--config and --bucket exclude each other' });
    const input: CreateDeliveryStreamCommandInput = configFile !== undefined ? { ...(await readJsonFile(configFile) as object), DeliveryStreamName: name } : createInputFromFlags(name!, values);
    const source = str(values, 'source-stream');
    if (source !== undefined) {
      const arn = (await ctx.clients.get(KinesisClient).send(new DescribeStreamSummaryCommand({ StreamName: source }))).StreamDescriptionSummary!.StreamARN!;
      input.DeliveryStreamType = 'KinesisStreamAsSource';
      input.KinesisStreamSourceConfiguration = { KinesisStreamARN: arn, RoleARN: str(values, 'role-arn') ?? DEFAULT_ROLE };
    }
    await ctx.clients.get(FirehoseClient).send(new CreateDeliveryStreamCommand(input));
    let d = await describeStream(ctx, name!);
    const deadline = ctx.io.clock.monotonicMs() + WAIT_S * 1000;
    while (!flag(values, 'no-wait') && d.DeliveryStreamStatus !== 'ACTIVE') {
      if (ctx.io.clock.monotonicMs() >= deadline) throw new RivuletError('CLI_WAIT_TIMEOUT', { what: `delivery stream ${name}`, state: 'ACTIVE', seconds: WAIT_S });
      await sleep(ctx.io.clock, WAIT_POLL_MS, ctx.io.signal);
      d = await describeStream(ctx, name!);
    }
    if (ctx.out.json) return ctx.out.document(d);
    ctx.out.line(`created delivery stream ${name}: ${d.DeliveryStreamStatus}, ${d.DeliveryStreamType}, ${destinationText(d).join('; ')}`);
  },
};

const list: CommandSpec = {
  name: 'firehose list',
  usage: '',
  summary: 'list delivery streams',
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const names: string[] = [];
    let start: string | undefined;
    for (;;) {
      const page = await ctx.clients.get(FirehoseClient).send(new ListDeliveryStreamsCommand({ Limit: 100, ...(start ? { ExclusiveStartDeliveryStreamName: start } : {}) }));
      names.push(...(page.DeliveryStreamNames ?? []));
      if (!page.HasMoreDeliveryStreams || names.length === 0) break;
      start = names.at(-1);
    }
    const streams = await Promise.all(names.map((n) => describeStream(ctx, n)));
    if (ctx.out.json) return ctx.out.document({ DeliveryStreams: streams });
    if (streams.length === 0) return ctx.out.line('no delivery streams');
    ctx.out.table([['NAME', 'STATUS', 'TYPE', 'DESTINATION'], ...streams.map((d) => [d.DeliveryStreamName!, d.DeliveryStreamStatus!, d.DeliveryStreamType!, destinationText(d).join('; ')])]);
  },
};

const describe: CommandSpec = {
  name: 'firehose describe',
  usage: 'NAME',
  summary: 'show a delivery stream: status, source, destinations and buffering',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    const d = await describeStream(ctx, name!);
    if (ctx.out.json) return ctx.out.document(d);
    ctx.out.fields([
      ['name', d.DeliveryStreamName],
      ['arn', d.DeliveryStreamARN],
      ['status', d.DeliveryStreamStatus],
      ['type', d.DeliveryStreamType],
      ['source', d.Source?.KinesisStreamSourceDescription?.KinesisStreamARN],
      ['destination', destinationText(d).join('; ')],
      ['failure', d.FailureDescription ? `${d.FailureDescription.Type}: ${d.FailureDescription.Details}` : undefined],
      ['created', d.CreateTimestamp?.toISOString()],
    ]);
  },
};

const remove: CommandSpec = {
  name: 'firehose delete',
  usage: 'NAME',
  summary: 'delete a delivery stream',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    await ctx.clients.get(FirehoseClient).send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
    if (ctx.out.json) return ctx.out.document({ DeliveryStreamName: name, Deleted: true });
    ctx.out.line(`deleted delivery stream ${name}`);
  },
};

/** A newline ends each record unless it has one (Firehose concatenates records into objects). */
export function delimit(data: Buffer, raw: boolean): Buffer {
  return raw || data.at(-1) === 0x0a ? data : Buffer.concat([data, Buffer.from('\n')]);
}

const put: CommandSpec = {
  name: 'firehose put',
  usage: 'NAME (DATA | --file F | -) [--raw]',
  summary: 'put records into a delivery stream: DATA or a file as one record, or - for one record per stdin line',
  options: { file: { type: 'string', value: 'F', help: "the file's bytes as one record" }, raw: { type: 'boolean', help: 'send the bytes as they are (no newline added)' } },
  positionals: { min: 1, max: 2 },
  details: ['Each record gets a trailing newline unless it ends with one or --raw is given, so delivered objects hold one record per line.'],
  async run(ctx, { values, positionals }) {
    const name = positionals[0]!;
    const source = putSource(positionals, str(values, 'file'), 'firehose put');
    const raw = flag(values, 'raw');
    if (source.kind !== 'stdin') {
      const data = delimit(source.kind === 'arg' ? Buffer.from(source.data) : await readInputFile(source.path), raw);
      const out = await ctx.clients.get(FirehoseClient).send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: data } }));
      return ctx.out.json ? ctx.out.jsonLine({ RecordId: out.RecordId }) : ctx.out.line(out.RecordId ?? '');
    }
    let batch: Buffer[] = [];
    let bytes = 0;
    const flush = async () => {
      let pending = batch;
      batch = [];
      bytes = 0;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new RivuletError('CLI_PUT_FAILED', { count: pending.length, attempts: MAX_ATTEMPTS, reason: 'PutRecordBatch kept refusing them' });
        if (attempt > 0) await sleep(ctx.io.clock, backoffMs(attempt), ctx.io.signal);
        const out = await ctx.clients.get(FirehoseClient).send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: pending.map((Data) => ({ Data })) }));
        const failed: Buffer[] = [];
        (out.RequestResponses ?? []).forEach((r, i) => {
          if (r.ErrorCode) failed.push(pending[i]!);
          else if (ctx.out.json) ctx.out.jsonLine({ RecordId: r.RecordId });
          else ctx.out.line(r.RecordId ?? '');
        });
        pending = failed;
      }
    };
    for await (const line of lines(ctx.io.stdin)) {
      const data = delimit(Buffer.from(line), raw);
      if (batch.length >= MAX_BATCH_RECORDS || bytes + data.byteLength > MAX_BATCH_BYTES) await flush();
      batch.push(data);
      bytes += data.byteLength;
    }
    await flush();
  },
};

export const firehoseCommands: CommandSpec[] = [create, list, describe, remove, put];
