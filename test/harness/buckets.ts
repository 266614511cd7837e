/**
 * Reads Firehose's embedded object store in tests: a directory bucket is
 * <dataDir>/firehose/buckets/<bucket>, an object is a file under it. Dotfiles are the file
 * sink's temp files (an object being written), so they are left out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function bucketRoot(dataDir: string, bucket: string): string {
  return join(dataDir, 'firehose', 'buckets', bucket);
}

/** Object key -> bytes, in key order; a bucket that does not exist yet is empty. */
export function bucketObjects(root: string): Map<string, Buffer> {
  const found: [string, Buffer][] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      // The sink's temporary files (".rivulet-tmp-*") are renamed away while we look: skip them.
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else found.push([relative(root, p), readFileSync(p)]);
    }
  };
  walk(root);
  return new Map(found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Every non-empty line of every object, objects in key order. */
export function bucketLines(root: string): string[] {
  return [...bucketObjects(root).values()].flatMap((body) => body.toString('utf8').split('\n').filter(Boolean));
}
