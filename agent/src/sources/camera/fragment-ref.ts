/**
 * FragmentRef: the record a camera source puts in the durable buffer for each finished fragment,
 * and the one thing the video (PutMedia) uploader reads back. The fragment's bytes stay in a
 * file under the fragments root (<buffer path>/video); LevelDB holds only this small reference.
 * Owns the shape, its encoding and the file layout both sides share; it does not own writing,
 * uploading or deleting fragments.
 *
 * Layout: <fragments root>/<source name>/<run>-<n>.mkv, and `file` is relative to the root, so
 * one uploader can serve every camera. A file is there before its record is durable (the source
 * renames it into place, then appends), and the uploader deletes it only after PERSISTED.
 */
import { join, normalize, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RivuletError } from '@rivulet/shared';

export const FragmentRef = Type.Object(
  {
    /** The MKV file, relative to the fragments root: `<source name>/<run>-<n>.mkv`. */
    file: Type.String({ minLength: 1 }),
    /**
     * When the fragment's first frame was captured, wall ms since the epoch: the run's wall
     * anchor plus monotonic time since, so an NTP step during a run does not bend its timeline.
     */
    producerTimestampMs: Type.Integer(),
    durationMs: Type.Integer({ minimum: 0 }),
    bytes: Type.Integer({ minimum: 1 }),
    /** Monotonic ms of the fragment's first frame (this boot only; for gap and age arithmetic). */
    monoMs: Type.Number(),
    /** The source's configured tags, sent as fragment metadata. */
    tags: Type.Record(Type.String(), Type.String()),
    /** Set on the first fragment after a break in the feed: how long nothing was recorded. */
    gapBeforeMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type FragmentRef = Static<typeof FragmentRef>;

/** The fragments root for a buffer: fragment files live beside the LevelDB index, not in it. */
export function fragmentsRootFor(bufferPath: string): string {
  return join(bufferPath, 'video');
}

/** The absolute path of a fragment file; refuses a `file` that would leave the root. */
export function fragmentPath(root: string, ref: Pick<FragmentRef, 'file'>): string {
  const relative = normalize(ref.file);
  if (relative.startsWith('..') || relative.startsWith(sep)) {
    throw new RivuletError('AGENT_INVALID_RECORD', { message: `fragment file "${ref.file}" is outside the fragments root` });
  }
  return join(root, relative);
}

export function encodeFragmentRef(ref: FragmentRef): Buffer {
  return Buffer.from(JSON.stringify(ref));
}

/** Parses and checks a buffered record's data; throws AGENT_INVALID_RECORD when it is not a FragmentRef. */
export function decodeFragmentRef(data: Buffer): FragmentRef {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new RivuletError('AGENT_INVALID_RECORD', { message: 'fragment reference is not JSON' }, { cause: err });
  }
  if (!Value.Check(FragmentRef, value)) {
    const first = Value.Errors(FragmentRef, value).First();
    throw new RivuletError('AGENT_INVALID_RECORD', { message: `fragment reference ${first ? `${first.path}: ${first.message}` : 'is invalid'}` });
  }
  return value;
}
