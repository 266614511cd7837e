import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { HOSTILE_KEYS, runBlobStoreContract } from './blob.contract.js';
import { FsBlobStore } from './fs-blob-store.js';

function newRoot(): string {
  return join(mkdtempSync(join(tmpdir(), 'rivulet-blobs-')), 'root');
}

runBlobStoreContract('FsBlobStore', {
  async create() {
    const root = newRoot();
    return { store: new FsBlobStore(root), reopen: async () => new FsBlobStore(root) };
  },
});

describe('FsBlobStore on disk', () => {
  it('stores key a/b/c as the file <root>/a/b/c', async () => {
    const root = newRoot();
    const store = new FsBlobStore(root);
    await store.open();
    await store.put('12/00000000000000000001.mkv', Buffer.from('bytes'));
    expect(readdirSync(join(root, '12'))).toEqual(['00000000000000000001.mkv']);
    expect(store.pathOf('12/x')).toBe(join(root, '12', 'x'));
  });

  it('never writes outside its root for a hostile key', async () => {
    const root = newRoot();
    const parent = join(root, '..');
    const store = new FsBlobStore(root);
    await store.open();
    for (const key of HOSTILE_KEYS) await store.put(key, Buffer.from('evil')).catch(() => undefined);
    expect(readdirSync(parent)).toEqual(['root']);
    expect(readdirSync(root)).toEqual([]);
    expect(() => store.pathOf('../escape')).toThrow(RivuletError);
  });

  it('removes temp files left by a crash when listing, and ignores names no key can make', async () => {
    const root = newRoot();
    const store = new FsBlobStore(root);
    await store.open();
    await store.put('5/a', Buffer.from('a'));
    writeFileSync(join(root, '5', '~999-1.tmp'), 'half written');
    writeFileSync(join(root, '5', 'not a key'), 'copied in by hand');
    expect(await store.list('')).toEqual(['5/a']);
    expect(readdirSync(join(root, '5')).sort()).toEqual(['a', 'not a key']);
  });

  it('removes directories a delete leaves empty, and makes them again on the next put', async () => {
    const root = newRoot();
    const store = new FsBlobStore(root, { syncWrites: false });
    await store.open();
    await store.put('9/x/y', Buffer.from('y'));
    await store.delete('9/x/y');
    expect(readdirSync(root)).toEqual([]);
    await store.put('9/x/y', Buffer.from('again'));
    expect((await store.get('9/x/y'))?.toString()).toBe('again');
  });

  it('refuses a key that is also a directory of other keys', async () => {
    const root = newRoot();
    const store = new FsBlobStore(root);
    await store.open();
    await store.put('d/e', Buffer.from('e'));
    await expect(store.put('d', Buffer.from('d'))).rejects.toMatchObject({ code: 'BLOB_INVALID_KEY' });
    await expect(store.put('d/e/f', Buffer.from('f'))).rejects.toMatchObject({ code: 'BLOB_INVALID_KEY' });
    expect(await store.get('d/e/f')).toBeNull();
    expect(await store.list('')).toEqual(['d/e']);
  });

  it('reports an unreadable root as BLOB_STORAGE', async () => {
    const root = newRoot();
    mkdirSync(join(root, '..'), { recursive: true });
    writeFileSync(root, 'a file where the root should be');
    const store = new FsBlobStore(root);
    await expect(store.open()).rejects.toMatchObject({ code: expect.stringMatching(/^BLOB_/) });
    expect(existsSync(root)).toBe(true);
  });
});
