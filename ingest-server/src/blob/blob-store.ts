/**
 * The BlobStore seam: named byte objects (video fragment bytes today) behind one interface, with
 * a file implementation (fs-blob-store.ts, the default) and a replicated one on the JetStream
 * object store (jetstream-blob-store.ts). Both run the same contract suite (blob.contract.ts).
 *
 * Owns the interface and the key rules, not any storage. Invariants every implementation keeps:
 * - `put` resolves only once the bytes are durable (fsynced, or acknowledged by a quorum), and
 *   replaces any earlier object under the key; a reader sees the old bytes or the new, never a mix.
 * - `get` of a missing key is null; `delete` of a missing key is fine.
 * - `list(prefix)` returns the keys that start with `prefix`, sorted by code unit.
 * - Keys are checked here (assertBlobKey) before any I/O: 1 to 512 characters, segments separated
 *   by `/`, each segment `[A-Za-z0-9_.-]+` of at most 255 characters (what file systems take)
 *   and never `.` or `..`, no leading, trailing or doubled `/`. So a key is always a relative
 *   path that stays under a root directory, and never holds a character that is special to a
 *   file system or a NATS subject.
 * - A key should not also be a "directory" of another key ('a' and 'a/b'): the file store cannot
 *   hold both and refuses the second put with BLOB_INVALID_KEY; the object store would accept it.
 */
import { RivuletError } from '@rivulet/shared';

export interface BlobStore {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Stores `bytes` under `key`, replacing what was there; durable once it resolves. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or null when there are none. */
  get(key: string): Promise<Buffer | null>;
  /** Removes `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` ('' for all), sorted. */
  list(prefix: string): Promise<string[]>;
}

export const MAX_BLOB_KEY_CHARS = 512;
const MAX_SEGMENT_CHARS = 255;
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
/** What may follow the last `/` of a list prefix: the start of a segment. */
const PARTIAL_SEGMENT = /^[A-Za-z0-9_.-]*$/;

function invalid(message: string): RivuletError {
  return new RivuletError('BLOB_INVALID_KEY', { message });
}

function checkSegments(segments: readonly string[], what: string): void {
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw invalid(`${what} has an empty segment or a character outside [A-Za-z0-9_.-]`);
    if (segment === '.' || segment === '..') throw invalid(`${what} has a "${segment}" segment`);
    if (segment.length > MAX_SEGMENT_CHARS) throw invalid(`${what} has a segment longer than ${MAX_SEGMENT_CHARS} characters`);
  }
}

/** Throws BLOB_INVALID_KEY unless `key` follows the key rules above. */
export function assertBlobKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw invalid('a key must be a string');
  if (key.length < 1 || key.length > MAX_BLOB_KEY_CHARS) throw invalid(`a key has 1 to ${MAX_BLOB_KEY_CHARS} characters, got ${key.length}`);
  checkSegments(key.split('/'), 'the key');
}

/**
 * Checks a list prefix and splits it into whole directory segments and the partial last one:
 * '' is every key; 'a/b/' is everything under a/b; 'a/b/00' is keys under a/b whose next
 * segment starts with 00.
 */
export function splitBlobPrefix(prefix: unknown): { segments: string[]; partial: string } {
  if (typeof prefix !== 'string') throw invalid('a prefix must be a string');
  if (prefix.length > MAX_BLOB_KEY_CHARS) throw invalid(`a prefix has at most ${MAX_BLOB_KEY_CHARS} characters`);
  const parts = prefix.split('/');
  const partial = parts.pop() ?? '';
  if (!PARTIAL_SEGMENT.test(partial)) throw invalid('the prefix has a character outside [A-Za-z0-9_.-]');
  checkSegments(parts, 'the prefix');
  return { segments: parts, partial };
}
