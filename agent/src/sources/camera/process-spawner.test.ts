import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeSpawner } from './fixtures/fake-process.js';
import { nodeSpawner, runForOutput, withParentDeathSignal } from './process-spawner.js';

const SETPRIV = '/usr/bin/setpriv';
/** Running, as opposed to gone or a zombie nobody has reaped yet (the container's init may not). */
const alive = (pid: number) => {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
};

describe('process spawner', () => {
  it('reports a binary that is not there as an exit with the spawn error', async () => {
    const { stdout, exit } = await runForOutput(nodeSpawner, '/nonexistent/ffmpeg', ['-version']);
    expect(stdout).toBe('');
    expect(exit.error?.message).toMatch(/ENOENT/);
  });

  it('wraps the command in setpriv --pdeathsig SIGKILL, keeping its arguments', () => {
    const { spawn: fake, spawned } = fakeSpawner();
    withParentDeathSignal(fake, SETPRIV)('/usr/bin/ffmpeg', ['-i', 'rtsp://cam/x']);
    expect(spawned[0]!.command).toBe(SETPRIV);
    expect(spawned[0]!.args).toEqual(['--pdeathsig', 'SIGKILL', '--', '/usr/bin/ffmpeg', '-i', 'rtsp://cam/x']);
  });

  it('a child started that way dies with its parent, even on kill -9', async () => {
    // A parent that starts `sleep 60` through setpriv and prints the child's pid.
    const script = `const c = require('node:child_process').spawn(${JSON.stringify(SETPRIV)}, ['--pdeathsig', 'SIGKILL', '--', 'sleep', '60'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await new Promise((r) => setTimeout(r, 100));
    expect(execFileSync('ps', ['-o', 'comm=', '-p', String(childPid)], { encoding: 'utf8' }).trim()).toBe('sleep');
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('close', r));
    for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(childPid)).toBe(false);
  });
});
