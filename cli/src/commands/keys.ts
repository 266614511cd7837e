/**
 * `rivulet keys create|list|revoke`: the SigV4 access keys of a server, managed in its
 * credentials file on the server host (as `rivulet-ingest keys` does; a running server picks
 * changes up within 2 s). Owns only the CLI wrapping; the file and its rules are
 * ingest-server's auth/keys-command.ts and credentials.ts.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultCredentialsPath, runKeysCommand } from '@rivulet/ingest-server';
import { str, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';

const FILE_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'DIR', help: "the server's data directory (env RIVULET_DATA_DIR, default ./data)" },
  'credentials-file': { type: 'string', value: 'FILE', help: 'the credentials file (env RIVULET_CREDENTIALS_FILE, default DIR/credentials.json)' },
};
const DETAILS = [
  'Keys live in the credentials file on the server host, so run this where the server runs.',
  'A running server reloads the file within 2 s. Secrets are printed only by create.',
];

function credentialsFile(ctx: CommandContext, values: Record<string, unknown>): string {
  const file = (values['credentials-file'] as string | undefined) ?? ctx.io.env.RIVULET_CREDENTIALS_FILE;
  if (file) return resolve(file);
  return defaultCredentialsPath(resolve((values['data-dir'] as string | undefined) ?? ctx.io.env.RIVULET_DATA_DIR ?? './data'));
}

/** Hands the words to the server's keys command; its error lines get the rivulet: prefix. */
async function runKeys(ctx: CommandContext, words: string[], values: Record<string, unknown>, json = ctx.out.json, out = (line: string) => ctx.out.line(line)): Promise<number> {
  const file = credentialsFile(ctx, values);
  await mkdir(dirname(file), { recursive: true });
  return runKeysCommand(json ? [...words, '--json'] : words, {
    credentialsFile: file,
    out,
    err: (line) => void ctx.io.stderr.write(`rivulet: ${line.replace(/^keys: /, 'KeysError: ')}\n`),
  });
}

export const keysCommands: CommandSpec[] = [
  {
    name: 'keys create',
    usage: '[--name NAME] [--data-dir DIR | --credentials-file FILE]',
    summary: 'create an access key for SigV4 (on the server host); prints the secret once',
    options: { name: { type: 'string', value: 'NAME', help: 'a label for the key, e.g. the device' }, ...FILE_OPTIONS },
    positionals: { min: 0, max: 0 },
    details: DETAILS,
    run: (ctx, { values }) => runKeys(ctx, ['create', ...(str(values, 'name') !== undefined ? ['--name', str(values, 'name')!] : [])], values),
  },
  {
    name: 'keys list',
    usage: '[--data-dir DIR | --credentials-file FILE]',
    summary: 'list access keys (never their secrets)',
    options: FILE_OPTIONS,
    positionals: { min: 0, max: 0 },
    details: DETAILS,
    run: (ctx, { values }) => runKeys(ctx, ['list'], values),
  },
  {
    name: 'keys revoke',
    usage: 'ACCESS_KEY_ID [--data-dir DIR | --credentials-file FILE]',
    summary: 'revoke an access key; the server refuses it within 2 s',
    options: FILE_OPTIONS,
    positionals: { min: 1, max: 1 },
    details: DETAILS,
    async run(ctx, { values, positionals: [accessKeyId] }) {
      if (!ctx.out.json) return runKeys(ctx, ['revoke', accessKeyId!], values);
      // The server's revoke prints a sentence; --json gets a document instead.
      const lines: string[] = [];
      const code = await runKeys(ctx, ['revoke', accessKeyId!], values, false, (line) => lines.push(line));
      if (code === 0) ctx.out.document({ AccessKeyId: accessKeyId, Revoked: true, AlreadyRevoked: lines.some((l) => l.includes('already')) });
      return code;
    },
  },
];
