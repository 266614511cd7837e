/**
 * The shapes every command shares: its spec (usage, options, positionals, run) and the context
 * it runs in (global options, I/O, clients, clock, the Ctrl-C signal). Owns no behaviour; main.ts
 * builds the real context and tests build their own.
 */
import type { Clock } from '@rivulet/shared';
import type { Clients } from './clients.js';
import type { Output, OutStream } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help, e.g. N or FILE. */
  value?: string;
  help: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandArgs {
  values: OptionValues;
  positionals: string[];
}

export interface GlobalOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  json: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  clock: Clock;
  /** Aborted on Ctrl-C (SIGINT) and SIGTERM: streaming commands stop cleanly and exit 0. */
  signal: AbortSignal;
}

export interface CommandContext {
  globals: GlobalOptions;
  io: CliIo;
  clients: Clients;
  out: Output;
}

export interface CommandSpec {
  /** 'streams create', 'put', ... */
  name: string;
  /** What follows the name in the usage line, e.g. 'NAME [--shards N | --on-demand]'. */
  usage: string;
  summary: string;
  /** More lines of help after the options. */
  details?: string[];
  options?: Record<string, OptionSpec>;
  positionals: { min: number; max: number };
  /** Resolves to the exit code (0 when void). */
  run(ctx: CommandContext, args: CommandArgs): Promise<number | void>;
}

/** Typed getters over parseArgs values (parseArgs already enforced each option's type). */
export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
