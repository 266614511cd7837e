/**
 * rivulet-agent entry point: the only place that reads argv and env.
 *   rivulet-agent check-config --config agent.yaml
 * (`run` arrives with the pipeline runner, issue 3.)
 */
import { AgentConfigError, loadAgentConfig } from './config/load.js';

const USAGE = 'usage: rivulet-agent check-config --config agent.yaml';

function configPath(argv: string[]): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : process.env.RIVULET_AGENT_CONFIG;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command !== 'check-config') {
    process.stderr.write(`${USAGE}\n`);
    return command === '--help' || command === '-h' ? 0 : 2;
  }
  const path = configPath(rest);
  if (!path) {
    process.stderr.write(`rivulet-agent: --config is required\n${USAGE}\n`);
    return 2;
  }
  try {
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

process.exitCode = main(process.argv.slice(2));
