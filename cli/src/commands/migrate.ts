/**
 * `rivulet migrate --data-dir DIR --to jetstream --servers URL[,URL]`: moves a server's Data
 * Streams from its embedded LevelDB store to NATS JetStream, on the server host, with the server
 * stopped. Owns the flags, opening both stores, the progress bar and the summary; what is copied
 * and how a rerun resumes is ingest-server's streams/migrate.ts.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JetStreamShardStore, LevelShardStore, migrateStreams, type MigrateSummary, type ShardStore } from '@rivulet/ingest-server';
import { RivuletError, isRivuletError } from '@rivulet/shared';
import { flag, str, type CommandContext, type CommandSpec } from '../command.js';
import { formatBytes } from '../output.js';
import { ProgressBar, formatDuration } from '../progress-bar.js';
import { positiveInt } from './parse-values.js';

/** NATS server URLs from a comma-separated list: nats://host:port (the scheme may be omitted). */
export function parseServers(text: string): string[] {
  const servers = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0) throw new RivuletError('CLI_USAGE', { message: '--servers needs at least one nats://host:port' });
  for (const s of servers) {
    if (!/^(nats|tls):\/\/[^/\s:]+(:\d+)?$/.test(s) && !/^[^/\s:]+:\d+$/.test(s)) {
      throw new RivuletError('CLI_USAGE', { message: `--servers: ${s} is not nats://host:port` });
    }
  }
  return servers;
}

/** The server's LevelDB store under DIR/streams; refuses a missing store and one a running server holds. */
async function openSource(dataDir: string): Promise<ShardStore> {
  const location = join(dataDir, 'streams');
  if (!existsSync(join(location, 'index'))) throw new RivuletError('CLI_INPUT', { message: `no Data Streams store in ${dataDir} (expected ${location})` });
  const store = new LevelShardStore({ location });
  try {
    await store.open();
  } catch (e) {
    if (isRivuletError(e) && e.message.includes('in use by another')) {
      throw new RivuletError('CLI_INPUT', { message: `${dataDir} is in use by a running rivulet-ingest: stop it before migrating` }, { cause: e });
    }
    throw e;
  }
  return store;
}

function printSummary(ctx: CommandContext, summary: MigrateSummary, target: string, elapsedMs: number): void {
  if (ctx.out.json) {
    return ctx.out.document({
      Target: target,
      Streams: summary.streams.map((s) => ({ Name: s.name, StreamId: s.streamId, Shards: s.shards, Records: s.records, Chunks: s.chunks, Bytes: s.bytes, RecordsAlreadyThere: s.recordsAlreadyThere, Outcome: s.outcome })),
      Records: summary.records,
      Chunks: summary.chunks,
      Bytes: summary.bytes,
      IteratorSecretCopied: summary.iteratorSecretCopied,
      ProducerStatesCopied: summary.producerStatesCopied,
      ProducerStates: summary.producerStates,
      ElapsedMs: Math.round(elapsedMs),
    });
  }
  ctx.out.table([
    ['STREAM', 'SHARDS', 'RECORDS', 'CHUNKS', 'BYTES', 'OUTCOME'],
    ...summary.streams.map((s) => [s.name, String(s.shards), String(s.records), String(s.chunks), formatBytes(s.bytes), s.outcome === 'resumed' ? `resumed (${s.recordsAlreadyThere} already there)` : s.outcome]),
  ]);
  ctx.out.line(`migrated ${summary.streams.length} stream(s), ${summary.records} records (${formatBytes(summary.bytes)}) to ${target} in ${formatDuration(elapsedMs)}`);
  ctx.out.line(summary.iteratorSecretCopied ? 'iterator secret copied: shard iterators issued before keep working' : 'iterator secret not copied (the target already serves streams with its own): shard iterators issued before must be fetched again');
  ctx.out.line(
    summary.producerStatesCopied
      ? `${summary.producerStates} idempotent-producer state(s) copied: retries of batches acknowledged before are answered as before`
      : 'idempotent-producer states are not copied (the source cannot list them): producer dedup starts afresh on the target',
  );
}

