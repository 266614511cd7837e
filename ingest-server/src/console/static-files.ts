/**
 * The console's static bundle (ingest-server/console-dist, written by console/build.mjs), held
 * in memory (a few hundred KiB) and reloaded when a rebuild replaces index.html. Owns the file table, content types and cache headers. Path traversal is impossible
 * by construction: a request path is only ever a key looked up in the table built from a walk
 * of the bundle directory; it never reaches the file system. Does not own routing (routes.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** build.mjs names bundle files <name>-<HASH>.<ext> under assets/: their content never changes. */
const HASHED = /^assets\/[^/]+-[A-Z0-9]{8,}\.[a-z]+(\.map)?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export const INDEX_FILE = 'index.html';

export class StaticBundle {
  private files: Map<string, StaticAsset> | null = null;
  private loadedMtimeMs = -1;

  constructor(readonly dir: string) {}

  /**
   * The bundle, loaded on first use and again whenever index.html changes (a rebuild while the
   * server runs); null while it is missing.
   */
  async table(): Promise<Map<string, StaticAsset> | null> {
    const mtimeMs = await stat(join(this.dir, INDEX_FILE)).then(
      (st) => st.mtimeMs,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
        throw err;
      },
    );
    if (mtimeMs === null) return (this.files = null);
    if (this.files && mtimeMs === this.loadedMtimeMs) return this.files;
    const files = new Map<string, StaticAsset>();
    let names: string[];
    try {
      names = await walk(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    for (const file of names) {
      const key = relative(this.dir, file).split(sep).join('/');
      files.set(key, {
        body: await readFile(file),
        contentType: TYPES[extname(key)] ?? 'application/octet-stream',
        cacheControl: HASHED.test(key) ? IMMUTABLE : REVALIDATE,
      });
    }
    if (!files.has(INDEX_FILE)) return null;
    this.files = files;
    this.loadedMtimeMs = mtimeMs;
    return files;
  }

  /**
   * The asset for a path below /console/ (no leading slash, no query). A path that names no file
   * and has no extension is a client-side route: it gets index.html. Anything else is null (404).
   */
  async lookup(path: string): Promise<StaticAsset | null> {
    const files = await this.table();
    if (!files) return null;
    const key = path === '' ? INDEX_FILE : path;
    const hit = files.get(key);
    if (hit) return hit;
    const last = key.slice(key.lastIndexOf('/') + 1);
    return last.includes('.') ? null : (files.get(INDEX_FILE) ?? null);
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
