/**
 * kill -9 durability: a child process appends and acks in a loop while it is SIGKILLed at
 * random moments three times, restarting on the same directory. Then every acknowledged
 * append must be in the buffer exactly once, every acknowledged ack must have stuck, and seqs
 * must be unique and increasing in peek order.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BufferedRecord } from '../pipeline/types.js';
import { openBuffer, peekAll, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';

afterAll(removeTempDirs);

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'append-child.ts');
const KILLS = 3;
/** New acknowledged appends to see from a run before it may be killed. */
const PROGRESS_LINES = 100;
const PROGRESS_TIMEOUT_MS = 10_000;
const KILL_DELAY_MAX_MS = 250;

/** Complete lines only: a line cut short by SIGKILL was never fully written. */
function readLog(file: string): { mark: string; id: string }[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ mark: line.slice(0, 1), id: line.slice(2) }));
}

async function runAndKill(location: string, ackFile: string): Promise<number> {
  const before = readLog(ackFile).filter((l) => l.mark === '+').length;
  const child = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', CHILD, location, ackFile], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
  while (readLog(ackFile).filter((l) => l.mark === '+').length < before + PROGRESS_LINES) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`append-child made no progress (exit ${child.exitCode}):\n${stderr}`);
    }
    await sleep(20);
  }
  await sleep(Math.random() * KILL_DELAY_MAX_MS);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return readLog(ackFile).filter((l) => l.mark === '+').length - before;
}

describe('LevelBuffer under kill -9', () => {
  it('keeps every acknowledged append exactly once, and every acknowledged ack, across 3 SIGKILLs', async () => {
    const location = await tempLocation();
    const ackFile = join(dirname(location), 'acks.log');
    const perRun: number[] = [];
    for (let i = 0; i < KILLS; i++) perRun.push(await runAndKill(location, ackFile));

    const log = readLog(ackFile);
    const appended = new Set(log.filter((l) => l.mark === '+').map((l) => l.id));
    const ackRequested = new Set(log.filter((l) => l.mark === '-').map((l) => l.id));
    const ackDone = new Set(log.filter((l) => l.mark === 'x').map((l) => l.id));

    const buffer = await openBuffer({ location });
    const found: BufferedRecord[] = [...(await peekAll(buffer, 'alpha')), ...(await peekAll(buffer, 'beta'))];
    const counts = new Map<string, number>();
    for (const r of found) counts.set(r.partitionKey, (counts.get(r.partitionKey) ?? 0) + 1);
    const mustHave = [...appended].filter((id) => !ackRequested.has(id));
    const missing = mustHave.filter((id) => counts.get(id) !== 1);
    const resurrected = [...ackDone].filter((id) => counts.has(id));
    console.info(
      `kill -9: appends acknowledged per run ${perRun.join(', ')}; ${appended.size} acknowledged in all, ` +
        `${ackDone.size} acks acknowledged, ${found.length} records in the buffer, ${missing.length} missing, ${resurrected.length} resurrected`,
    );
    expect(missing).toEqual([]);
    expect(resurrected).toEqual([]);
    expect(ackDone.size).toBeGreaterThan(0);
    for (const stream of ['alpha', 'beta']) {
      const seqs = found.filter((r) => r.stream === stream).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(new Set(found.map((r) => r.seq)).size).toBe(found.length);
    expect(buffer.stats().records).toBe(found.length);
    // A fresh append still gets a seq above everything the killed runs handed out.
    await buffer.append([{ stream: 'alpha', partitionKey: 'after', data: Buffer.from('after'), wallMs: 0, monoMs: 0 }]);
    const last = (await peekAll(buffer, 'alpha')).at(-1);
    expect(last?.seq).toBeGreaterThan(Math.max(...found.map((r) => r.seq)));
    await buffer.close();
  });
});
