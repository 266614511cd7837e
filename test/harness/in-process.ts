/**
 * An in-process rivulet-ingest listening on a real loopback port, for tests that must drive
 * time by hand (retention, throughput limits, iterator expiry): the server gets a ManualClock.
 */
import { pino } from 'pino';
import { ManualClock } from '@rivulet/shared';
import { buildServer, type RivuletServer, type ServerDeps } from '../../ingest-server/src/app.js';
import { resolveConfig } from '../../ingest-server/src/config.js';
import { tempDir } from './ingest.js';

export interface InProcessServer {
  server: RivuletServer;
  clock: ManualClock;
  endpoint: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startInProcess(config: Record<string, unknown> = {}, extra: Partial<ServerDeps> = {}): Promise<InProcessServer> {
  const dataDir = (config.dataDir as string | undefined) ?? tempDir();
  const clock = new ManualClock(Date.now());
  const server = await buildServer({
    config: resolveConfig({ host: '127.0.0.1', port: 0, dataDir, ...config }),
    clock,
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  const listener = await server.listen();
  return { server, clock, endpoint: `http://127.0.0.1:${listener.address.port}`, dataDir, close: () => server.close() };
}
