/**
 * The ffmpeg seam: a spawner that starts ffmpeg with arguments and hands back its pipes, plus the
 * two ways the archive uses a run (stream stdout to a client, or collect it whole). Owns process
 * plumbing only: which arguments to pass belongs to the callers (clip.ts, hls-service.ts,
 * images.ts). Never blocks the event loop; every run can be killed (client gone).
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { RivuletError } from '@rivulet/shared';

export interface FfmpegProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  kill(): void;
  /** Settles when the process has exited: the exit code, or null when killed by a signal. */
  exited: Promise<number | null>;
}

export type FfmpegSpawner = (args: readonly string[]) => FfmpegProcess;

/** Keeps ffmpeg's stderr for error messages without letting it grow without bound. */
const STDERR_KEEP_BYTES = 4096;

/** The real spawner: `ffmpegPath args...`, with pipes on all three descriptors. */
export function createFfmpegSpawner(ffmpegPath: string): FfmpegSpawner {
  return (args) => {
    // -nostdin only turns off ffmpeg's interactive keys; pipe:0 inputs still read stdin.
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostdin', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('close', (code) => resolve(code));
    });
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      exited,
    };
  };
}

/** Feeds `input` to stdin; a write error (ffmpeg exited early) is left to the exit code to report. */
function feed(proc: FfmpegProcess, input: Buffer | null): void {
  proc.stdin.on('error', () => undefined);
  if (input) proc.stdin.end(input);
  else proc.stdin.end();
}

function tail(proc: FfmpegProcess): () => string {
  let kept = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    kept = (kept + chunk.toString('utf8')).slice(-STDERR_KEEP_BYTES);
  });
  return () => kept.trim().split('\n').slice(-3).join(' | ');
}

/** Runs ffmpeg to completion and returns all of stdout; a non-zero exit is VIDEO_MEDIA_PROCESSING. */
export async function runFfmpegToBuffer(spawner: FfmpegSpawner, args: readonly string[], input: Buffer | null): Promise<Buffer> {
  const proc = spawner(args);
  const stderr = tail(proc);
  const chunks: Buffer[] = [];
  proc.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  feed(proc, input);
  const code = await proc.exited;
  if (code !== 0) throw new RivuletError('VIDEO_MEDIA_PROCESSING', { message: `ffmpeg exited with ${String(code)}: ${stderr()}` });
  return Buffer.concat(chunks);
}

/**
 * Starts ffmpeg and resolves once its first output bytes arrive, so a failure before any output
 * still becomes an AWS error instead of a truncated 200. The returned stream ends with ffmpeg;
 * `onDone` runs once the process has exited (cleanup of temp files).
 */
export function startFfmpegStream(
  spawner: FfmpegSpawner,
  args: readonly string[],
  input: Buffer | null,
  onDone?: () => void,
): Promise<{ stream: Readable; kill: () => void }> {
  const proc = spawner(args);
  const stderr = tail(proc);
  void proc.exited.then(() => onDone?.());
  feed(proc, input);
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      cleanup();
      resolve({ stream: proc.stdout, kill: () => proc.kill() });
    };
    const onExit = (code: number | null) => {
      if (settled) return;
      cleanup();
      // Exited with code 0 but no output: an empty (but valid) stream.
      if (code === 0) resolve({ stream: proc.stdout, kill: () => proc.kill() });
      else reject(new RivuletError('VIDEO_MEDIA_PROCESSING', { message: `ffmpeg exited with ${String(code)}: ${stderr()}` }));
    };
    let settled = false;
    const cleanup = () => {
      settled = true;
      proc.stdout.off('readable', onReadable);
    };
    proc.stdout.once('readable', onReadable);
    void proc.exited.then(onExit);
  });
}
