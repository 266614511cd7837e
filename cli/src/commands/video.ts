/**
 * `rivulet video list|clip|export`: Kinesis Video streams. `clip` saves GetClip's MP4 for a time
 * range; `export` saves the range's fragments as stored (MKV, via ListFragments and
 * GetMediaForFragmentList) joined into one MKV by ffmpeg, or streamed as returned with --raw.
 * Both draw a progress bar on stderr and go through GetDataEndpoint as the AWS SDK flow does.
 * Owns the flags, paging and file writing; the ffmpeg binary comes from FFMPEG_PATH.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, stat, writeFile as writeFileText } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KinesisVideoClient, GetDataEndpointCommand, ListStreamsCommand, type APIName, type StreamInfo } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, GetClipCommand, GetMediaForFragmentListCommand, ListFragmentsCommand, type ClipFragmentSelectorType, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { RivuletError } from '@rivulet/shared';
import { flag, str, type CommandContext, type CommandSpec, type OptionSpec, type OptionValues } from '../command.js';
import { formatBytes } from '../output.js';
import { ProgressBar } from '../progress-bar.js';
import { parseTimeArg, TIME_HELP } from '../time-arg.js';

const execFileAsync = promisify(execFile);

/** Fragments per GetMediaForFragmentList call (Kinesis Video allows up to 1,000). */
const FRAGMENTS_PER_CALL = 10;

const RANGE_OPTIONS: Record<string, OptionSpec> = {
  from: { type: 'string', value: 'TIME', help: 'start of the range' },
  to: { type: 'string', value: 'TIME', help: 'end of the range (default now)' },
  output: { type: 'string', short: 'o', value: 'FILE', help: 'file to write' },
  timestamps: { type: 'string', value: 'KIND', help: 'producer (default: camera time) or server (arrival time)' },
};

interface Range {
  stream: string;
  fromMs: number;
  toMs: number;
  file: string;
  selector: ClipFragmentSelectorType;
}

function rangeArgs(ctx: CommandContext, stream: string, values: OptionValues, command: string): Range {
  const fromText = str(values, 'from');
  const file = str(values, 'output');
  if (fromText === undefined || file === undefined) throw new RivuletError('CLI_USAGE', { message: `${command} needs --from TIME and -o FILE` });
  const now = ctx.io.clock.now();
  const fromMs = parseTimeArg(fromText, now, '--from');
  const toMs = parseTimeArg(str(values, 'to') ?? 'now', now, '--to');
  if (toMs <= fromMs) throw new RivuletError('CLI_USAGE', { message: '--to must be after --from' });
  const kind = (str(values, 'timestamps') ?? 'producer').toLowerCase();
  if (kind !== 'producer' && kind !== 'server') throw new RivuletError('CLI_USAGE', { message: '--timestamps must be producer or server' });
  return { stream, fromMs, toMs, file, selector: kind === 'producer' ? 'PRODUCER_TIMESTAMP' : 'SERVER_TIMESTAMP' };
}

async function archive(ctx: CommandContext, stream: string, api: APIName) {
  const { DataEndpoint } = await ctx.clients.get(KinesisVideoClient).send(new GetDataEndpointCommand({ StreamName: stream, APIName: api }));
  return ctx.clients.get(KinesisVideoArchivedMediaClient, DataEndpoint!);
}

/** Streams `body` into the open file, reporting each chunk's size. */
async function copyInto(body: unknown, file: Awaited<ReturnType<typeof open>>, onBytes: (n: number) => void): Promise<number> {
  let total = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    await file.write(chunk);
    total += chunk.byteLength;
    onBytes(chunk.byteLength);
  }
  return total;
}

/** Writes to `path`, removing the partial file if anything fails or Ctrl-C stops it. */
async function writeFile<T>(ctx: CommandContext, path: string, write: (file: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
  const file = await open(path, 'w').catch((cause: NodeJS.ErrnoException) => {
    throw new RivuletError('CLI_INPUT', { message: `cannot write ${path}: ${cause.code ?? cause.message}` }, { cause });
  });
  try {
    const result = await write(file);
    await file.close();
    if (ctx.io.signal.aborted) throw new RivuletError('CLI_INPUT', { message: `interrupted; ${path} removed` });
    return result;
  } catch (e) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw e;
  }
}

