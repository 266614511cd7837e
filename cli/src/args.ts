/**
 * The command line: global options, finding the command (`streams create`, `put`, ...), parsing
 * its options with node:util parseArgs, and the help text. Owns only argv → (spec, values); not
 * running commands (cli.ts) nor reading the environment beyond the defaults it is handed.
 */
import { parseArgs } from 'node:util';
import { RivuletError } from '@rivulet/shared';
import type { CommandArgs, CommandSpec, GlobalOptions, OptionSpec, OptionValues } from './command.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4567';
export const DEFAULT_REGION = 'us-east-1';
/** Used when no credentials are given: a loopback server with auth none accepts anything. */
export const PLACEHOLDER_CREDENTIALS = { accessKeyId: 'RIVULETANONYMOUS', secretAccessKey: 'rivulet-anonymous' };

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  endpoint: { type: 'string', value: 'URL', help: `server URL (env RIVULET_ENDPOINT, default ${DEFAULT_ENDPOINT})` },
  region: { type: 'string', value: 'REGION', help: `region to sign for (env AWS_REGION, default ${DEFAULT_REGION})` },
  'access-key-id': { type: 'string', value: 'ID', help: 'access key id (env AWS_ACCESS_KEY_ID)' },
  'secret-access-key': { type: 'string', value: 'SECRET', help: 'secret access key (env AWS_SECRET_ACCESS_KEY)' },
  json: { type: 'boolean', help: 'machine output: one JSON document, or JSON lines for streaming commands' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

export type ParsedCommandLine = { kind: 'help'; text: string } | { kind: 'run'; spec: CommandSpec; args: CommandArgs; globals: GlobalOptions };

const usage = (message: string) => new RivuletError('CLI_USAGE', { message });

/**
 * @example
 * parseCommandLine(['streams', 'create', 'orders', '--shards', '2'], table, process.env)
 * // => { kind: 'run', spec: <streams create>, args: { values: { shards: '2' }, positionals: ['orders'] }, globals }
 */
export function parseCommandLine(argv: readonly string[], table: readonly CommandSpec[], env: Record<string, string | undefined>): ParsedCommandLine {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-'; i++) {
    const [name] = argv[i]!.replace(/^-+/, '').split('=');
    const spec = Object.entries(GLOBAL_OPTIONS).find(([long, o]) => long === name || o.short === name)?.[1];
    if (!spec) throw usage(`unknown option ${argv[i]} before the command; run rivulet --help`);
    leading.push(argv[i]!);
    if (spec.type === 'string' && !argv[i]!.includes('=')) leading.push(argv[++i] ?? '');
  }
  const first = argv[i++];
  if (first === undefined || first === 'help') return { kind: 'help', text: topHelp(table) };
  let spec = table.find((s) => s.name === first);
  if (!spec) {
    const group = table.filter((s) => s.name.startsWith(`${first} `));
    if (group.length === 0) throw usage(`unknown command ${first}; run rivulet --help`);
    const second = argv[i++];
    if (second === undefined || second === '--help' || second === '-h' || second === 'help') return { kind: 'help', text: groupHelp(first, group) };
    spec = group.find((s) => s.name === `${first} ${second}`);
    if (!spec) throw usage(`unknown command ${first} ${second}; ${first} takes ${group.map((s) => s.name.split(' ')[1]).join('|')}`);
  }
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinOptionValues([...leading, ...argv.slice(i)], options), options: toParseArgsOptions(options), allowPositionals: true, strict: true }) as typeof parsed;
  } catch (cause) {
    throw new RivuletError('CLI_USAGE', { message: `${(cause as Error).message.split('\n')[0]} (rivulet ${spec.name} --help)` }, { cause });
  }
  if (parsed.values.help === true) return { kind: 'help', text: commandHelp(spec) };
  const { min, max } = spec.positionals;
  if (parsed.positionals.length < min) throw usage(`missing argument: rivulet ${spec.name} ${spec.usage}`);
  if (parsed.positionals.length > max) throw usage(`unexpected argument ${parsed.positionals[max]}: rivulet ${spec.name} ${spec.usage}`);
  return { kind: 'run', spec, args: parsed, globals: globalOptions(parsed.values, env) };
}

/** The first word after the leading global options (the command or its group), if any. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return arg;
    const name = arg.replace(/^-+/, '').split('=')[0];
    if (GLOBAL_OPTIONS[name ?? '']?.type === 'string' && !arg.includes('=')) i++;
  }
  return undefined;
}

/** Global options from flags, then the environment, then the defaults. */
export function globalOptions(values: OptionValues, env: Record<string, string | undefined>): GlobalOptions {
  const pick = (name: string, envName: string) => (typeof values[name] === 'string' ? (values[name] as string) : env[envName] || undefined);
  const endpoint = pick('endpoint', 'RIVULET_ENDPOINT') ?? DEFAULT_ENDPOINT;
  if (!/^https?:\/\/[^/]+/.test(endpoint)) throw usage(`--endpoint ${endpoint} is not an http(s) URL`);
  const accessKeyId = pick('access-key-id', 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = pick('secret-access-key', 'AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) throw usage('give both an access key id and a secret access key, or neither');
  const sessionToken = typeof values['access-key-id'] === 'string' ? undefined : env.AWS_SESSION_TOKEN || undefined;
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : PLACEHOLDER_CREDENTIALS;
  return { endpoint: endpoint.replace(/\/+$/, ''), region: pick('region', 'AWS_REGION') ?? DEFAULT_REGION, credentials, json: values.json === true };
}

/**
 * `--from -5m` would make parseArgs stop at the dash, so a string option and its next word are
 * joined as `--from=-5m` before parsing (short options become their long names).
 */
function joinOptionValues(args: readonly string[], options: Record<string, OptionSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const long = arg.startsWith('--') ? arg.slice(2) : /^-[a-zA-Z]$/.test(arg) ? Object.entries(options).find(([, o]) => o.short === arg.slice(1))?.[0] : undefined;
    if (long !== undefined && !long.includes('=') && options[long]?.type === 'string' && i + 1 < args.length) {
      out.push(`--${long}=${args[++i]}`);
    } else out.push(arg);
  }
  return out;
}

function toParseArgsOptions(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: rivulet ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}`, '', spec.summary];
  if (spec.options && Object.keys(spec.options).length > 0) lines.push('', 'options:', ...optionLines(spec.options));
  if (spec.details) lines.push('', ...spec.details);
  lines.push('', 'global options:', ...optionLines(GLOBAL_OPTIONS));
  return `${lines.join('\n')}\n`;
}

function commandRows(table: readonly CommandSpec[]): string[] {
  const width = Math.max(...table.map((s) => s.name.length));
  return table.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`);
}

function groupHelp(group: string, table: readonly CommandSpec[]): string {
  return `usage: rivulet ${group} <command> [options]\n\ncommands:\n${commandRows(table).join('\n')}\n\nrun rivulet ${group} <command> --help for its options\n`;
}

export function topHelp(table: readonly CommandSpec[]): string {
  return [
    'usage: rivulet [global options] <command> [options]',
    '',
    'The command-line tool for a Rivulet ingest server (Kinesis Data Streams, Firehose, Analytics and Video Streams APIs).',
    '',
    'commands:',
    ...commandRows(table),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'exit codes: 0 done, 1 the request or command failed (one line on stderr: rivulet: <Exception>: <message>), 2 usage error',
    'run rivulet <command> --help for its options',
    '',
  ].join('\n');
}
