/**
 * The demo's rivulet-ingest: writes the server config into the data directory (the Firehose
 * bucket `delivery` is the directory <data-dir>/delivery; stream sources polled twice a second)
 * and runs the server from its sources on 127.0.0.1, auth none (loopback), on the data directory
 * itself, so `npm start` on ./data later serves the same streams.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type DemoChild } from './child.js';
import { DEMO } from './options.js';

export interface DemoServer {
  child: DemoChild;
  endpoint: string;
  port: number;
  deliveryDir: string;
}

export function deliveryDirOf(dataDir: string): string {
  return join(dataDir, DEMO.bucket);
}

export async function startDemoServer(o: { root: string; dataDir: string; port: number; ffmpegPath: string | null; print: (line: string) => void }): Promise<DemoServer> {
  const deliveryDir = deliveryDirOf(o.dataDir);
  mkdirSync(deliveryDir, { recursive: true });
  const configFile = join(o.dataDir, 'demo-ingest.json');
  const config = { firehose: { buckets: { [DEMO.bucket]: { directory: deliveryDir } }, sourcePollIntervalMs: 500 } };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const child = await startChild({
    name: 'ingest',
    cwd: o.root,
    args: [join(o.root, 'ingest-server/src/main.ts'), '--config', configFile, '--host', '127.0.0.1', '--port', String(o.port), '--data-dir', o.dataDir, '--auth', 'none'],
    env: { ...process.env, RIVULET_LOG_LEVEL: process.env.RIVULET_LOG_LEVEL ?? 'warn', ...(o.ffmpegPath ? { FFMPEG_PATH: o.ffmpegPath } : {}) },
    ready: /listening on (https?:\/\/\S+?):(\d+)/,
    timeoutMs: 60_000,
    print: o.print,
  });
  const port = Number(child.ready[2]);
  return { child, endpoint: `http://127.0.0.1:${port}`, port, deliveryDir };
}
