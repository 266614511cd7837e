/**
 * The HMAC key that signs HLS session tokens, kept in the data directory (0600) so session URLs
 * outlive a restart of the server. Owns only the key file; archive/session-token.ts signs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const KEY_BYTES = 32;

export async function loadSessionKey(path: string): Promise<Buffer> {
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing && existing.length === KEY_BYTES) return existing;
  const key = randomBytes(KEY_BYTES);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, key, { mode: 0o600 });
  return key;
}
