/**
 * `rivulet streams create|list|describe|delete|split|merge|scale`: data stream administration.
 * Owns the flags, waiting for ACTIVE after a change (as `aws kinesis wait stream-exists` would),
 * and how streams and shards are shown. Does not own reading records (records.ts, tail.ts).
 */
import {
  KinesisClient,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
  type Shard,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import { RivuletError, parseHashKey } from '@rivulet/shared';
import { sleep } from '../backoff.js';
import { flag, str, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { listShardDetails } from '../stream-reader.js';
import { positiveInt } from './parse-values.js';

const WAIT_OPTIONS: Record<string, OptionSpec> = {
  'no-wait': { type: 'boolean', help: 'return at once instead of waiting for the stream to be ACTIVE' },
  'wait-timeout': { type: 'string', value: 'SECONDS', help: 'how long to wait for ACTIVE (default 60)' },
};
const WAIT_POLL_MS = 250;
const DEFAULT_WAIT_S = 60;

/** `0` or `shardId-000000000000`: a bare number is the shard's index, as the ids are zero-padded. */
export function shardIdArg(text: string): string {
  return /^\d+$/.test(text) ? `shardId-${text.padStart(12, '0')}` : text;
}

/** The hash key a split at the middle of [start, end] starts the upper child at. */
export function midpointHashKey(start: bigint, end: bigint): bigint {
  return start + (end - start + 1n) / 2n;
}

async function summary(ctx: CommandContext, name: string): Promise<StreamDescriptionSummary> {
  const out = await ctx.clients.get(KinesisClient).send(new DescribeStreamSummaryCommand({ StreamName: name }), { abortSignal: ctx.io.signal });
  return out.StreamDescriptionSummary!;
}

/** Polls until the stream is ACTIVE, unless --no-wait; returns its summary. */
async function waitActive(ctx: CommandContext, name: string, values: Record<string, unknown>): Promise<StreamDescriptionSummary> {
  if (values['no-wait'] === true) return summary(ctx, name);
  const seconds = values['wait-timeout'] === undefined ? DEFAULT_WAIT_S : positiveInt(values['wait-timeout'] as string, '--wait-timeout');
  const deadline = ctx.io.clock.monotonicMs() + seconds * 1000;
  for (;;) {
    const s = await summary(ctx, name);
    if (s.StreamStatus === 'ACTIVE') return s;
    if (ctx.io.clock.monotonicMs() >= deadline) throw new RivuletError('CLI_WAIT_TIMEOUT', { what: `stream ${name}`, state: 'ACTIVE', seconds });
    await sleep(ctx.io.clock, WAIT_POLL_MS, ctx.io.signal);
  }
}

function printSummary(ctx: CommandContext, s: StreamDescriptionSummary, verb: string): void {
  if (ctx.out.json) return ctx.out.document(s);
  const mode = s.StreamModeDetails?.StreamMode ?? 'PROVISIONED';
  ctx.out.line(`${verb} stream ${s.StreamName}: ${s.StreamStatus}, ${mode}, ${s.OpenShardCount} open shard(s)`);
}

function shardRows(shards: Shard[]): string[][] {
  return [
    ['SHARD', 'STATE', 'HASH KEY RANGE', 'PARENT', 'ADJACENT PARENT'],
    ...shards.map((s) => [
      s.ShardId!,
      s.SequenceNumberRange?.EndingSequenceNumber === undefined ? 'open' : 'closed',
      `${s.HashKeyRange?.StartingHashKey}-${s.HashKeyRange?.EndingHashKey}`,
      s.ParentShardId ?? '-',
      s.AdjacentParentShardId ?? '-',
    ]),
  ];
}

const create: CommandSpec = {
  name: 'streams create',
  usage: 'NAME [--shards N | --on-demand]',
  summary: 'create a data stream and wait until it is ACTIVE',
  options: { shards: { type: 'string', value: 'N', help: 'provisioned shard count (default 1)' }, 'on-demand': { type: 'boolean', help: 'on-demand capacity mode' }, ...WAIT_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    const shards = str(values, 'shards');
    if (shards !== undefined && flag(values, 'on-demand')) throw new RivuletError('CLI_USAGE', { message: '--shards and --on-demand exclude each other' });
    const input = flag(values, 'on-demand')
      ? { StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' as const } }
      : { StreamName: name, ShardCount: shards === undefined ? 1 : positiveInt(shards, '--shards') };
    await ctx.clients.get(KinesisClient).send(new CreateStreamCommand(input));
    printSummary(ctx, await waitActive(ctx, name!, values), 'created');
  },
};

const list: CommandSpec = {
  name: 'streams list',
  usage: '',
  summary: 'list data streams with their status, mode and open shards',
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await ctx.clients.get(KinesisClient).send(new ListStreamsCommand(token ? { NextToken: token } : {}));
      names.push(...(page.StreamNames ?? []));
      token = page.HasMoreStreams ? page.NextToken : undefined;
    } while (token);
    const summaries = await Promise.all(names.map((n) => summary(ctx, n)));
    if (ctx.out.json) return ctx.out.document({ Streams: summaries });
    if (summaries.length === 0) return ctx.out.line('no data streams');
    ctx.out.table([
      ['NAME', 'STATUS', 'MODE', 'OPEN SHARDS', 'RETENTION'],
      ...summaries.map((s) => [s.StreamName!, s.StreamStatus!, s.StreamModeDetails?.StreamMode ?? 'PROVISIONED', String(s.OpenShardCount), `${s.RetentionPeriodHours}h`]),
    ]);
  },
};

const describe: CommandSpec = {
  name: 'streams describe',
  usage: 'NAME',
  summary: 'show a stream and its shards: hash key ranges, parent/adjacent lineage, open or closed',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    const s = await summary(ctx, name!);
    const shards = await listShardDetails(ctx.clients.get(KinesisClient), name!);
    if (ctx.out.json) return ctx.out.document({ StreamDescriptionSummary: s, Shards: shards });
    ctx.out.fields([
      ['name', s.StreamName],
      ['arn', s.StreamARN],
      ['status', s.StreamStatus],
      ['mode', s.StreamModeDetails?.StreamMode ?? 'PROVISIONED'],
      ['open shards', s.OpenShardCount],
      ['retention', `${s.RetentionPeriodHours} hours`],
      ['encryption', s.EncryptionType ?? 'NONE'],
      ['created', s.StreamCreationTimestamp?.toISOString()],
    ]);
    ctx.out.line();
    ctx.out.table(shardRows(shards));
  },
};

