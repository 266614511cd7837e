/**
 * rivulet-ingest entry point: the only place that reads argv, env, the real clock and signals.
 *   rivulet-ingest [--host 127.0.0.1] [--port 4567] [--data-dir ./data] [--auth sigv4|none] ...
 *   rivulet-ingest query --stream NAME --sql "SELECT ..."
 *   rivulet-ingest keys create|list|revoke
 *   rivulet-ingest kms list|create|rotate|disable|enable
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { isRivuletError, systemClock } from '@rivulet/shared';
import { buildServer, resolveAuthMode } from './app.js';
import { CredentialsStore, defaultCredentialsPath } from './auth/credentials.js';
import { runQueryCommand } from './analytics/query-command.js';
import { runKeysCommand } from './auth/keys-command.js';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { LocalKeyStore } from './keystore/key-store.js';
import { runKmsCommand } from './keystore/kms-command.js';
import { registerSigV4Auth } from './plugins/sigv4-auth.js';

/** Takes --data-dir and --credentials-file (or their env) out of an admin command's argv. */
function adminArgs(argv: string[]): { rest: string[]; dataDir: string; credentialsFile: string | undefined } {
  const rest: string[] = [];
  let dataDir = process.env.RIVULET_DATA_DIR ?? './data';
  let credentialsFile = process.env.RIVULET_CREDENTIALS_FILE;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data-dir') dataDir = argv[++i] ?? dataDir;
    else if (argv[i] === '--credentials-file') credentialsFile = argv[++i];
    else rest.push(argv[i]!);
  }
  return { rest, dataDir: resolve(dataDir), credentialsFile };
}

/** `rivulet-ingest kms ...`: the key store under --data-dir. */
function kmsCommand(argv: string[]): Promise<number> {
  const { rest, dataDir } = adminArgs(argv);
  return runKmsCommand(rest, {
    open: () => LocalKeyStore.open({ dir: join(dataDir, 'keys'), masterKey: masterKey(), clock: systemClock }),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}

/** `rivulet-ingest keys ...`: --data-dir / --credentials-file (or their env) pick the file. */
async function keysCommand(argv: string[]): Promise<number> {
  const { rest, dataDir, credentialsFile: file } = adminArgs(argv);
  const credentialsFile = file ?? defaultCredentialsPath(dataDir);
  mkdirSync(resolve(credentialsFile, '..'), { recursive: true });
  return runKeysCommand(rest, { credentialsFile, out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
}

/** RIVULET_MASTER_KEY (base64 of 32 bytes) wraps the key store's material, when set. */
function masterKey(): Buffer | undefined {
  const text = process.env.RIVULET_MASTER_KEY;
  if (!text) return undefined;
  const key = Buffer.from(text, 'base64');
  if (key.byteLength !== 32) throw new ConfigError('RIVULET_MASTER_KEY must be the base64 of exactly 32 bytes');
  return key;
}

async function authDeps(config: ServerConfig) {
  if (resolveAuthMode(config) !== 'sigv4') return {};
  const credentials = await CredentialsStore.open(config.credentialsFile ?? defaultCredentialsPath(config.dataDir));
  if (credentials.listKeys().every((k) => k.revoked)) {
    throw new ConfigError(`auth sigv4 needs an access key: run \`rivulet-ingest keys create --data-dir ${config.dataDir}\``);
  }
  // Keys created or revoked by `rivulet-ingest keys` in another process take effect within 2 s.
  systemClock.setInterval(() => void credentials.reloadIfChanged().catch(() => undefined), 2_000);
  return {
    installAuth: (app: Parameters<typeof registerSigV4Auth>[0]) =>
      registerSigV4Auth(app, { lookupSecret: (id) => credentials.secretFor(id), clock: systemClock }),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(
      'usage: rivulet-ingest [--host 127.0.0.1] [--port 4567] [--data-dir ./data] [--auth sigv4|none|auto] [--config file.json]\n' +
        '                      [--region us-east-1] [--sync-writes true|false] [--tls-cert FILE --tls-key FILE] [--log-level info]\n' +
        '       rivulet-ingest keys create|list|revoke [--data-dir DIR]     access keys for SigV4\n' +
        '       rivulet-ingest kms list|create|rotate|disable|enable [--data-dir DIR]   encryption keys\n' +
        '       rivulet-ingest query --stream NAME --sql "SELECT STREAM ..." [--endpoint URL] [--json]   ad-hoc SQL over retained records\n',
    );
    return 0;
  }
  if (argv[0] === 'keys') return keysCommand(argv.slice(1));
  if (argv[0] === 'kms') return kmsCommand(argv.slice(1));
  if (argv[0] === 'query') {
    return runQueryCommand(argv.slice(1), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), env: process.env, nowMs: () => systemClock.now() });
  }
  const config = loadConfig(argv, process.env);
  mkdirSync(config.dataDir, { recursive: true });
  // JSON lines. `service` is left to the services' child loggers and request lines (streams,
  // firehose, ...); each request's lines carry its reqId (the x-amzn-requestid it answers with).
  const logger = pino({ level: config.logLevel, base: { name: 'rivulet-ingest', pid: process.pid } });
  const keys = await LocalKeyStore.open({ dir: join(config.dataDir, 'keys'), masterKey: masterKey(), clock: systemClock, region: config.region, accountId: config.accountId });
  const server = await buildServer({ config, clock: systemClock, logger, keys, ffmpegPath: process.env.FFMPEG_PATH ?? 'ffmpeg', ...(await authDeps(config)) });
  const listener = await server.listen();
  const { address, port } = listener.address;
  const host = address.includes(':') ? `[${address}]` : address;
  const auth = server.authMode === 'none' ? 'auth none (loopback only: every request is accepted unsigned)' : 'auth sigv4';
  if (server.authMode === 'none') logger.warn('authentication is off: allowed only because the server is bound to loopback');
  process.stdout.write(`rivulet-ingest listening on ${listener.protocol}://${host}:${port} (${auth}, data ${config.dataDir})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests and closing LevelDB');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    const known = err instanceof ConfigError || isRivuletError(err);
    const reason = known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`rivulet-ingest: ${reason}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
