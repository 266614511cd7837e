import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FragmentFiles } from './fragment-files.js';

const dirs: string[] = [];
async function root(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivulet-fragments-'));
  dirs.push(dir);
  return join(dir, 'video');
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('fragment files', () => {
  it('deletes never-announced .part files on start and keeps announced fragments', async () => {
    const files = new FragmentFiles(await root(), 'front-door');
    expect(await files.prepare()).toEqual([]);
    await writeFile(join(files.dir, '100-0-000000.mkv'), 'done');
    await writeFile(join(files.dir, '100-0-000001.mkv.part'), 'cut short');
    await writeFile(join(files.dir, 'notes.txt'), 'not ours');
    expect(await files.prepare()).toEqual(['100-0-000001.mkv.part']);
    expect((await readdir(files.dir)).sort()).toEqual(['100-0-000000.mkv', 'notes.txt']);
  });

  it('never reuses a run prefix that fragments on disk still carry', async () => {
    const files = new FragmentFiles(await root(), 'cam');
    await files.prepare();
    await writeFile(join(files.dir, '100-0-000000.mkv'), 'x');
    await writeFile(join(files.dir, '100-1-000000.mkv'), 'x');
    await files.prepare();
    expect(files.newRunPrefix(100, 0)).toBe('100-2');
    expect(files.newRunPrefix(100, 0)).toBe('100-3');
    expect(files.newRunPrefix(200, 0)).toBe('200-0');
    expect(files.outputPattern('200-0')).toBe(join(files.dir, '200-0-%06d.mkv.part'));
  });

  it('recognises only this run segment names', async () => {
    const files = new FragmentFiles(await root(), 'cam');
    expect(files.isRunSegment('200-0', '200-0-000003.mkv.part')).toBe(true);
    expect(files.isRunSegment('200-0', '200-1-000003.mkv.part')).toBe(false);
    expect(files.isRunSegment('200-0', '../200-0-000003.mkv.part')).toBe(false);
    expect(files.isRunSegment('200-0', '200-0-000003.mkv')).toBe(false);
  });

  it('renames an announced segment into place, with its size and root-relative name', async () => {
    const files = new FragmentFiles(await root(), 'cam');
    await files.prepare();
    await writeFile(join(files.dir, '1-0-000000.mkv.part'), Buffer.alloc(1234));
    await writeFile(join(files.dir, '1-0-000001.mkv.part'), '');
    expect(await files.finish('1-0-000000.mkv.part')).toEqual({ file: 'cam/1-0-000000.mkv', path: join(files.dir, '1-0-000000.mkv'), bytes: 1234 });
    expect(await files.finish('1-0-000001.mkv.part')).toBeNull();
    expect(await readdir(files.dir)).toEqual(['1-0-000000.mkv']);
  });
});
