import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_CREDENTIALS, globalOptions, parseCommandLine } from './args.js';
import type { CommandSpec } from './command.js';

const spec = (name: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({ name, usage: 'NAME', summary: `${name} things`, positionals: { min: 1, max: 1 }, run: async () => undefined, ...extra });
const TABLE = [
  spec('streams create', { options: { shards: { type: 'string', value: 'N', help: 'shards' }, 'on-demand': { type: 'boolean', help: 'on demand' } } }),
  spec('streams list', { usage: '', positionals: { min: 0, max: 0 } }),
  spec('tail', { options: { from: { type: 'string', help: 'start' } } }),
  spec('video clip', { options: { output: { type: 'string', short: 'o', help: 'file' } } }),
];
const run = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseCommandLine(argv, TABLE, env);
  if (parsed.kind !== 'run') throw new Error('expected a command');
  return parsed;
};
const usageError = (message: RegExp | string) => expect.objectContaining({ code: 'CLI_USAGE', message: typeof message === 'string' ? message : expect.stringMatching(message) });

describe('parseCommandLine', () => {
  it('finds a two-word command and parses its options and positionals', () => {
    const p = run(['streams', 'create', 'orders', '--shards', '2']);
    expect(p.spec.name).toBe('streams create');
    expect(p.args.positionals).toEqual(['orders']);
    expect(p.args.values.shards).toBe('2');
  });

  it('takes global options before the command and anywhere after it', () => {
    const p = run(['--endpoint', 'http://10.0.0.2:4567', 'streams', 'list', '--json', '--region', 'eu-west-1']);
    expect(p.globals).toMatchObject({ endpoint: 'http://10.0.0.2:4567', region: 'eu-west-1', json: true });
  });

  it('accepts option values that start with a dash, and short options', () => {
    expect(run(['tail', 's', '--from', '-5m']).args.values.from).toBe('-5m');
    expect(run(['video', 'clip', 'cam', '-o', 'out.mp4']).args.values.output).toBe('out.mp4');
  });

  it('returns help for no command, a group, or --help on a command', () => {
    expect(parseCommandLine([], TABLE, {})).toMatchObject({ kind: 'help', text: expect.stringContaining('streams create') });
    expect(parseCommandLine(['streams'], TABLE, {})).toMatchObject({ kind: 'help', text: expect.stringMatching(/^usage: rivulet streams <command>/) });
    expect(parseCommandLine(['tail', '--help'], TABLE, {})).toMatchObject({ kind: 'help', text: expect.stringMatching(/^usage: rivulet tail NAME\n/) });
  });

  it('refuses unknown commands, options and wrong argument counts as usage errors', () => {
    expect(() => parseCommandLine(['frobnicate'], TABLE, {})).toThrow(usageError('unknown command frobnicate; run rivulet --help'));
    expect(() => parseCommandLine(['streams', 'explode'], TABLE, {})).toThrow(usageError('unknown command streams explode; streams takes create|list'));
    expect(() => parseCommandLine(['streams', 'create', 'x', '--nope'], TABLE, {})).toThrow(usageError(/^Unknown option '--nope'/));
    expect(() => parseCommandLine(['streams', 'create'], TABLE, {})).toThrow(usageError('missing argument: rivulet streams create NAME'));
    expect(() => parseCommandLine(['streams', 'list', 'extra'], TABLE, {})).toThrow(usageError(/^unexpected argument extra/));
    expect(() => parseCommandLine(['--shards', '2', 'streams', 'list'], TABLE, {})).toThrow(usageError(/^unknown option --shards before the command/));
  });
});

describe('globalOptions', () => {
  it('prefers flags, then the environment, then the defaults', () => {
    expect(globalOptions({}, {})).toEqual({ endpoint: 'http://127.0.0.1:4567', region: 'us-east-1', credentials: PLACEHOLDER_CREDENTIALS, json: false });
    const env = { RIVULET_ENDPOINT: 'http://h:1/', AWS_REGION: 'ap-south-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' };
    expect(globalOptions({}, env)).toEqual({ endpoint: 'http://h:1', region: 'ap-south-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'S', sessionToken: 'T' }, json: false });
    expect(globalOptions({ 'access-key-id': 'X', 'secret-access-key': 'Y', endpoint: 'https://e' }, env)).toMatchObject({ endpoint: 'https://e', credentials: { accessKeyId: 'X', secretAccessKey: 'Y' } });
  });

  it('refuses an endpoint that is not a URL and half a credential', () => {
    expect(() => globalOptions({ endpoint: 'localhost:4567' }, {})).toThrow(usageError(/is not an http\(s\) URL/));
    expect(() => globalOptions({}, { AWS_ACCESS_KEY_ID: 'only' })).toThrow(usageError(/give both/));
  });
});
