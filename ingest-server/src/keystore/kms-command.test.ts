import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { LocalKeyStore } from './key-store.js';
import { runKmsCommand } from './kms-command.js';

function harness() {
  const dir = join(mkdtempSync(join(tmpdir(), 'rivulet-kms-')), 'keys');
  const out: string[] = [];
  const err: string[] = [];
  const run = (...argv: string[]) =>
    runKmsCommand(argv, { open: () => LocalKeyStore.open({ dir, clock: new ManualClock() }), out: (l) => out.push(l), err: (l) => err.push(l) });
  return { dir, out, err, run };
}

describe('rivulet-ingest kms', () => {
  it('creates, rotates, disables and lists keys, and the store on disk keeps the changes', async () => {
    const h = harness();
    expect(await h.run('create', '--alias', 'alias/cameras', '--json')).toBe(0);
    const created = JSON.parse(h.out.pop()!) as { keyId: string; currentVersion: number };
    expect(created.currentVersion).toBe(1);
    expect(await h.run('rotate', 'alias/cameras', '--json')).toBe(0);
    expect((JSON.parse(h.out.pop()!) as { currentVersion: number }).currentVersion).toBe(2);
    expect(await h.run('disable', created.keyId)).toBe(0);
    expect(await h.run('list', '--json')).toBe(0);
    const listed = JSON.parse(h.out.pop()!) as { keyId: string; enabled: boolean; currentVersion: number }[];
    expect(listed).toEqual([expect.objectContaining({ keyId: created.keyId, enabled: false, currentVersion: 2 })]);
    const reopened = await LocalKeyStore.open({ dir: h.dir, clock: new ManualClock() });
    expect(reopened.listKeys()[0]).toMatchObject({ currentVersion: 2, enabled: false });
  });

  it('fails with a one-line reason and a non-zero exit for unknown keys and bad usage', async () => {
    const h = harness();
    expect(await h.run('rotate', 'alias/missing')).toBe(1);
    expect(h.err.pop()).toMatch(/^kms rotate: .*alias\/missing/);
    expect(await h.run('explode')).toBe(2);
    expect(await h.run('rotate')).toBe(2);
  });
});
