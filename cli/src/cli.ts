/**
 * Runs one command line: parses it (args.ts), builds the clients, runs the command, and turns
 * any failure into exit code 1 (2 for usage) with exactly one line on stderr:
 * `rivulet: <ExceptionName>: <message>`. Owns that contract; main.ts owns the real process.
 */
import { isRivuletError } from '@rivulet/shared';
import { commandWord, parseCommandLine } from './args.js';
import { Clients } from './clients.js';
import type { CliIo, CommandSpec } from './command.js';
import { Output } from './output.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * Command modules by their first word, loaded on demand: each pulls in its AWS SDK client, and
 * loading only the one a command needs keeps start-up short.
 */
const LOADERS: Record<string, () => Promise<readonly CommandSpec[]>> = {
  streams: async () => (await import('./commands/streams.js')).streamsCommands,
  put: async () => (await import('./commands/records.js')).recordsCommands,
  get: async () => (await import('./commands/records.js')).recordsCommands,
  tail: async () => (await import('./commands/tail.js')).tailCommands,
  replay: async () => (await import('./commands/replay.js')).replayCommands,
  keys: async () => (await import('./commands/keys.js')).keysCommands,
  firehose: async () => (await import('./commands/firehose.js')).firehoseCommands,
  apps: async () => (await import('./commands/apps.js')).appsCommands,
  video: async () => (await import('./commands/video.js')).videoCommands,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommands,
};

/** Every command, in help order. */
export async function loadCommands(): Promise<CommandSpec[]> {
  const groups = ['streams', 'put', 'tail', 'replay', 'keys', 'firehose', 'apps', 'video', 'migrate'];
  return (await Promise.all(groups.map((g) => LOADERS[g]!()))).flat();
}

/**
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), io);
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let clients: Clients | undefined;
  try {
    const word = commandWord(argv);
    const loader = word === undefined ? undefined : LOADERS[word];
    const parsed = parseCommandLine(argv, loader ? await loader() : await loadCommands(), io.env);
    if (parsed.kind === 'help') {
      io.stdout.write(parsed.text);
      return EXIT.ok;
    }
    clients = new Clients(parsed.globals);
    const code = await parsed.spec.run({ globals: parsed.globals, io, clients, out: new Output(io.stdout, parsed.globals.json) }, parsed.args);
    return code ?? EXIT.ok;
  } catch (e) {
    // Ctrl-C cut a request short: the conventional exit code, and no error line.
    if (io.signal.aborted && (e as { name?: string } | null)?.name === 'AbortError') return EXIT.interrupted;
    const { code, line } = describeFailure(e, argv);
    io.stderr.write(`${line}\n`);
    return code;
  } finally {
    clients?.destroy();
  }
}

/** One line for any failure: the exception's name and message, never a stack. */
export function describeFailure(e: unknown, argv: readonly string[] = []): { code: number; line: string } {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
  if (isRivuletError(e)) return { code: e.code === 'CLI_USAGE' ? EXIT.usage : EXIT.failed, line: `rivulet: ${e.awsType}: ${oneLine(e.message)}` };
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const sysCode = err?.code ?? (e as { cause?: { code?: string } } | null)?.cause?.code;
  if (sysCode && /^E[A-Z]+$/.test(sysCode) && err?.$metadata?.httpStatusCode === undefined) {
    const endpoint = argv.find((a, i) => argv[i - 1] === '--endpoint') ?? '';
    return { code: EXIT.failed, line: `rivulet: ConnectionError: ${oneLine(`${err?.message || sysCode}${endpoint ? ` (${endpoint})` : ''}`)}` };
  }
  const name = err?.name && err.name !== 'Error' ? err.name : 'Error';
  const message = err?.message || (err?.$metadata?.httpStatusCode ? `HTTP ${err.$metadata.httpStatusCode}` : String(e));
  return { code: EXIT.failed, line: `rivulet: ${name}: ${oneLine(message)}` };
}
