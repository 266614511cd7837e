/**
 * Test harness: owns one throwaway RTSP test camera per call (test/fixtures/rtsp-camera.py, a
 * GStreamer RTSP server serving live H.264 on 127.0.0.1). It starts the server on a free port,
 * waits until a real RTSP client (ffprobe) gets an H.264 stream from it, and can then make it
 * misbehave the way cameras do: vanish (kill), freeze (SIGSTOP: the socket stays open, nothing
 * flows) and come back on the same port and path (restart). It does not install GStreamer or
 * ffmpeg (scripts/install-system-deps.sh does).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findExecutable, freePort } from './mosquitto.js';

const execFileAsync = promisify(execFile);

export interface CameraOptions {
  /** Mount path, default /cam. */
  path?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  /** Frames between keyframes (x264 key-int-max); default one second's worth. */
  keyIntFrames?: number;
}

export interface CameraProcess {
  /** rtsp://127.0.0.1:<port><path> */
  url: string;
  port: number;
  /** Everything the camera printed, for post-mortems. */
  output(): string;
  /** SIGTERM and wait for the exit. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL and wait: the camera vanishes mid-stream (its sockets are reset). */
  kill(): Promise<void>;
  /** SIGSTOP: the camera hangs with its connections open and sends nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  resume(): void;
  /** Starts the camera again on the same port and path (after stop() or kill()). */
  restart(): Promise<void>;
  /** The camera process id, while it runs. */
  pid(): number | undefined;
}

export interface StreamProbe {
  codec: string;
  width: number;
  height: number;
}

/** The system interpreter: a pyenv or venv python3 on PATH has no gi. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/rtsp-camera.py');
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export function ffprobePath(): string {
  const path = findExecutable('ffprobe');
  if (!path) throw new Error('ffprobe not found on PATH; run scripts/install-system-deps.sh');
  return path;
}

/** Asks a real RTSP client for the stream's first video track (fails if none within timeoutMs). */
export async function probeStream(url: string, timeoutMs = 5000): Promise<StreamProbe> {
  const { stdout } = await execFileAsync(
    ffprobePath(),
    ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000), '-analyzeduration', '0', '-probesize', '65536',
      '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url],
    { timeout: timeoutMs + 2000 },
  );
  const stream = (JSON.parse(stdout) as { streams?: Array<{ codec_name: string; width: number; height: number }> }).streams?.[0];
  if (!stream) throw new Error(`no video stream at ${url}`);
  return { codec: stream.codec_name, width: stream.width, height: stream.height };
}

export async function startCamera(opts: CameraOptions = {}): Promise<CameraProcess> {
  const port = await freePort();
  const path = opts.path ?? '/cam';
  const fps = opts.fps ?? 15;
  const args = [
    SCRIPT, '--port', String(port), '--path', path,
    '--width', String(opts.width ?? 320), '--height', String(opts.height ?? 240), '--fps', String(fps),
    '--bitrate-kbps', String(opts.bitrateKbps ?? 300), '--key-int', String(opts.keyIntFrames ?? fps),
  ];
  const url = `rtsp://127.0.0.1:${port}${path}`;
  let out = '';
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const end = async (signal: NodeJS.Signals) => {
    if (!child || !running()) return;
    child.kill('SIGCONT'); // a frozen camera cannot act on SIGTERM
    child.kill(signal);
    const c = child;
    const timer = setTimeout(() => c.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const launch = async () => {
    const c = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    exited = new Promise((resolve) => c.once('close', () => resolve()));
    let spawnError: Error | undefined;
    c.once('error', (err) => (spawnError = err));
    const ready = new Promise<void>((resolve) => {
      c.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(`rtsp-camera ready ${url}`)) resolve();
      });
    });
    c.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const gone = exited.then(() => 'gone' as const);
    if ((await Promise.race([ready.then(() => 'ready' as const), gone])) === 'gone') {
      throw new Error(`rtsp-camera exited before it was ready on port ${port}:\n${out}`, { cause: spawnError });
    }
    // Listening is not serving: wait until a real client gets H.264 from it.
    for (;;) {
      try {
        const probe = await probeStream(url, 3000);
        if (probe.codec === 'h264') return;
      } catch (err) {
        if (!running()) throw new Error(`rtsp-camera exited while starting:\n${out}`, { cause: err });
        if (Date.now() > deadline) {
          await end('SIGKILL');
          throw new Error(`rtsp-camera did not serve H.264 at ${url} within ${READY_TIMEOUT_MS} ms:\n${out}`, { cause: err });
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  await launch();
  return {
    url,
    port,
    output: () => out,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    freeze: () => void (running() && child!.kill('SIGSTOP')),
    resume: () => void (running() && child!.kill('SIGCONT')),
    async restart() {
      await end('SIGTERM');
      await launch();
    },
    pid: () => (running() ? child!.pid : undefined),
  };
}
