/**
 * rivulet-agent entry point: the only place that reads argv, env, the real clock and signals.
 *   rivulet-agent run --config agent.yaml
 *   rivulet-agent check-config --config agent.yaml
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { systemClock } from '@rivulet/shared';
import { buildAgent } from './app.js';
import { AgentConfigError, loadAgentConfig } from './config/load.js';
import { parseFailpoints } from './pipeline/failpoints.js';
import { startServiceNotify } from './service-notify.js';
import { nodeSpawner, withParentDeathSignal } from './sources/camera/process-spawner.js';

const SETPRIV = '/usr/bin/setpriv';
const USAGE = 'usage: rivulet-agent run|check-config --config agent.yaml';

async function run(path: string): Promise<number> {
  const config = loadAgentConfig(path, process.env);
  const logger = pino({ level: process.env.RIVULET_LOG_LEVEL ?? 'info', base: { service: 'rivulet-agent', device: config.device.id } });
  const failpoints = parseFailpoints(process.env.RIVULET_FAILPOINTS, () => process.kill(process.pid, 'SIGKILL'));
  const agent = buildAgent(config, {
    clock: systemClock,
    logger,
    random: Math.random,
    failpoints,
    memoryUsage: () => process.memoryUsage(),
    // Camera sources: their own ffmpegPath, else this, else ffmpeg found on PATH by spawn.
    ffmpegPath: process.env.FFMPEG_PATH || undefined,
    // ffmpeg dies with the agent, kill -9 included, where util-linux's setpriv is there.
    spawn: existsSync(SETPRIV) ? withParentDeathSignal(nodeSpawner, SETPRIV) : nodeSpawner,
  });
  const notify = startServiceNotify(
    {
      env: process.env,
      clock: systemClock,
      logger,
      run: (message) =>
        new Promise((resolve) => {
          const child = spawn('systemd-notify', [message], { stdio: 'ignore' });
          child.once('error', () => resolve(null));
          child.once('exit', (code) => resolve(code));
        }),
    },
    process.pid,
  );
  await agent.start();
  notify.ready();
  const address = agent.statusAddress();
  process.stdout.write(`rivulet-agent running: device ${config.device.id} -> ${config.server.endpoint}, status on http://${address?.host}:${address?.port}\n`);
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping: sources, then uploads, then the buffer');
    notify.stopping();
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1;
}

function configPath(argv: string[]): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : process.env.RIVULET_AGENT_CONFIG;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'check-config' && command !== 'run') {
    process.stderr.write(`${USAGE}\n`);
    return command === '--help' || command === '-h' ? 0 : 2;
  }
  const path = configPath(rest);
  if (!path) {
    process.stderr.write(`rivulet-agent: --config is required\n${USAGE}\n`);
    return 2;
  }
  try {
    if (command === 'run') return await run(path);
    const config = loadAgentConfig(path, process.env);
    const sources = config.sources.map((s) => `${s.type}:${s.name}`).join(', ') || 'none';
    process.stdout.write(`config OK: device ${config.device.id}, server ${config.server.endpoint}, sources ${sources}, buffer ${config.buffer.path} (${config.buffer.maxBytes} bytes)\n`);
    return 0;
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`rivulet-agent: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rivulet-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
