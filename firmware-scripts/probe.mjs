// probe.mjs: what install.sh, update.sh and uninstall.sh ask the agent and the server, run with
// the bundled Node (no curl on the device). Reads the agent config with the installed agent's own
// loader; changes nothing.
//   node probe.mjs health  --app DIR --config FILE [--timeout SECONDS]  polls /healthz until 200
//   node probe.mjs status  --app DIR --config FILE                      prints the unsent backlog
//   node probe.mjs connect --app DIR --config FILE                      checks the server, prints what works
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [command, ...rest] = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 && rest[i + 1] !== undefined ? rest[i + 1] : fallback;
};
const app = opt('app', join(import.meta.dirname ?? '.', '../app'));
const configPath = opt('config', '/etc/rivulet/agent.yaml');
const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The agent's config through its own loader; status only, from the text, if that cannot load. */
async function loadConfig() {
  const text = readFileSync(configPath, 'utf8');
  try {
    const { parseAgentConfig } = await import(pathToFileURL(join(app, 'dist/config/load.js')).href);
    return parseAgentConfig(text, process.env);
  } catch (err) {
    if (command === 'connect') throw err;
    const block = /^status:[ \t]*(\{[^}\n]*\}|(?:\n[ \t]+.*)*)/m.exec(text)?.[1] ?? '';
    const host = /host:\s*["']?([^"',}\s]+)/.exec(block)?.[1] ?? '127.0.0.1';
    const port = Number(/port:\s*(\d+)/.exec(block)?.[1] ?? 8787);
    return { status: { host, port } };
  }
}

function statusUrl(config, path) {
  const host = ['0.0.0.0', '::', ''].includes(config.status.host) ? '127.0.0.1' : config.status.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.status.port}${path}`;
}

async function get(url, timeoutMs = 2000) {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
}

async function health() {
  const config = await loadConfig();
  const url = statusUrl(config, '/healthz');
  const deadline = Date.now() + Number(opt('timeout', '60')) * 1000;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await get(url);
      if (res.status === 200) {
        say(`healthy: ${url} answered 200`);
        return 0;
      }
      last = `${url} answered ${res.status}`;
    } catch (err) {
      last = `${url}: ${err.cause?.code ?? err.message}`;
    }
    await sleep(1000);
  }
  say(`not healthy: ${last}`);
  return 1;
}

async function status() {
  const config = await loadConfig();
  try {
    const s = await (await get(statusUrl(config, '/status.json'))).json();
    say(JSON.stringify({ records: s.buffer?.records ?? null, bytes: s.buffer?.bytes ?? null, oldestUnsentAgeMs: s.buffer?.oldestUnsentAgeMs ?? null }));
    return 0;
  } catch {
    return 1;
  }
}

/** A signed (when credentials are set) Kinesis JSON call; resolves with the HTTP status and body. */
async function kinesis(config, action, body) {
  const shared = await import(pathToFileURL(createRequire(join(app, 'probe.js')).resolve('@rivulet/shared')).href);
  let headers = { 'content-type': shared.AMZ_JSON_1_1, [shared.HEADERS.target]: `${shared.TARGET_PREFIX.streams}.${action}` };
  const json = JSON.stringify(body);
  const { accessKeyId, secretAccessKey } = config.server;
  if (accessKeyId && secretAccessKey) {
    headers = shared.signRequest({ method: 'POST', url: config.server.endpoint, headers, body: json }, { accessKeyId, secretAccessKey }, { region: config.server.region, service: 'kinesis', nowMs: Date.now() });
  }
  const res = await fetch(config.server.endpoint, { method: 'POST', headers, body: json, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let parsed = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  return { status: res.status, type: String(parsed.__type ?? '').split('#').pop(), message: parsed.message ?? parsed.Message ?? '' };
}

async function connect() {
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    say(`FAIL config: ${err.message}`);
    return 1;
  }
  say(`ok   config: device ${config.device.id}, server ${config.server.endpoint}, buffer ${config.buffer.path}`);
  try {
    const res = await fetch(config.server.endpoint, { signal: AbortSignal.timeout(10_000) });
    say(`ok   server reachable: ${config.server.endpoint} answered HTTP ${res.status}`);
  } catch (err) {
    say(`FAIL server unreachable: ${config.server.endpoint}: ${err.cause?.code ?? err.cause?.message ?? err.message} (records wait in the buffer until it is)`);
    return 1;
  }
  let failed = 0;
  const list = await kinesis(config, 'ListStreams', {});
  if (list.status === 200) {
    say(config.server.accessKeyId ? `ok   credentials accepted (access key ${config.server.accessKeyId})` : 'ok   the server accepts unsigned requests (no credentials configured)');
  } else {
    say(`FAIL credentials: ListStreams answered ${list.status} ${list.type} ${list.message}`.trimEnd());
    return 1;
  }
  // Camera fragments go to Kinesis Video streams, which this Kinesis call does not describe.
  const streams = new Set(config.sources.flatMap((s) => (s.type === 'system' ? [s.stream] : s.type === 'mqtt' ? s.subscriptions.map((x) => x.stream) : [])));
  for (const stream of streams) {
    const d = await kinesis(config, 'DescribeStreamSummary', { StreamName: stream });
    if (d.status === 200) say(`ok   stream ${stream} exists`);
    else {
      failed += 1;
      say(`FAIL stream ${stream}: ${d.type || d.status} ${d.message} (create it on the server; records wait in the buffer until then)`.trimEnd());
    }
  }
  return failed === 0 ? 0 : 1;
}

const commands = { health, status, connect };
if (!commands[command]) {
  process.stderr.write('usage: probe.mjs health|status|connect --app DIR --config FILE [--timeout SECONDS]\n');
  process.exit(2);
}
commands[command]().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`probe: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
