/**
 * The installer's live view: a JPEG of what a camera saw a fragment ago (the first keyframe of
 * its newest finished fragment, kept by a preview link after upload). Nothing runs
 * while nobody looks: no stream is kept open and nothing is re-encoded in the background; each
 * request decodes one keyframe. Served only on the status page's own address (loopback by
 * default). Owns the choice of file and the one-frame decode; not the HTTP route.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessSpawner } from '../sources/camera/process-spawner.js';
import { PREVIEW_NAME } from '../uploaders/video/video-pipeline.js';

const DECODE_TIMEOUT_MS = 10_000;

export interface CameraSnapshotDeps {
  spawn: ProcessSpawner;
  ffmpegPath: string;
  /** The camera's fragment directory, by camera (source) name. */
  dirOf: (camera: string) => string | null;
}

/** The camera's newest finished fragment: its preview link, else the newest file left, or null. */
async function newestFragment(dir: string): Promise<string | null> {
  const preview = join(dir, PREVIEW_NAME);
  if ((await stat(preview).catch(() => null))?.isFile()) return preview;
  const names = await readdir(dir).catch(() => [] as string[]);
  let best: { path: string; mtimeMs: number } | null = null;
  for (const name of names) {
    if (!name.endsWith('.mkv')) continue;
    const path = join(dir, name);
    const s = await stat(path).catch(() => null);
    if (s && s.size > 0 && (!best || s.mtimeMs > best.mtimeMs)) best = { path, mtimeMs: s.mtimeMs };
  }
  return best?.path ?? null;
}

/** A JPEG of the camera's latest keyframe, or null when it has no fragment on disk. */
export async function cameraSnapshot(camera: string, deps: CameraSnapshotDeps): Promise<Buffer | null> {
  const dir = deps.dirOf(camera);
  if (!dir) return null;
  const file = await newestFragment(dir);
  if (!file) return null;
  const args = ['-v', 'error', '-f', 'matroska', '-i', file, '-frames:v', '1', '-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
  return new Promise((resolve) => {
    const child = deps.spawn(deps.ffmpegPath, args);
    const parts: Buffer[] = [];
    // A decode that hangs (a file ffmpeg cannot read to a keyframe) must not hold the request.
    const timer = setTimeout(() => child.kill('SIGKILL'), DECODE_TIMEOUT_MS);
    child.onStdout((chunk) => parts.push(chunk));
    child.onStderr(() => undefined);
    child.onExit((exit) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(parts);
      resolve(exit.code === 0 && jpeg.length > 0 ? jpeg : null);
    });
  });
}