const list: CommandSpec = {
  name: 'video list',
  usage: '',
  summary: 'list video streams',
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const streams: StreamInfo[] = [];
    let token: string | undefined;
    do {
      const page = await ctx.clients.get(KinesisVideoClient).send(new ListStreamsCommand(token ? { NextToken: token } : {}));
      streams.push(...(page.StreamInfoList ?? []));
      token = page.NextToken;
    } while (token);
    if (ctx.out.json) return ctx.out.document({ StreamInfoList: streams });
    if (streams.length === 0) return ctx.out.line('no video streams');
    ctx.out.table([
      ['NAME', 'STATUS', 'RETENTION', 'MEDIA TYPE', 'CREATED'],
      ...streams.map((s) => [s.StreamName!, s.Status!, `${s.DataRetentionInHours ?? 0}h`, s.MediaType ?? '-', s.CreationTime?.toISOString() ?? '-']),
    ]);
  },
};

const clip: CommandSpec = {
  name: 'video clip',
  usage: 'STREAM --from TIME [--to TIME] -o out.mp4',
  summary: 'save an MP4 clip of a time range (GetClip)',
  options: RANGE_OPTIONS,
  positionals: { min: 1, max: 1 },
  details: [TIME_HELP, 'The progress bar (bytes received) is drawn on stderr when it is a terminal.'],
  async run(ctx, { values, positionals: [stream] }) {
    const r = rangeArgs(ctx, stream!, values, 'video clip');
    const client = await archive(ctx, r.stream, 'GET_CLIP');
    const out = await client.send(
      new GetClipCommand({ StreamName: r.stream, ClipFragmentSelector: { FragmentSelectorType: r.selector, TimestampRange: { StartTimestamp: new Date(r.fromMs), EndTimestamp: new Date(r.toMs) } } }),
      { abortSignal: ctx.io.signal },
    );
    const bar = new ProgressBar(ctx.io.stderr, ctx.io.clock, { label: 'clip', unit: 'bytes' });
    let done = 0;
    const bytes = await writeFile(ctx, r.file, (file) => copyInto(out.Payload, file, (n) => bar.update({ done: (done += n) })));
    bar.finish({ done: bytes });
    if (ctx.out.json) return ctx.out.document({ StreamName: r.stream, File: r.file, Bytes: bytes, ContentType: out.ContentType });
    ctx.out.line(`wrote ${r.file} (${formatBytes(bytes)}, ${out.ContentType ?? 'video/mp4'})`);
  },
};

