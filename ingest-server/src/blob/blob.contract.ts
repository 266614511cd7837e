/**
 * The BlobStore contract: every implementation runs this suite in one line
 * (`runBlobStoreContract('FsBlobStore', factory)`), so each engine proves the invariants in
 * blob-store.ts: durable replacing puts, null for missing keys, idempotent deletes, sorted
 * prefix listing, and the key rules (no hostile key is ever accepted).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import type { BlobStore } from './blob-store.js';

export interface BlobStoreFactory {
  /** A fresh, empty store at a new location, and a way to open another store on the same data. */
  create(): Promise<{ store: BlobStore; reopen: () => Promise<BlobStore> }>;
}

/** Keys that must never be accepted: they would escape a root directory or are malformed. */
export const HOSTILE_KEYS: readonly string[] = [
  '',
  '..',
  '.',
  '../x',
  'a/../../x',
  'a/./b',
  '/etc/passwd',
  'a/',
  'a//b',
  '\\..\\x',
  'a\\b',
  'a/b\u0000',
  '%2e%2e/x',
  'caf\u00e9',
  'a b',
  '~tmp',
  '*',
  '>',
  'x'.repeat(513),
  `${'x'.repeat(256)}/y`,
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

export function runBlobStoreContract(name: string, factory: BlobStoreFactory): void {
  /** A fresh store, opened, with its reopen. */
  const opened = () => factory.create().then(async (made) => (await made.store.open(), made));

  describe(`${name} satisfies the BlobStore contract`, () => {

    it('reads back what was put, byte for byte, and null for a key never put', async () => {
      const { store } = await opened();
      const bytes = randomBytes(300_000);
      await store.put('7/00000000000000000001.mkv', bytes);
      await store.put('empty', new Uint8Array(0));
      expect(Buffer.compare((await store.get('7/00000000000000000001.mkv'))!, bytes)).toBe(0);
      expect((await store.get('empty'))?.length).toBe(0);
      expect(await store.get('7/00000000000000000002.mkv')).toBeNull();
      expect(await store.get('nothing/here')).toBeNull();
      await store.close();
    });

    it('replaces an object on a second put, and survives a reopen', async () => {
      const { store, reopen } = await opened();
      await store.put('a/b', Buffer.from('first version, longer than the second'));
      await store.put('a/b', Buffer.from('second'));
      expect((await store.get('a/b'))?.toString()).toBe('second');
      await store.close();
      const again = await reopen();
      await again.open();
      expect((await again.get('a/b'))?.toString()).toBe('second');
      expect(await again.list('')).toEqual(['a/b']);
      await again.close();
    });

    it('deletes an object, and deleting a missing key is fine', async () => {
      const { store } = await opened();
      await store.put('x/1', Buffer.from('one'));
      await store.put('x/2', Buffer.from('two'));
      await store.delete('x/1');
      await store.delete('x/1');
      await store.delete('never/was');
      expect(await store.get('x/1')).toBeNull();
      expect((await store.get('x/2'))?.toString()).toBe('two');
      expect(await store.list('x/')).toEqual(['x/2']);
      await store.put('x/1', Buffer.from('again'));
      expect((await store.get('x/1'))?.toString()).toBe('again');
      await store.close();
    });

    it('lists keys by prefix, sorted: all, under a directory, and by the start of a segment', async () => {
      const { store } = await opened();
      const keys = ['2/b.mkv', '10/a.mkv', '1/00000000000000000002.mkv', '1/00000000000000000010.mkv', '1/00000000000000000001.mkv', '1/sub/deep.bin', 'top'];
      await Promise.all(keys.map((k) => store.put(k, Buffer.from(k))));
      expect(await store.list('')).toEqual([...keys].sort());
      expect(await store.list('1/')).toEqual(['1/00000000000000000001.mkv', '1/00000000000000000002.mkv', '1/00000000000000000010.mkv', '1/sub/deep.bin']);
      expect(await store.list('1')).toEqual(['1/00000000000000000001.mkv', '1/00000000000000000002.mkv', '1/00000000000000000010.mkv', '1/sub/deep.bin', '10/a.mkv']);
      expect(await store.list('1/0000000000000000001')).toEqual(['1/00000000000000000010.mkv']);
      expect(await store.list('3/')).toEqual([]);
      expect(await store.list('1/sub/')).toEqual(['1/sub/deep.bin']);
      await store.close();
    });

    it('takes keys at the length limits: 512 characters, 255 per segment', async () => {
      const { store } = await opened();
      const longest = `${'a'.repeat(255)}/${'b'.repeat(254)}/c`;
      expect(longest.length).toBe(512);
      await store.put(longest, Buffer.from('long'));
      expect((await store.get(longest))?.toString()).toBe('long');
      expect(await store.list('a')).toEqual([longest]);
      await store.put('A-Z_a.z-0.9', Buffer.from('chars'));
      expect((await store.get('A-Z_a.z-0.9'))?.toString()).toBe('chars');
      await store.close();
    });

    it('refuses hostile and malformed keys on every call with BLOB_INVALID_KEY, storing nothing', async () => {
      const { store } = await opened();
      for (const key of HOSTILE_KEYS) {
        for (const call of [store.put(key, Buffer.from('evil')), store.get(key), store.delete(key)]) {
          const err = await rejection(call);
          expect(err, JSON.stringify(key)).toBeInstanceOf(RivuletError);
          expect((err as RivuletError).code).toBe('BLOB_INVALID_KEY');
        }
      }
      for (const prefix of ['../', '/', 'a//', 'a/../', '..\\', 'a b']) {
        expect(((await rejection(store.list(prefix))) as RivuletError).code, prefix).toBe('BLOB_INVALID_KEY');
      }
      expect(await store.list('')).toEqual([]);
      await store.close();
    });

    it('keeps concurrent puts of many keys apart', async () => {
      const { store } = await opened();
      const bodies = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997));
      await Promise.all(bodies.map((b, i) => store.put(`c/${String(i).padStart(3, '0')}`, b)));
      const read = await Promise.all(bodies.map((_, i) => store.get(`c/${String(i).padStart(3, '0')}`)));
      read.forEach((r, i) => expect(Buffer.compare(r!, bodies[i]!), `c/${i}`).toBe(0));
      expect((await store.list('c/')).length).toBe(40);
      await store.close();
    });
  });
}
