/**
 * The fragment store after kill -9: a real process appends in a loop and is killed mid-write;
 * on reopen every acknowledged fragment is readable, no index entry lacks its file, and no
 * unindexed file is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FragmentStore } from '../../ingest-server/src/video/store.js';
import { REPO_ROOT, tempDir } from '../harness/ingest.js';

const dir = tempDir('rivulet-video-crash-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the append loop until `count` acknowledgements, plus a few ms, then SIGKILLs it. */
async function appendThenKill(location: string, count: number): Promise<number> {
  const child = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'test/fixtures/video-append-loop.ts'), location], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      acked += (chunk.toString().match(/appended/g) ?? []).length;
      if (acked >= count) resolve();
    });
    void exited.then(() => resolve());
  });
  await new Promise((r) => setTimeout(r, 3));
  child.kill('SIGKILL');
  await exited;
  return acked;
}

describe('FragmentStore after kill -9', () => {
  it('keeps every acknowledged fragment and leaves no dangling entry or orphan file', async () => {
    const location = join(dir, 'video');
    let acked = 0;
    for (const count of [15, 30]) acked += await appendThenKill(location, count);
    const store = new FragmentStore({ location });
    await store.open();
    try {
      const doc = store.streamDoc('cam')!;
      const listed = await store.listByNumber('cam', null, 10_000);
      // Each run starts again at producer time 1_000_000: the second run's first fragments are duplicates.
      expect(listed.length).toBeGreaterThanOrEqual(30);
      expect(listed.length).toBeLessThanOrEqual(acked);
      const files = readdirSync(join(location, 'fragments', String(doc.id))).sort();
      expect(files).toEqual(listed.map((r) => `${r.fragmentNumber}.mkv`));
      for (const r of listed) expect((await store.read('cam', r.fragmentNumber)).byteLength).toBe(256 * 1024);
      const numbers = listed.map((r) => r.fragmentNumber);
      expect([...numbers].sort()).toEqual(numbers);
    } finally {
      await store.close();
    }
  });
});
