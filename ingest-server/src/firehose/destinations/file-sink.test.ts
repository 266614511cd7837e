import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RivuletError } from '@rivulet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileObjectSink } from './file-sink.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'rivulet-file-sink-'));
  root = join(base, 'bucket');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Every file under dir, as paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('FileObjectSink', () => {
  it('writes the body under the key, creating subdirectories, and leaves no temporary file', async () => {
    const sink = new FileObjectSink(root);
    await sink.put('2026/01/15/12/stream-1-2026-01-15-12-00-00-abc', Buffer.from('hello\nworld\n'), {
      contentType: 'application/octet-stream',
    });
    expect(await readFile(join(root, '2026/01/15/12/stream-1-2026-01-15-12-00-00-abc'), 'utf8')).toBe('hello\nworld\n');
    expect(await listFiles(base)).toEqual(['bucket/2026/01/15/12/stream-1-2026-01-15-12-00-00-abc']);
    expect(sink.description).toBe(`file://${root}`);
  });

  it('overwrites an object written twice under the same key', async () => {
    const sink = new FileObjectSink(root);
    await sink.put('a/b.json', Buffer.from('first, and longer'));
    await sink.put('a/b.json', Buffer.from('second'));
    expect(await readFile(join(root, 'a/b.json'), 'utf8')).toBe('second');
    expect(await listFiles(root)).toEqual(['a/b.json']);
  });

  it('writes an empty body as an empty file', async () => {
    const sink = new FileObjectSink(root);
    await sink.put('empty', Buffer.alloc(0));
    expect((await readFile(join(root, 'empty'))).length).toBe(0);
  });

  const escapes = [
    '../outside/escaped',
    'a/../../outside/escaped',
    '..',
    '/etc/escaped',
    `${'/'}${'tmp'}/escaped`,
    'a\\..\\..\\outside\\escaped',
    '..\\outside\\escaped',
    'a/./b',
    'a//b',
    'a/b/',
    '',
    'a\0b',
    'x'.repeat(256),
    'ok/.rivulet-tmp-123',
  ];
  for (const key of escapes) {
    it(`refuses the key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 10)}...` : key)} with FIREHOSE_INVALID_ARGUMENT and writes nothing`, async () => {
      const sink = new FileObjectSink(root);
      const err = await sink.put(key, Buffer.from('nope')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RivuletError);
      expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
      expect(await listFiles(base)).toEqual([]);
    });
  }

  it('refuses to follow a symlinked subdirectory that points outside the root', async () => {
    await symlink(outside, join(root, 'link'));
    const sink = new FileObjectSink(root);
    for (const key of ['link/escaped', 'link/deeper/dirs/escaped']) {
      const err = await sink.put(key, Buffer.from('nope')).catch((e: unknown) => e);
      expect((err as RivuletError).code).toBe('FIREHOSE_INVALID_ARGUMENT');
    }
    expect(await readdir(outside)).toEqual([]);
  });

  it('reads an object back, and refuses keys and symlinks that lead outside the root', async () => {
    const sink = new FileObjectSink(root);
    await sink.put('reference/companies.csv', Buffer.from('AMZN,Amazon\n'));
    expect((await sink.get('reference/companies.csv')).toString()).toBe('AMZN,Amazon\n');
    await writeFile(join(outside, 'secret'), 'do not read');
    await symlink(join(outside, 'secret'), join(root, 'file-link'));
    await symlink(outside, join(root, 'dir-link'));
    for (const key of ['../outside/secret', 'file-link', 'dir-link/secret', '/etc/passwd']) {
      const err = await sink.get(key).catch((e: unknown) => e);
      expect((err as RivuletError).code, key).toBe('FIREHOSE_INVALID_ARGUMENT');
      expect(String((err as Error).message)).not.toContain('do not read');
    }
    expect(((await sink.get('absent').catch((e: unknown) => e)) as RivuletError).code).toBe('FIREHOSE_DELIVERY');
  });

  it('accepts a root that is itself reached through a symlink', async () => {
    await symlink(root, join(base, 'root-link'));
    const sink = new FileObjectSink(join(base, 'root-link'));
    await sink.put('x/y', Buffer.from('ok'));
    expect(await readFile(join(root, 'x/y'), 'utf8')).toBe('ok');
  });

  it('reports an I/O failure as FIREHOSE_DELIVERY with the cause kept', async () => {
    await writeFile(join(root, 'file'), 'a plain file');
    const sink = new FileObjectSink(root);
    const err = await sink.put('file/child', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RivuletError);
    expect((err as RivuletError).code).toBe('FIREHOSE_DELIVERY');
    expect((err as RivuletError).cause).toBeDefined();
    expect(await listFiles(root)).toEqual(['file']);
  });

  it('keeps unicode keys as they are', async () => {
    const sink = new FileObjectSink(root);
    await sink.put('région/données ü.txt', Buffer.from('ok'));
    expect(await readFile(join(root, 'région/données ü.txt'), 'utf8')).toBe('ok');
  });
});
