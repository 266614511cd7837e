/**
 * rivulet-ingest entry point: the only place that reads argv, env, the real clock and signals.
 *   rivulet-ingest [--host 127.0.0.1] [--port 4567] [--data-dir ./data] [--auth sigv4|none] ...
 *   rivulet-ingest keys create|list|revoke
 */
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '@rivulet/shared';
import { buildServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(
      'usage: rivulet-ingest [--host 127.0.0.1] [--port 4567] [--data-dir ./data] [--auth sigv4|none|auto] [--config file.json]\n' +
        '                      [--region us-east-1] [--sync-writes true|false] [--tls-cert FILE --tls-key FILE] [--log-level info]\n',
    );
    return 0;
  }
  const config = loadConfig(argv, process.env);
  mkdirSync(config.dataDir, { recursive: true });
  const logger = pino({ level: config.logLevel, base: { service: 'rivulet-ingest' } });
  const server = await buildServer({ config, clock: systemClock, logger });
  const listener = await server.listen();
  const { address, port } = listener.address;
  const host = address.includes(':') ? `[${address}]` : address;
  const auth = server.authMode === 'none' ? 'auth none (loopback only: every request is accepted unsigned)' : 'auth sigv4';
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
    const reason = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`rivulet-ingest: ${reason}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
