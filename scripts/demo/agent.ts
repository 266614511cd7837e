/**
 * The demo's rivulet-agent: writes its YAML config into <data-dir>/agent (device demo-device,
 * the embedded MQTT broker on a free loopback port, the simulated camera, the system source) and
 * runs the agent from its sources. Its buffer stays in <data-dir>/agent/buffer across reruns.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startChild, type DemoChild } from './child.js';
import { DEMO } from './options.js';

/** The simulated camera: ffmpeg's test pattern at 640x360, 15 fps, cut into 2 s fragments. */
export const DEMO_CAMERA_URL = 'testsrc://?size=640x360&rate=15';

export interface DemoAgent {
  child: DemoChild;
  statusUrl: string;
  brokerUrl: string;
}

/** A port that was free a moment ago (the embedded broker needs a fixed one in its config). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function agentConfigYaml(o: { endpoint: string; dir: string; brokerPort: number; camera: boolean }): string {
  const lines = [
    '# Written by `npm run demo`; rewritten on every run.',
    `device: { id: ${DEMO.deviceId} }`,
    `server: { endpoint: "${o.endpoint}" }`,
    `buffer: { path: ${JSON.stringify(join(o.dir, 'buffer'))}, maxBytes: 256MiB }`,
    'status: { host: 127.0.0.1, port: 0 }',
    'sources:',
    '  - type: mqtt',
    '    name: sensors',
    `    broker: { embedded: { host: 127.0.0.1, port: ${o.brokerPort} } }`,
    '    subscriptions:',
    `      - { topic: sensors/+sensor/reading, qos: 1, stream: ${DEMO.sensorStream}, partitionKey: { topicSegment: sensor }, payload: json }`,
    `  - { type: system, name: health, stream: ${DEMO.healthStream}, intervalMs: ${DEMO.healthIntervalMs} }`,
  ];
  if (o.camera) lines.push(`  - { type: camera, name: camera, url: "${DEMO_CAMERA_URL}", stream: ${DEMO.videoStream}, fragmentSeconds: 2, tags: { source: demo } }`);
  return `${lines.join('\n')}\n`;
}

export async function startDemoAgent(o: { root: string; dataDir: string; endpoint: string; ffmpegPath: string | null; print: (line: string) => void }): Promise<DemoAgent> {
  const dir = join(o.dataDir, 'agent');
  mkdirSync(dir, { recursive: true });
  const brokerPort = await freePort();
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, agentConfigYaml({ endpoint: o.endpoint, dir, brokerPort, camera: o.ffmpegPath !== null }));
  const child = await startChild({
    name: 'agent',
    cwd: o.root,
    args: [join(o.root, 'agent/src/main.ts'), 'run', '--config', config],
    env: { ...process.env, RIVULET_LOG_LEVEL: process.env.RIVULET_LOG_LEVEL ?? 'warn', ...(o.ffmpegPath ? { FFMPEG_PATH: o.ffmpegPath } : {}) },
    ready: /status on (http:\/\/\S+)/,
    timeoutMs: 60_000,
    print: o.print,
  });
  return { child, statusUrl: `${child.ready[1]!}/`, brokerUrl: `mqtt://127.0.0.1:${brokerPort}` };
}
