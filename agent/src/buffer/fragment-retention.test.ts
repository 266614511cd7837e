import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { FragmentRetention, type RetentionPolicy } from './fragment-retention.js';

function setup(policy: RetentionPolicy, maxBytes = 300, maxAgeMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-retention-'));
  const clock = new ManualClock(1_700_000_000_000);
  const retention = new FragmentRetention({ dir, maxBytes, maxAgeMs, policy }, { clock });
  const file = (name: string, bytes = 100) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.alloc(bytes));
    return path;
  };
  return { dir, clock, retention, file };
}

describe('FragmentRetention', () => {
  it('delete_oldest keeps the new fragment and deletes the oldest files to get back under maxBytes', async () => {
    const { retention, file } = setup('delete_oldest');
    const paths = ['a', 'b', 'c', 'd'].map((n) => file(n));
    for (const p of paths) expect(await retention.add(p, 100)).toBe(true);
    expect(existsSync(paths[0]!)).toBe(false);
    expect(paths.slice(1).every(existsSync)).toBe(true);
    expect(retention.stats()).toEqual({ files: 3, bytes: 300, deleted: 1, denied: 0 });
  });

  it('deny_new refuses (and deletes) a new fragment that does not fit, keeping what it has', async () => {
    const { retention, file } = setup('deny_new');
    const paths = ['a', 'b', 'c', 'd'].map((n) => file(n));
    const kept = [];
    for (const p of paths) kept.push(await retention.add(p, 100));
    expect(kept).toEqual([true, true, true, false]);
    expect(existsSync(paths[3]!)).toBe(false);
    expect(retention.stats()).toEqual({ files: 3, bytes: 300, deleted: 0, denied: 1 });
  });

  it('frees the room of fragments the uploader deleted, and expires files by age under either policy', async () => {
    const { retention, file, clock } = setup('deny_new');
    const a = file('a');
    const b = file('b');
    await retention.add(a, 100);
    await retention.add(b, 100);
    retention.forget(a);
    expect(retention.stats()).toMatchObject({ files: 1, bytes: 100 });
    clock.advance(61_000);
    const c = file('c');
    expect(await retention.add(c, 100)).toBe(true);
    expect(existsSync(b)).toBe(false);
    expect(retention.stats()).toEqual({ files: 1, bytes: 100, deleted: 1, denied: 0 });
  });

  it('takes stock of the files already there after a restart, oldest first', async () => {
    const { dir, file } = setup('delete_oldest', 250);
    file('old', 100);
    const again = new FragmentRetention({ dir, maxBytes: 250, maxAgeMs: 60_000 * 60 * 24 * 365 * 10, policy: 'delete_oldest' }, { clock: new ManualClock(Date.now()) });
    await again.load();
    expect(again.stats()).toMatchObject({ files: 1, bytes: 100 });
    await again.add(file('n1', 100), 100);
    await again.add(file('n2', 100), 100);
    expect(existsSync(join(dir, 'old'))).toBe(false);
    expect(again.stats()).toMatchObject({ files: 2, bytes: 200, deleted: 1 });
  });
});