const migrate: CommandSpec = {
  name: 'migrate',
  usage: '--to jetstream --servers URL[,URL...] [--data-dir DIR] [--replicas N] [--prefix P] [--stream NAME ...] [--force]',
  summary: "move a server's data streams from its LevelDB store to NATS JetStream (server stopped)",
  options: {
    'data-dir': { type: 'string', value: 'DIR', help: "the server's data directory (env RIVULET_DATA_DIR, default ./data)" },
    to: { type: 'string', value: 'ENGINE', help: 'the target store: jetstream' },
    servers: { type: 'string', value: 'URLS', help: 'NATS servers, comma-separated nats://host:port (env RIVULET_NATS_SERVERS)' },
    replicas: { type: 'string', value: 'N', help: 'JetStream replicas per stream (default 3)' },
    prefix: { type: 'string', value: 'P', help: 'name prefix of the JetStream streams and buckets (default rivulet)' },
    stream: { type: 'string', multiple: true, value: 'NAME', help: 'migrate only this stream (repeatable; default all)' },
    force: { type: 'boolean', help: 'replace a stream that already exists in the target with a different definition' },
  },
  positionals: { min: 0, max: 0 },
  details: [
    'Run it on the server host with rivulet-ingest stopped (it holds the LevelDB lock), and with no rivulet-ingest',
    'using the target cluster under the same prefix (a running one would not see the streams).',
    "Copies stream definitions, every shard's records with their sequence numbers and arrival times, and the",
    'iterator secret; then start rivulet-ingest with the same --data-dir and storage.engine "jetstream".',
    'Interrupted? Run it again: it resumes. Idempotent-producer states are copied last.',
    'A progress bar is drawn on stderr when it is a terminal.',
  ],
  async run(ctx, { values }) {
    const engine = str(values, 'to');
    if (engine !== 'jetstream') throw new RivuletError('CLI_USAGE', { message: engine === undefined ? 'migrate needs --to jetstream' : `--to ${engine}: the only target is jetstream` });
    const serversText = str(values, 'servers') ?? ctx.io.env.RIVULET_NATS_SERVERS;
    if (serversText === undefined) throw new RivuletError('CLI_USAGE', { message: 'migrate --to jetstream needs --servers nats://host:port[,...]' });
    const servers = parseServers(serversText);
    const replicas = str(values, 'replicas') === undefined ? 3 : positiveInt(str(values, 'replicas')!, '--replicas');
    const prefix = str(values, 'prefix') ?? 'rivulet';
    const streams = values.stream as string[] | undefined;
    const dataDir = resolve(str(values, 'data-dir') ?? ctx.io.env.RIVULET_DATA_DIR ?? './data');

    const from = await openSource(dataDir);
    let to: ShardStore | undefined;
    const bar = new ProgressBar(ctx.io.stderr, ctx.io.clock, { label: 'migrate', unit: 'count', noun: 'records' });
    const started = ctx.io.clock.monotonicMs();
    try {
      const target = new JetStreamShardStore({ servers, replicas, prefix });
      to = target;
      await target.open();
      const summary = await migrateStreams({
        from,
        to: target,
        ...(streams ? { streams } : {}),
        force: flag(values, 'force'),
        signal: ctx.io.signal,
        onProgress: (p) => bar.update({ label: `migrate ${p.stream} (${p.chunksDone.toLocaleString('en-US')} chunks)`, done: p.recordsDone, total: p.totalRecordsEstimate }),
      });
      bar.finish({ label: `migrate (${summary.chunks.toLocaleString('en-US')} chunks)`, done: summary.records, total: summary.records });
      printSummary(ctx, summary, `jetstream ${servers.join(',')} (replicas ${replicas}, prefix ${prefix})`, ctx.io.clock.monotonicMs() - started);
      return 0;
    } catch (e) {
      if (!ctx.io.signal.aborted) throw e;
      bar.finish();
      ctx.io.stderr.write('rivulet: migrate interrupted; run the same command again to resume\n');
      return 130;
    } finally {
      await Promise.allSettled([from.close(), to?.close()]);
    }
  },
};

export const migrateCommands: CommandSpec[] = [migrate];
