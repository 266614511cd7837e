import { ManualClock } from '@rivulet/shared';
import { RivuletError } from '@rivulet/shared';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeFailure, loadCommands, runCli } from './cli.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (c: string | Uint8Array) => (out.push(String(c)), true) },
      stderr: { write: (c: string | Uint8Array) => (err.push(String(c)), true) },
      stdin: Readable.from([]),
      env: {},
      clock: new ManualClock(0),
      signal: new AbortController().signal,
    },
  };
}

describe('runCli', () => {
  it('prints help with exit 0 and a usage error as one line with exit 2', async () => {
    const help = io();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toContain('streams create');
    const bad = io();
    expect(await runCli(['streams', 'create'], bad.io)).toBe(2);
    expect(bad.err).toEqual(['rivulet: UsageError: missing argument: rivulet streams create NAME [--shards N | --on-demand]\n']);
    expect(bad.out).toEqual([]);
  });

  it('has one spec per command name, each with a summary', async () => {
    const commands = await loadCommands();
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(31);
    for (const c of commands) expect(c.summary.length).toBeGreaterThan(0);
  });
});

describe('describeFailure', () => {
  it('names the AWS exception of an SDK error, on one line', () => {
    const sdk = Object.assign(new Error('Stream x under account 1 not found.'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    expect(describeFailure(sdk)).toEqual({ code: 1, line: 'rivulet: ResourceNotFoundException: Stream x under account 1 not found.' });
    const multi = Object.assign(new Error('Syntax error at line 2, column 3:\n  expected FROM'), { name: 'CodeValidationException', $metadata: { httpStatusCode: 400 } });
    expect(describeFailure(multi).line).toBe('rivulet: CodeValidationException: Syntax error at line 2, column 3: expected FROM');
  });

  it('reports connection failures and the CLI registry codes with their exit codes', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: {} });
    expect(describeFailure(refused, ['--endpoint', 'http://127.0.0.1:9'])).toEqual({ code: 1, line: 'rivulet: ConnectionError: connect ECONNREFUSED 127.0.0.1:9 (http://127.0.0.1:9)' });
    expect(describeFailure(new RivuletError('CLI_USAGE', { message: 'bad' }))).toEqual({ code: 2, line: 'rivulet: UsageError: bad' });
    expect(describeFailure(new RivuletError('CLI_WAIT_TIMEOUT', { what: 'stream s', state: 'ACTIVE', seconds: 5 }))).toEqual({ code: 1, line: 'rivulet: TimeoutError: stream s did not become ACTIVE within 5 s' });
    expect(describeFailure('weird')).toEqual({ code: 1, line: 'rivulet: Error: weird' });
  });
});