const exportCommand: CommandSpec = {
  name: 'video export',
  usage: 'STREAM --from TIME [--to TIME] -o out.mkv [--raw]',
  summary: 'save the stored fragments of a time range as one MKV (ListFragments + GetMediaForFragmentList, remuxed by ffmpeg)',
  options: { ...RANGE_OPTIONS, raw: { type: 'boolean', help: 'write the fragments as returned, one MKV document after another (no ffmpeg needed)' } },
  positionals: { min: 1, max: 1 },
  details: [
    TIME_HELP,
    'Each stored fragment is its own MKV document, and players stop after the first of several',
    'concatenated ones, so by default the fragments are joined without re-encoding by ffmpeg',
    '(FFMPEG_PATH, default ffmpeg on PATH). --raw streams the fragments into the file as they are.',
    'The progress bar counts fragments.',
  ],
  async run(ctx, { values, positionals: [stream] }) {
    const r = rangeArgs(ctx, stream!, values, 'video export');
    const fragments = await listFragments(ctx, r);
    const media = await archive(ctx, r.stream, 'GET_MEDIA_FOR_FRAGMENT_LIST');
    const bar = new ProgressBar(ctx.io.stderr, ctx.io.clock, { label: 'export', unit: 'count', noun: 'fragments', total: fragments.length });
    let done = 0;
    const fetchInto = async (file: Awaited<ReturnType<typeof open>>, numbers: string[]) => {
      const out = await media.send(new GetMediaForFragmentListCommand({ StreamName: r.stream, Fragments: numbers }), { abortSignal: ctx.io.signal });
      const n = await copyInto(out.Payload, file, () => undefined);
      bar.update({ done: (done += numbers.length) });
      return n;
    };
    let bytes: number;
    if (flag(values, 'raw')) {
      bytes = await writeFile(ctx, r.file, async (file) => {
        let written = 0;
        for (let i = 0; i < fragments.length && !ctx.io.signal.aborted; i += FRAGMENTS_PER_CALL) {
          written += await fetchInto(file, fragments.slice(i, i + FRAGMENTS_PER_CALL).map((f) => f.FragmentNumber!));
        }
        return written;
      });
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'rivulet-export-'));
      try {
        const names: string[] = [];
        for (const [i, f] of fragments.entries()) {
          if (ctx.io.signal.aborted) break;
          const name = `f${String(i).padStart(6, '0')}.mkv`;
          await writeFile(ctx, join(dir, name), (file) => fetchInto(file, [f.FragmentNumber!]));
          names.push(name);
        }
        if (ctx.io.signal.aborted) throw new RivuletError('CLI_INPUT', { message: 'interrupted; nothing written' });
        bytes = await concatWithFfmpeg(ctx, dir, names, r.file);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    bar.finish({ done: fragments.length });
    if (ctx.out.json) return ctx.out.document({ StreamName: r.stream, File: r.file, Fragments: fragments.length, Bytes: bytes });
    ctx.out.line(`wrote ${r.file} (${fragments.length} fragments, ${formatBytes(bytes)})`);
  },
};

/** The fragments of the range in time order; none is a ResourceNotFoundException, as GetClip says. */
async function listFragments(ctx: CommandContext, r: Range): Promise<Fragment[]> {
  const lister = await archive(ctx, r.stream, 'LIST_FRAGMENTS');
  const fragments: Fragment[] = [];
  let token: string | undefined;
  do {
    const page = await lister.send(
      new ListFragmentsCommand(
        token
          ? { StreamName: r.stream, NextToken: token }
          : { StreamName: r.stream, MaxResults: 1000, FragmentSelector: { FragmentSelectorType: r.selector, TimestampRange: { StartTimestamp: new Date(r.fromMs), EndTimestamp: new Date(r.toMs) } } },
      ),
    );
    fragments.push(...(page.Fragments ?? []));
    token = page.NextToken;
  } while (token);
  const at = (f: Fragment) => (r.selector === 'PRODUCER_TIMESTAMP' ? f.ProducerTimestamp : f.ServerTimestamp)?.getTime() ?? 0;
  fragments.sort((a, b) => at(a) - at(b) || (a.FragmentNumber! < b.FragmentNumber! ? -1 : 1));
  if (fragments.length === 0) {
    throw new RivuletError('VIDEO_NO_FRAGMENTS', { stream: r.stream, where: `between ${new Date(r.fromMs).toISOString()} and ${new Date(r.toMs).toISOString()}` });
  }
  return fragments;
}

/** Joins the fragment files with ffmpeg's concat demuxer into one MKV, without re-encoding. */
async function concatWithFfmpeg(ctx: CommandContext, dir: string, names: string[], out: string): Promise<number> {
  const list = join(dir, 'list.ffconcat');
  await writeFileText(list, `ffconcat version 1.0\n${names.map((n) => `file '${n}'`).join('\n')}\n`);
  const ffmpeg = ctx.io.env.FFMPEG_PATH || 'ffmpeg';
  try {
    await execFileAsync(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', '-f', 'matroska', out]);
  } catch (cause) {
    await rm(out, { force: true });
    const e = cause as NodeJS.ErrnoException & { stderr?: string };
    const reason = e.code === 'ENOENT' ? `${ffmpeg} not found (install ffmpeg, set FFMPEG_PATH, or use --raw)` : `ffmpeg failed: ${(e.stderr ?? e.message).trim()}`;
    throw new RivuletError('CLI_INPUT', { message: reason }, { cause });
  }
  return (await stat(out)).size;
}

export const videoCommands: CommandSpec[] = [list, clip, exportCommand];