const remove: CommandSpec = {
  name: 'streams delete',
  usage: 'NAME [--force]',
  summary: 'delete a data stream (--force also deregisters its enhanced fan-out consumers)',
  options: { force: { type: 'boolean', help: 'EnforceConsumerDeletion: delete even with registered consumers' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    await ctx.clients.get(KinesisClient).send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: flag(values, 'force') }));
    if (ctx.out.json) return ctx.out.document({ StreamName: name, Deleted: true });
    ctx.out.line(`deleted stream ${name}`);
  },
};

const split: CommandSpec = {
  name: 'streams split',
  usage: 'NAME SHARD [--at HASHKEY]',
  summary: "split a shard in two at HASHKEY (default: the middle of its hash key range) and wait for ACTIVE",
  options: { at: { type: 'string', value: 'HASHKEY', help: 'NewStartingHashKey of the upper child (decimal)' }, ...WAIT_OPTIONS },
  positionals: { min: 2, max: 2 },
  details: ['SHARD is a shard id, or its index (3 = shardId-000000000003).'],
  async run(ctx, { values, positionals: [name, shardText] }) {
    const shardId = shardIdArg(shardText!);
    let at = str(values, 'at');
    if (at === undefined) {
      const arn = (await summary(ctx, name!)).StreamARN ?? '';
      const shard = (await listShardDetails(ctx.clients.get(KinesisClient), name!)).find((s) => s.ShardId === shardId);
      if (!shard) throw new RivuletError('STREAMS_SHARD_NOT_FOUND', { shard: shardId, stream: name, account: arn.split(':')[4] ?? '' });
      at = midpointHashKey(BigInt(shard.HashKeyRange!.StartingHashKey!), BigInt(shard.HashKeyRange!.EndingHashKey!)).toString();
    } else if (parseHashKey(at) === null) throw new RivuletError('CLI_USAGE', { message: `--at ${at} is not a hash key (a decimal from 0 to 2^128-1)` });
    await ctx.clients.get(KinesisClient).send(new SplitShardCommand({ StreamName: name, ShardToSplit: shardId, NewStartingHashKey: at }));
    await reportChildren(ctx, name!, values, [shardId], 'split');
  },
};

const merge: CommandSpec = {
  name: 'streams merge',
  usage: 'NAME SHARD ADJACENT',
  summary: 'merge two shards with adjacent hash key ranges and wait for ACTIVE',
  options: WAIT_OPTIONS,
  positionals: { min: 3, max: 3 },
  details: ['SHARD and ADJACENT are shard ids, or their indexes.'],
  async run(ctx, { values, positionals: [name, a, b] }) {
    const parents = [shardIdArg(a!), shardIdArg(b!)];
    await ctx.clients.get(KinesisClient).send(new MergeShardsCommand({ StreamName: name, ShardToMerge: parents[0], AdjacentShardToMerge: parents[1] }));
    await reportChildren(ctx, name!, values, parents, 'merged');
  },
};

async function reportChildren(ctx: CommandContext, name: string, values: Record<string, unknown>, parents: string[], verb: string): Promise<void> {
  const s = await waitActive(ctx, name, values);
  const children = (await listShardDetails(ctx.clients.get(KinesisClient), name)).filter((c) => parents.includes(c.ParentShardId ?? '') || parents.includes(c.AdjacentParentShardId ?? ''));
  if (ctx.out.json) return ctx.out.document({ StreamDescriptionSummary: s, ParentShardIds: parents, ChildShards: children });
  ctx.out.line(`${verb} ${parents.join(' + ')} in ${name}: ${s.StreamStatus}`);
  ctx.out.table(shardRows(children));
}

const scale: CommandSpec = {
  name: 'streams scale',
  usage: 'NAME --shards N',
  summary: 'UpdateShardCount with UNIFORM_SCALING to N open shards, and wait for ACTIVE',
  options: { shards: { type: 'string', value: 'N', help: 'target open shard count' }, ...WAIT_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    const target = str(values, 'shards');
    if (target === undefined) throw new RivuletError('CLI_USAGE', { message: 'streams scale needs --shards N' });
    const out = await ctx.clients.get(KinesisClient).send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: positiveInt(target, '--shards'), ScalingType: 'UNIFORM_SCALING' }));
    const s = await waitActive(ctx, name!, values);
    if (ctx.out.json) return ctx.out.document({ ...out, StreamDescriptionSummary: s });
    ctx.out.line(`scaled ${name} from ${out.CurrentShardCount} to ${out.TargetShardCount} open shards: ${s.StreamStatus}`);
  },
};

export const streamsCommands: CommandSpec[] = [create, list, describe, remove, split, merge, scale];
