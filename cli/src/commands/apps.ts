/**
 * `rivulet apps ...`: Kinesis Data Analytics (SQL) applications. Owns building CreateApplication
 * from a SQL file and stream names (the input schema discovered from the input stream unless
 * --schema is given), start/stop with a wait for the state, and `output`, which reads the
 * application's output stream (found from DescribeApplication) and prints its rows.
 */
import {
  KinesisAnalyticsClient,
  CreateApplicationCommand,
  DeleteApplicationCommand,
  DescribeApplicationCommand,
  DiscoverInputSchemaCommand,
  ListApplicationsCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  UpdateApplicationCommand,
  type ApplicationDetail,
  type InputStartingPosition,
  type Output as AppOutput,
  type SourceSchema,
} from '@aws-sdk/client-kinesis-analytics';
import { KinesisClient, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { RivuletError } from '@rivulet/shared';
import { sleep } from '../backoff.js';
import { flag, str, type CommandContext, type CommandSpec } from '../command.js';
import { printableText } from '../output.js';
import { readStream } from '../stream-reader.js';
import { positiveInt, readInputFile, readJsonFile } from './parse-values.js';
import { FROM_OPTION, startFor } from './records.js';

const ROLE = 'arn:aws:iam::000000000000:role/rivulet-cli';
const STARTS: InputStartingPosition[] = ['NOW', 'TRIM_HORIZON', 'LAST_STOPPED_POINT'];
const WAIT_POLL_MS = 250;
const WAIT_S = 60;

async function detail(ctx: CommandContext, name: string): Promise<ApplicationDetail> {
  return (await ctx.clients.get(KinesisAnalyticsClient).send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!;
}

async function streamArn(ctx: CommandContext, stream: string): Promise<string> {
  return (await ctx.clients.get(KinesisClient).send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamARN!;
}

async function waitStatus(ctx: CommandContext, name: string, status: string): Promise<ApplicationDetail> {
  const deadline = ctx.io.clock.monotonicMs() + WAIT_S * 1000;
  for (;;) {
    const d = await detail(ctx, name);
    if (d.ApplicationStatus === status) return d;
    if (ctx.io.clock.monotonicMs() >= deadline) throw new RivuletError('CLI_WAIT_TIMEOUT', { what: `application ${name}`, state: status, seconds: WAIT_S });
    await sleep(ctx.io.clock, WAIT_POLL_MS, ctx.io.signal);
  }
}

async function sqlFile(values: Record<string, unknown>, command: string): Promise<string> {
  const file = values.sql as string | undefined;
  if (file === undefined) throw new RivuletError('CLI_USAGE', { message: `${command} needs --sql FILE` });
  return (await readInputFile(file)).toString('utf8');
}

/** The stream name of an ARN (arn:aws:kinesis:region:account:stream/NAME). */
export function streamNameOfArn(arn: string): string {
  return arn.slice(arn.indexOf('/') + 1);
}

const create: CommandSpec = {
  name: 'apps create',
  usage: 'NAME --sql FILE --input STREAM --output STREAM [--schema FILE] [--input-format json|csv] [--error-output STREAM]',
  summary: 'create a SQL application reading one data stream and writing another; the input schema is discovered unless --schema is given',
  options: {
    sql: { type: 'string', value: 'FILE', help: 'the application code' },
    input: { type: 'string', value: 'STREAM', help: 'input data stream (in SQL: SOURCE_SQL_STREAM_001)' },
    output: { type: 'string', value: 'STREAM', help: 'data stream the output in-application stream is written to' },
    'output-name': { type: 'string', value: 'NAME', help: 'in-application stream to write out (default DESTINATION_SQL_STREAM)' },
    'output-format': { type: 'string', value: 'FORMAT', help: 'JSON (default) or CSV' },
    'error-output': { type: 'string', value: 'STREAM', help: 'data stream for error_stream rows' },
    schema: { type: 'string', value: 'FILE', help: 'the input SourceSchema as JSON (default: DiscoverInputSchema on the input stream)' },
    'input-format': { type: 'string', value: 'FORMAT', help: 'expected input record format (json or csv); checked against the discovered schema' },
  },
  positionals: { min: 1, max: 1 },
  details: ['A SQL error is reported as CodeValidationException with its line and column.'],
  async run(ctx, { values, positionals: [name] }) {
    const code = await sqlFile(values, 'apps create');
    const input = str(values, 'input');
    const output = str(values, 'output');
    if (input === undefined || output === undefined) throw new RivuletError('CLI_USAGE', { message: 'apps create needs --input STREAM and --output STREAM' });
    const inputArn = await streamArn(ctx, input);
    const schemaFile = str(values, 'schema');
    let schema: SourceSchema;
    if (schemaFile !== undefined) schema = (await readJsonFile(schemaFile)) as SourceSchema;
    else {
      const found = await ctx.clients.get(KinesisAnalyticsClient).send(
        new DiscoverInputSchemaCommand({ ResourceARN: inputArn, RoleARN: ROLE, InputStartingPositionConfiguration: { InputStartingPosition: 'TRIM_HORIZON' } }),
      );
      schema = found.InputSchema!;
    }
    const format = str(values, 'input-format');
    const actual = schema.RecordFormat?.RecordFormatType;
    if (format !== undefined && actual !== undefined && format.toUpperCase() !== actual) {
      throw new RivuletError('CLI_INPUT', { message: `the input schema is ${actual}, not ${format.toUpperCase()} (--input-format)` });
    }
    const outputFormat = (str(values, 'output-format') ?? 'JSON').toUpperCase();
    if (outputFormat !== 'JSON' && outputFormat !== 'CSV') throw new RivuletError('CLI_USAGE', { message: '--output-format must be JSON or CSV' });
    const outputs: AppOutput[] = [
      { Name: str(values, 'output-name') ?? 'DESTINATION_SQL_STREAM', KinesisStreamsOutput: { ResourceARN: await streamArn(ctx, output), RoleARN: ROLE }, DestinationSchema: { RecordFormatType: outputFormat } },
    ];
    const errorOutput = str(values, 'error-output');
    if (errorOutput !== undefined) {
      outputs.push({ Name: 'error_stream', KinesisStreamsOutput: { ResourceARN: await streamArn(ctx, errorOutput), RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } });
    }
    const out = await ctx.clients.get(KinesisAnalyticsClient).send(
      new CreateApplicationCommand({
        ApplicationName: name,
        ApplicationCode: code,
        Inputs: [{ NamePrefix: 'SOURCE_SQL_STREAM', KinesisStreamsInput: { ResourceARN: inputArn, RoleARN: ROLE }, InputSchema: schema }],
        Outputs: outputs,
      }),
    );
    if (ctx.out.json) return ctx.out.document(out.ApplicationSummary);
    const columns = (schema.RecordColumns ?? []).map((c) => `${c.Name} ${c.SqlType}`).join(', ');
    ctx.out.line(`created application ${name}: ${out.ApplicationSummary?.ApplicationStatus}; input ${input} (${actual ?? '?'}: ${columns}) -> output ${output}`);
  },
};

const update: CommandSpec = {
  name: 'apps update',
  usage: 'NAME --sql FILE',
  summary: "replace an application's SQL code",
  options: { sql: { type: 'string', value: 'FILE', help: 'the new application code' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    const code = await sqlFile(values, 'apps update');
    const d = await detail(ctx, name!);
    await ctx.clients.get(KinesisAnalyticsClient).send(new UpdateApplicationCommand({ ApplicationName: name, CurrentApplicationVersionId: d.ApplicationVersionId, ApplicationUpdate: { ApplicationCodeUpdate: code } }));
    const after = await detail(ctx, name!);
    if (ctx.out.json) return ctx.out.document({ ApplicationName: name, ApplicationVersionId: after.ApplicationVersionId, ApplicationStatus: after.ApplicationStatus });
    ctx.out.line(`updated application ${name} to version ${after.ApplicationVersionId}: ${after.ApplicationStatus}`);
  },
};

const start: CommandSpec = {
  name: 'apps start',
  usage: 'NAME [--from NOW|TRIM_HORIZON|LAST_STOPPED_POINT]',
  summary: 'start an application and wait until it is RUNNING',
  options: { from: { type: 'string', value: 'POS', help: 'where its input starts (default NOW)' } },
  positionals: { min: 1, max: 1 },
  async run(ctx, { values, positionals: [name] }) {
    const from = (str(values, 'from') ?? 'NOW').toUpperCase() as InputStartingPosition;
    if (!STARTS.includes(from)) throw new RivuletError('CLI_USAGE', { message: `--from must be one of ${STARTS.join(', ')}` });
    const d = await detail(ctx, name!);
    const configs = (d.InputDescriptions ?? []).map((i) => ({ Id: i.InputId!, InputStartingPositionConfiguration: { InputStartingPosition: from } }));
    await ctx.clients.get(KinesisAnalyticsClient).send(new StartApplicationCommand({ ApplicationName: name, InputConfigurations: configs }));
    const after = await waitStatus(ctx, name!, 'RUNNING');
    if (ctx.out.json) return ctx.out.document({ ApplicationName: name, ApplicationStatus: after.ApplicationStatus });
    ctx.out.line(`started application ${name} from ${from}: ${after.ApplicationStatus}`);
  },
};

const stop: CommandSpec = {
  name: 'apps stop',
  usage: 'NAME',
  summary: 'stop an application and wait until it is READY',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    await ctx.clients.get(KinesisAnalyticsClient).send(new StopApplicationCommand({ ApplicationName: name }));
    const after = await waitStatus(ctx, name!, 'READY');
    if (ctx.out.json) return ctx.out.document({ ApplicationName: name, ApplicationStatus: after.ApplicationStatus });
    ctx.out.line(`stopped application ${name}: ${after.ApplicationStatus}`);
  },
};

const remove: CommandSpec = {
  name: 'apps delete',
  usage: 'NAME',
  summary: 'delete an application',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    const d = await detail(ctx, name!);
    await ctx.clients.get(KinesisAnalyticsClient).send(new DeleteApplicationCommand({ ApplicationName: name, CreateTimestamp: d.CreateTimestamp }));
    if (ctx.out.json) return ctx.out.document({ ApplicationName: name, Deleted: true });
    ctx.out.line(`deleted application ${name}`);
  },
};

const list: CommandSpec = {
  name: 'apps list',
  usage: '',
  summary: 'list applications and their status',
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const apps = [];
    let after: string | undefined;
    for (;;) {
      const page = await ctx.clients.get(KinesisAnalyticsClient).send(new ListApplicationsCommand({ Limit: 50, ...(after ? { ExclusiveStartApplicationName: after } : {}) }));
      apps.push(...(page.ApplicationSummaries ?? []));
      if (!page.HasMoreApplications || apps.length === 0) break;
      after = apps.at(-1)!.ApplicationName;
    }
    if (ctx.out.json) return ctx.out.document({ ApplicationSummaries: apps });
    if (apps.length === 0) return ctx.out.line('no applications');
    ctx.out.table([['NAME', 'STATUS'], ...apps.map((a) => [a.ApplicationName!, a.ApplicationStatus!])]);
  },
};

const describe: CommandSpec = {
  name: 'apps describe',
  usage: 'NAME',
  summary: 'show an application: status, version, inputs with their schema, outputs and code',
  positionals: { min: 1, max: 1 },
  async run(ctx, { positionals: [name] }) {
    const d = await detail(ctx, name!);
    if (ctx.out.json) return ctx.out.document(d);
    ctx.out.fields([
      ['name', d.ApplicationName],
      ['status', d.ApplicationStatus],
      ['version', d.ApplicationVersionId],
      ['created', d.CreateTimestamp?.toISOString()],
    ]);
    for (const i of d.InputDescriptions ?? []) {
      const columns = (i.InputSchema?.RecordColumns ?? []).map((c) => `${c.Name} ${c.SqlType}`).join(', ');
      ctx.out.line(`input ${i.InAppStreamNames?.join(',')} <- ${i.KinesisStreamsInputDescription?.ResourceARN ?? i.KinesisFirehoseInputDescription?.ResourceARN} (${i.InputSchema?.RecordFormat?.RecordFormatType}: ${columns})`);
    }
    for (const o of d.OutputDescriptions ?? []) {
      ctx.out.line(`output ${o.Name} -> ${o.KinesisStreamsOutputDescription?.ResourceARN ?? o.KinesisFirehoseOutputDescription?.ResourceARN ?? o.LambdaOutputDescription?.ResourceARN} (${o.DestinationSchema?.RecordFormatType})`);
    }
    ctx.out.line('code:');
    for (const line of (d.ApplicationCode ?? '').split('\n')) ctx.out.line(`  ${line}`);
  },
};

const output: CommandSpec = {
  name: 'apps output',
  usage: 'NAME [--follow] [--from POS] [--output-name NAME] [--count N]',
  summary: "print the rows the application wrote to its output data stream (read from the start; --follow keeps reading)",
  options: {
    follow: { type: 'boolean', short: 'f', help: 'keep printing new rows until Ctrl-C' },
    from: { ...FROM_OPTION, help: `${FROM_OPTION.help} (default TRIM_HORIZON)` },
    'output-name': { type: 'string', value: 'NAME', help: 'which output (default: the first that is not error_stream)' },
    count: { type: 'string', value: 'N', help: 'stop after N rows' },
  },
  positionals: { min: 1, max: 1 },
  details: ['Prints each row as the application wrote it (JSON or CSV); --json prints {ShardId, SequenceNumber, ApproximateArrivalTimestamp, Row}.'],
  async run(ctx, { values, positionals: [name] }) {
    const d = await detail(ctx, name!);
    const wanted = str(values, 'output-name');
    const outputs = (d.OutputDescriptions ?? []).filter((o) => o.KinesisStreamsOutputDescription?.ResourceARN);
    const chosen = wanted !== undefined ? outputs.find((o) => o.Name === wanted) : (outputs.find((o) => o.Name !== 'error_stream') ?? outputs[0]);
    if (!chosen) throw new RivuletError('CLI_INPUT', { message: `application ${name} has no ${wanted ? `output ${wanted} to a` : ''} data stream output` });
    const stream = streamNameOfArn(chosen.KinesisStreamsOutputDescription!.ResourceARN!);
    const countText = str(values, 'count');
    const count = countText === undefined ? Infinity : positiveInt(countText, '--count');
    const stopper = new AbortController();
    let printed = 0;
    await readStream({
      kinesis: ctx.clients.get(KinesisClient),
      clock: ctx.io.clock,
      stream,
      start: startFor(ctx, str(values, 'from'), { type: 'TRIM_HORIZON' }, undefined),
      follow: flag(values, 'follow'),
      signal: AbortSignal.any([ctx.io.signal, stopper.signal]),
      onBatch: ({ shardId, records }) => {
        for (const r of records) {
          if (printed >= count) break;
          const text = printableText(r.Data ?? new Uint8Array())?.replace(/\n$/, '') ?? `base64:${Buffer.from(r.Data ?? []).toString('base64')}`;
          if (!ctx.out.json) ctx.out.line(text);
          else ctx.out.jsonLine({ ShardId: shardId, SequenceNumber: r.SequenceNumber, ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp?.toISOString(), Row: parseRow(text) });
          printed++;
        }
        if (printed >= count) stopper.abort();
      },
    });
  },
};

function parseRow(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const appsCommands: CommandSpec[] = [list, describe, create, update, start, stop, remove, output];
