/**
 * The demo's command line and its fixed names: which data directory and port, and the streams,
 * delivery stream and application every part of the demo (and its test) refers to.
 */
import { resolve } from 'node:path';

/** Fixed demo names (issue 8 contract: the console, the CLI and the tests use them). */
export const DEMO = {
  sensorStream: 'demo-sensors',
  healthStream: 'device-health',
  videoStream: 'demo-camera',
  deliveryStream: 'demo-delivery',
  application: 'demo-averages',
  averagesStream: 'demo-averages',
  deviceId: 'demo-device',
  /** BucketARN arn:aws:s3:::delivery, mapped to <data-dir>/delivery in the server config. */
  bucket: 'delivery',
  sensors: ['sensor-1', 'sensor-2', 'sensor-3'],
  sensorIntervalMs: 500,
  healthIntervalMs: 5000,
  statusIntervalMs: 5000,
  /** Firehose buffering: a file every 10 s (or 1 MiB), so files show up quickly. */
  deliveryIntervalSeconds: 10,
  deliverySizeMiB: 1,
} as const;

export interface DemoOptions {
  dataDir: string;
  port: number;
  /** Stop by itself after this many seconds; 0 runs until Ctrl-C. */
  seconds: number;
  /** Leave the simulated camera out (no ffmpeg needed). */
  camera: boolean;
  help: boolean;
}

export const DEMO_USAGE = `usage: npm run demo -- [options]

Starts the whole pipeline on this machine: rivulet-ingest on 127.0.0.1, a rivulet-agent with a
simulated camera (ffmpeg's test pattern), three simulated MQTT sensors and its health source, a
Firehose delivery stream writing files, and an SQL application computing per-sensor averages.
Runs until Ctrl-C; a rerun on the same data directory reuses everything it created.

options:
  --data-dir DIR   where the server, the agent buffer and the delivered files live (default ./data)
  --port N         the server's port on 127.0.0.1 (default 4567; 0 picks a free one)
  --seconds N      stop by itself after N seconds (default 0: run until Ctrl-C)
  --no-camera      leave out the simulated camera (no ffmpeg needed)
  -h, --help       this text

environment:
  FFMPEG_PATH      the ffmpeg to use (else ffmpeg on PATH, else the npm package @ffmpeg-installer/ffmpeg)
`;

export class DemoUsageError extends Error {}

export function parseDemoArgs(argv: readonly string[], cwd: string): DemoOptions {
  const options: DemoOptions = { dataDir: resolve(cwd, 'data'), port: 4567, seconds: 0, camera: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new DemoUsageError(`${arg} needs a value`);
      return v;
    };
    const integer = (v: string, max: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > max) throw new DemoUsageError(`${arg}: expected an integer from 0 to ${max}, got "${v}"`);
      return n;
    };
    if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg === '--data-dir') options.dataDir = resolve(cwd, value());
    else if (arg === '--port') options.port = integer(value(), 65535);
    else if (arg === '--seconds') options.seconds = integer(value(), 365 * 24 * 3600);
    else if (arg === '--no-camera') options.camera = false;
    else throw new DemoUsageError(`unknown option ${arg}`);
  }
  return options;
}
