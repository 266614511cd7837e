/**
 * npm run demo: the whole pipeline on this machine, on embedded defaults.
 *   1. rivulet-ingest on 127.0.0.1 (default port 4567), data in ./data, auth none (loopback);
 *   2. the streams, the Firehose delivery stream and the SQL application (demo/setup.ts);
 *   3. rivulet-agent with a simulated camera, an embedded MQTT broker and its health source;
 *   4. three simulated MQTT sensors publishing to the agent's broker;
 * then prints where everything is and a status line every 5 s until Ctrl-C (or SIGTERM), which
 * stops the sensors, the agent and the server in that order, and exits 0.
 * `npm run demo -- --help` lists the options. test/harness/demo.ts parses the lines printed here.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisAnalyticsClient } from '@aws-sdk/client-kinesis-analytics';
import { KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { startDemoAgent, type DemoAgent } from './demo/agent.js';
import { FFMPEG_MISSING, findFfmpeg } from './demo/ffmpeg.js';
import { DEMO, DEMO_USAGE, DemoUsageError, parseDemoArgs, type DemoOptions } from './demo/options.js';
import { startSensors, type DemoSensors } from './demo/sensors.js';
import { startDemoServer, type DemoServer } from './demo/server.js';
import { setupDemo } from './demo/setup.js';
import { countFiles, countFragments, StreamCounter } from './demo/status.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

let options: DemoOptions;
try {
  options = parseDemoArgs(process.argv.slice(2), process.cwd());
} catch (err) {
  if (!(err instanceof DemoUsageError)) throw err;
  process.stderr.write(`demo: ${err.message}\n\n${DEMO_USAGE}`);
  process.exit(2);
}
if (options.help) {
  say(DEMO_USAGE);
  process.exit(0);
}

const startedMs = Date.now();
let server: DemoServer | null = null;
let agent: DemoAgent | null = null;
let sensors: DemoSensors | null = null;
let ticker: NodeJS.Timeout | null = null;
let stopping: Promise<void> | null = null;

/** Sensors, then the agent (its buffer keeps what it has not sent), then the server. */
async function stopAll(): Promise<boolean> {
  if (ticker) clearInterval(ticker);
  let clean = true;
  await sensors?.stop().catch((err: unknown) => say(`demo: the sensors did not stop cleanly: ${String(err)}`));
  for (const child of [agent?.child, server?.child]) {
    if (!child) continue;
    const code = await child.stop();
    if (code !== 0) {
      say(`demo: ${child.name} exited with ${code}`);
      clean = false;
    }
  }
  return clean;
}

function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    say(`\n${reason}: stopping the sensors, the agent, then the server...`);
    const clean = await stopAll();
    say(clean ? `stopped; the data stays in ${options.dataDir} (run the demo again to continue)` : 'stopped, with errors');
    process.exit(clean ? 0 : 1);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  say(`Rivulet demo: data in ${options.dataDir}`);
  const ffmpeg = options.camera ? await findFfmpeg(process.env) : null;
  if (options.camera && !ffmpeg) say(`demo: ${FFMPEG_MISSING}; running without the simulated camera`);
  else if (ffmpeg) say(`ffmpeg: ${ffmpeg.path} (from ${ffmpeg.from})`);

  server = await startDemoServer({ root, dataDir: options.dataDir, port: options.port, ffmpegPath: ffmpeg?.path ?? null, print: say });
  const endpoint = server.endpoint;
  // The stock clients: only endpoint, region and credentials (auth is off on loopback).
  const clientConfig = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } };
  const kinesis = new KinesisClient(clientConfig);
  const video = new KinesisVideoClient(clientConfig);
  const archive = new KinesisVideoArchivedMediaClient(clientConfig);
  const firehose = new FirehoseClient(clientConfig);
  const analytics = new KinesisAnalyticsClient(clientConfig);
  for (const { name, created } of await setupDemo({ kinesis, video, firehose, analytics })) say(`${created ? 'created' : 'reusing'} ${name}`);

  agent = await startDemoAgent({ root, dataDir: options.dataDir, endpoint, ffmpegPath: ffmpeg?.path ?? null, print: say });
  sensors = await startSensors({ brokerUrl: agent.brokerUrl, onError: (err) => say(`demo: sensor error: ${err instanceof Error ? err.message : String(err)}`) });
  void agent.child.exited.then((code) => void (stopping ?? stop(`the agent exited unexpectedly (${code})`)));
  void server.child.exited.then((code) => void (stopping ?? stop(`rivulet-ingest exited unexpectedly (${code})`)));

  const deliveryDir = server.deliveryDir;
  say('');
  say(`endpoint: ${endpoint}`);
  say(`agent status: ${agent.statusUrl}`);
  say(`mqtt broker: ${agent.brokerUrl} (sensors publish to sensors/<id>/reading)`);
  say(`delivery files: ${deliveryDir}`);
  say(`  (Firehose ${DEMO.deliveryStream} writes ${DEMO.sensorStream} there, a file every ${DEMO.deliveryIntervalSeconds} s or ${DEMO.deliverySizeMiB} MiB)`);
  say(`streams: ${DEMO.sensorStream} (sensors), ${DEMO.healthStream} (agent health), ${DEMO.averagesStream} (SQL averages), video ${DEMO.videoStream}`);
  say(`console: ${endpoint}/console`);
  say(`Every ${DEMO.statusIntervalMs / 1000} s: what reached each stage since this start (delivery files: all in the directory). Ctrl-C stops the demo.`)

  const counters = {
    sensors: new StreamCounter(kinesis, DEMO.sensorStream, startedMs),
    health: new StreamCounter(kinesis, DEMO.healthStream, startedMs),
    averages: new StreamCounter(kinesis, DEMO.averagesStream, startedMs),
  };
  let looking = false;
  ticker = setInterval(() => {
    if (looking || stopping) return;
    looking = true;
    void (async () => {
      try {
        const [readings, health, averages] = [await counters.sensors.poll(), await counters.health.poll(), await counters.averages.poll()];
        const fragments = ffmpeg ? await countFragments(archive, DEMO.videoStream, startedMs, Date.now()) : 0;
        const clock = new Date().toISOString().slice(11, 19);
        say(
          `[${clock}] sensor records ${readings} (published ${sensors?.published() ?? 0})  video fragments ${ffmpeg ? fragments : 'off'}  health samples ${health}  delivery files ${countFiles(deliveryDir)}  average rows ${averages}`,
        );
      } catch (err) {
        if (!stopping) say(`demo: status look failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        looking = false;
      }
    })();
  }, DEMO.statusIntervalMs);
  if (options.seconds > 0) setTimeout(() => void stop(`${options.seconds} s are up`), options.seconds * 1000);
} catch (err) {
  say(`demo: ${err instanceof Error ? err.message : String(err)}`);
  if (!stopping) {
    await stopAll();
    process.exit(1);
  }
}
