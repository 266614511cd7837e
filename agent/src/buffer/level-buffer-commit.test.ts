/**
 * Group commit against real LevelDB: how many writes (SD-card syncs) 1,000 concurrent
 * single-record appends cost. The counts are printed, since they are the point.
 */
import { ManualClock, systemClock } from '@rivulet/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { openBuffer, peekAll, record, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';
import type { LevelBuffer } from './level-buffer.js';

afterAll(removeTempDirs);

const APPENDS = 1_000;
const appendOne = (buffer: LevelBuffer, i: number) => buffer.append([record('s', `r${i}`)]);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LevelBuffer group commit', () => {
  it('writes 1,000 concurrent appends as one batch, and resolves none before it is written', async () => {
    const clock = new ManualClock();
    const buffer = await openBuffer({ location: await tempLocation(), clock, flushIntervalMs: 20 });
    // open() itself writes once (the seq reservation); count from after it.
    const base = buffer.batchesWritten;
    let resolved = 0;
    const appends = Array.from({ length: APPENDS }, (_, i) => appendOne(buffer, i).then(() => resolved++));
    for (let i = 0; i < 5; i++) await nextTurn();
    expect([resolved, buffer.batchesWritten - base]).toEqual([0, 0]);
    clock.advance(20);
    await Promise.all(appends);
    console.info(`group commit: ${APPENDS} appends issued together -> ${buffer.batchesWritten - base} LevelDB batch(es)`);
    expect(buffer.batchesWritten - base).toBe(1);
    expect(await peekAll(buffer, 's')).toHaveLength(APPENDS);
    await buffer.close();
  });

  it('merges appends that arrive while a write is in flight into the next batch', async () => {
    const clock = new ManualClock();
    const buffer = await openBuffer({ location: await tempLocation(), clock, flushIntervalMs: 20 });
    const base = buffer.batchesWritten;
    const first = appendOne(buffer, 0);
    clock.advance(20);
    // The first write is in flight now; these wait for it, not for another timer.
    const rest = Array.from({ length: APPENDS - 1 }, (_, i) => appendOne(buffer, i + 1));
    await Promise.all([first, ...rest]);
    expect(buffer.batchesWritten - base).toBe(2);
    await buffer.close();
  });

  it('keeps the batch count to a handful when 1,000 appends arrive over 100 event-loop turns', async () => {
    const counts: Record<string, number> = {};
    for (const flushIntervalMs of [20, 0]) {
      const buffer = await openBuffer({ location: await tempLocation(), clock: systemClock, flushIntervalMs });
      const base = buffer.batchesWritten;
      const appends: Promise<unknown>[] = [];
      for (let i = 0; i < APPENDS; i++) {
        appends.push(appendOne(buffer, i));
        if (i % 10 === 9) await nextTurn();
      }
      await Promise.all(appends);
      counts[`flushIntervalMs ${flushIntervalMs}`] = buffer.batchesWritten - base;
      expect(await peekAll(buffer, 's')).toHaveLength(APPENDS);
      await buffer.close();
    }
    console.info(`group commit: ${APPENDS} appends over 100 turns, synced writes ->`, counts);
    expect(counts['flushIntervalMs 20']).toBeLessThanOrEqual(10);
    expect(counts['flushIntervalMs 0']).toBeLessThan(APPENDS / 2);
  });

  it('costs about one batch per round when 50 sources each append 20 records one after another', async () => {
    const buffer = await openBuffer({ location: await tempLocation(), clock: systemClock, flushIntervalMs: 20 });
    const base = buffer.batchesWritten;
    const source = async (s: number) => {
      for (let i = 0; i < APPENDS / 50; i++) await appendOne(buffer, s * 1000 + i);
    };
    await Promise.all(Array.from({ length: 50 }, (_, s) => source(s)));
    console.info(`group commit: 50 sources x 20 sequential appends -> ${buffer.batchesWritten - base} LevelDB batches`);
    expect(buffer.batchesWritten - base).toBeLessThanOrEqual(40);
    expect(await peekAll(buffer, 's')).toHaveLength(APPENDS);
    await buffer.close();
  });
});
