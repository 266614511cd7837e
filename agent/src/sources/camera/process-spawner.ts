/**
 * The process seam for the camera source: what the ffmpeg supervisor needs from a child process
 * (its stdout and stderr as chunks, one exit report, signals), and the adapter onto Node's
 * child_process. The supervisor only sees this interface, so its tests drive a fake process;
 * main.ts / app.ts hand in nodeSpawner. Owns no policy: no restarts, no timeouts.
 */
import { spawn } from 'node:child_process';

export interface ProcessExit {
  /** Exit code, or null when a signal ended it or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (ENOENT, EACCES). */
  error?: Error;
}

export interface SpawnedProcess {
  readonly pid: number | undefined;
  onStdout(fn: (chunk: Buffer) => void): void;
  onStderr(fn: (chunk: Buffer) => void): void;
  /** Called once, after all stdout and stderr has been delivered. */
  onExit(fn: (exit: ProcessExit) => void): void;
  /** Sends a signal; false when the process is already gone. */
  kill(signal: NodeJS.Signals): boolean;
}

export type ProcessSpawner = (command: string, args: readonly string[]) => SpawnedProcess;

/** Spawns with stdin closed and stdout/stderr piped; reports a failed start as an exit. */
export const nodeSpawner: ProcessSpawner = (command, args) => {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exitHandlers: Array<(exit: ProcessExit) => void> = [];
  let exit: ProcessExit | null = null;
  let startError: Error | undefined;
  const finish = (result: ProcessExit) => {
    if (exit) return;
    exit = result;
    for (const fn of exitHandlers) fn(result);
  };
  child.once('error', (err) => {
    startError = err;
    // A process that never started emits no 'close' in every Node version; report it here.
    if (child.pid === undefined) finish({ code: null, signal: null, error: err });
  });
  // 'close', not 'exit': the pipes are drained, so the last segment-list line is already read.
  child.once('close', (code, signal) => finish({ code, signal, ...(startError ? { error: startError } : {}) }));
  return {
    get pid() {
      return child.pid;
    },
    onStdout: (fn) => void child.stdout!.on('data', fn),
    onStderr: (fn) => void child.stderr!.on('data', fn),
    onExit(fn) {
      if (exit) fn(exit);
      else exitHandlers.push(fn);
    },
    kill: (signal) => (exit || child.exitCode !== null || child.signalCode !== null ? false : child.kill(signal)),
  };
};

/** Runs a short command to completion and returns its stdout (for `ffmpeg -version`). */
export function runForOutput(spawner: ProcessSpawner, command: string, args: readonly string[]): Promise<{ stdout: string; exit: ProcessExit }> {
  return new Promise((resolve) => {
    const child = spawner(command, args);
    let stdout = '';
    child.onStdout((chunk) => (stdout += chunk.toString('utf8')));
    child.onStderr(() => {});
    child.onExit((exit) => resolve({ stdout, exit }));
  });
}

/**
 * Runs every command under `setpriv --pdeathsig SIGKILL` (util-linux): the kernel kills the
 * child when the agent dies, kill -9 included. Without it an orphaned ffmpeg records on, since
 * it ignores SIGPIPE and so outlives the closed segment-list pipe, filling the disk with files
 * no one will announce. setpriv execs the command, so the pid is ffmpeg's own.
 */
export function withParentDeathSignal(spawner: ProcessSpawner, setprivPath: string): ProcessSpawner {
  return (command, args) => spawner(setprivPath, ['--pdeathsig', 'SIGKILL', '--', command, ...args]);
}
