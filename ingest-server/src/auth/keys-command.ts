/**
 * The `keys` command: create, list and revoke the access keys in the credentials file. Owns
 * argument parsing and what the operator sees. Does not own the file (auth/credentials.ts) or
 * process concerns: main.ts passes argv and the output sink, and exits with the returned code.
 */
import { CredentialsFileError, CredentialsStore, type CredentialKeySummary, type CredentialsStoreDeps } from './credentials.js';

export interface KeysCommandOptions {
  credentialsFile: string;
  out: (line: string) => void;
  /** Where error lines go; defaults to `out`. */
  err?: (line: string) => void;
  /** Clock and randomness for new keys; real ones by default. */
  deps?: Partial<CredentialsStoreDeps>;
}

export const KEYS_USAGE = 'usage: keys create [--name NAME] [--json] | keys list [--json] | keys revoke ACCESS_KEY_ID';

/** Exit codes: 0 done, 1 the command failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const DEFAULT_KEY_NAME = 'unnamed';
const MAX_NAME_LENGTH = 128;

type ParsedArgs =
  | { command: 'create'; name: string; json: boolean }
  | { command: 'list'; json: boolean }
  | { command: 'revoke'; accessKeyId: string };

class UsageError extends Error {}

/**
 * Runs `keys ...`. argv holds the words after the program name; a leading 'keys' is skipped.
 * @example
 * process.exitCode = await runKeysCommand(['create', '--name', 'cam-1'], { credentialsFile, out: console.log });
 */
export async function runKeysCommand(argv: string[], opts: KeysCommandOptions): Promise<number> {
  const err = opts.err ?? opts.out;
  let args: ParsedArgs;
  try {
    args = parseArgs(argv[0] === 'keys' ? argv.slice(1) : argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`keys: ${e.message}; ${KEYS_USAGE}`);
    return EXIT.usage;
  }
  try {
    const store = await CredentialsStore.open(opts.credentialsFile, opts.deps);
    switch (args.command) {
      case 'create':
        return await create(store, args.name, args.json, opts.out);
      case 'list':
        list(store.listKeys(), args.json, opts);
        return EXIT.ok;
      case 'revoke':
        return await revoke(store, args.accessKeyId, opts.out, err);
    }
  } catch (e) {
    if (!(e instanceof CredentialsFileError)) throw e;
    err(`keys: ${e.message}`);
    return EXIT.failed;
  }
}

async function create(store: CredentialsStore, name: string, json: boolean, out: (line: string) => void): Promise<number> {
  const key = await store.createKey(name);
  if (json) {
    const { accessKeyId, secretAccessKey, createdAt } = key;
    out(JSON.stringify({ accessKeyId, secretAccessKey, name: key.name, createdAt }));
  } else {
    out(`Created access key "${key.name}".`);
    out(`AccessKeyId:     ${key.accessKeyId}`);
    out(`SecretAccessKey: ${key.secretAccessKey}`);
    out('Store the secret now; it is not shown again.');
  }
  return EXIT.ok;
}

/** Lists keys; the summaries carry no secrets, so none can be printed. */
function list(keys: CredentialKeySummary[], json: boolean, opts: KeysCommandOptions): void {
  if (json) return opts.out(JSON.stringify({ keys }));
  if (keys.length === 0) return opts.out(`No access keys in ${opts.credentialsFile}.`);
  const rows = [['ACCESS KEY ID', 'STATUS', 'CREATED', 'NAME'], ...keys.map((k) => [k.accessKeyId, k.revoked ? 'revoked' : 'active', k.createdAt, k.name])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  for (const row of rows) opts.out(row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  '));
}

async function revoke(store: CredentialsStore, accessKeyId: string, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const result = await store.revokeKey(accessKeyId);
  if (result === 'not-found') {
    err(`keys: no access key ${accessKeyId} in ${store.path}`);
    return EXIT.failed;
  }
  out(result === 'revoked' ? `Revoked ${accessKeyId}.` : `${accessKeyId} was already revoked.`);
  return EXIT.ok;
}

function parseArgs(args: readonly string[]): ParsedArgs {
  const [command, ...rest] = args;
  let json = false;
  let name: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--name' || arg.startsWith('--name=')) {
      name = arg === '--name' ? rest[++i] : arg.slice('--name='.length);
      if (name === undefined) throw new UsageError('--name needs a value');
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const allow = (flags: { json?: boolean; name?: boolean; positional: number }) => {
    if (json && !flags.json) throw new UsageError(`${command} does not take --json`);
    if (name !== undefined && !flags.name) throw new UsageError(`${command} does not take --name`);
    if (positional.length > flags.positional) throw new UsageError(`unexpected argument ${positional[flags.positional]}`);
  };
  switch (command) {
    case 'create': {
      allow({ json: true, name: true, positional: 0 });
      const keyName = name ?? DEFAULT_KEY_NAME;
      if (keyName.trim() === '' || keyName.length > MAX_NAME_LENGTH || /[\p{Cc}]/u.test(keyName)) {
        throw new UsageError(`--name must be 1 to ${MAX_NAME_LENGTH} printable characters`);
      }
      return { command, name: keyName, json };
    }
    case 'list':
      allow({ json: true, positional: 0 });
      return { command, json };
    case 'revoke': {
      allow({ positional: 1 });
      const accessKeyId = positional[0];
      if (accessKeyId === undefined) throw new UsageError('revoke needs an ACCESS_KEY_ID');
      return { command, accessKeyId };
    }
    case undefined:
      throw new UsageError('missing subcommand');
    default:
      throw new UsageError(`unknown subcommand ${command}`);
  }
}
