import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { parseServers } from './migrate.js';

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: { write: (c: string | Uint8Array) => (out.push(String(c)), true) },
    stderr: { write: (c: string | Uint8Array) => (err.push(String(c)), true) },
    stdin: Readable.from([]),
    env,
    clock: new ManualClock(0),
    signal: new AbortController().signal,
  });
  return { code, out: out.join(''), err: err.join('') };
}

describe('rivulet migrate', () => {
  it('takes comma-separated NATS URLs and refuses anything else', () => {
    expect(parseServers('nats://127.0.0.1:4222, nats://10.0.0.2:4222,')).toEqual(['nats://127.0.0.1:4222', 'nats://10.0.0.2:4222']);
    expect(parseServers('db1:4222')).toEqual(['db1:4222']);
    expect(() => parseServers('http://x:1')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
    expect(() => parseServers(' , ')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
  });

  it('answers a missing or unknown target and missing servers with a usage error', async () => {
    expect(await run(['migrate'])).toEqual({ code: 2, out: '', err: 'rivulet: UsageError: migrate needs --to jetstream\n' });
    expect((await run(['migrate', '--to', 'redis'])).err).toBe('rivulet: UsageError: --to redis: the only target is jetstream\n');
    expect((await run(['migrate', '--to', 'jetstream'])).err).toBe('rivulet: UsageError: migrate --to jetstream needs --servers nats://host:port[,...]\n');
    expect((await run(['migrate', '--to', 'jetstream', '--servers', 'x:1', '--replicas', '0'])).err).toBe('rivulet: UsageError: --replicas 0 is not a whole number ≥ 1\n');
  });

  it('names the data dir that holds no Data Streams store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-migrate-cli-'));
    const result = await run(['migrate', '--to', 'jetstream'], { RIVULET_DATA_DIR: dir, RIVULET_NATS_SERVERS: 'nats://127.0.0.1:1' });
    expect(result).toEqual({ code: 1, out: '', err: `rivulet: InvalidInputError: no Data Streams store in ${dir} (expected ${join(dir, 'streams')})\n` });
  });
});
