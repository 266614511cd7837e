import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { openBuffer, peekAll, record, removeTempDirs, tempLocation } from '../buffer/fixtures/buffer-fixtures.js';
import type { DropReportBody } from '../buffer/drop-report.js';
import type { LevelBuffer } from '../buffer/level-buffer.js';
import { DropReporter } from './drop-reporter.js';

afterAll(removeTempDirs);

const reporterFor = (buffer: LevelBuffer, clock: ManualClock, errors: unknown[] = []) =>
  new DropReporter({ stream: 'events', intervalMs: 1000, partitionKey: 'dev-1' }, { buffer, clock, emit: (records, options) => buffer.append(records, options), onError: (e) => errors.push(e) });
const reports = async (buffer: LevelBuffer) => (await peekAll(buffer, 'events')).map((r) => JSON.parse(r.data.toString('utf8')) as DropReportBody);
/** Lets the timer's report (a few LevelDB round trips) finish. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('DropReporter', () => {
  it('appends a report of new drops each interval, and none when nothing new was dropped', async () => {
    const clock = new ManualClock();
    // Room for three 300-byte records; 'bulk' drops the newest.
    const buffer = await openBuffer({ location: await tempLocation(), clock, maxBytes: 1000 });
    await buffer.append(['a', 'b', 'c', 'd'].map((id) => record('bulk', id, { bytes: 300 })));
    const [oldest] = await peekAll(buffer, 'bulk');
    await buffer.ack('bulk', [oldest!.seq]);
    const errors: unknown[] = [];
    const reporter = reporterFor(buffer, clock, errors);
    reporter.start();
    clock.advance(1000);
    await settle();
    expect(await reports(buffer)).toMatchObject([{ dropped: { bulk: 1 }, totals: { bulk: 1 } }]);
    clock.advance(1000);
    await settle();
    expect(await reports(buffer)).toHaveLength(1);
    await reporter.stop();
    expect(errors).toEqual([]);
    await buffer.close();
  });

  it('keeps what it reported across a restart, so drops are reported once', async () => {
    const location = await tempLocation();
    const clock = new ManualClock();
    const buffer = await openBuffer({ location, clock, maxBytes: 1000 });
    await buffer.append(['a', 'b', 'c', 'd'].map((id) => record('bulk', id, { bytes: 300 })));
    for (const r of await peekAll(buffer, 'bulk')) await buffer.ack('bulk', [r.seq]);
    expect(await reporterFor(buffer, clock).reportOnce()).toBe(true);
    await buffer.close();
    const again = await openBuffer({ location, clock, maxBytes: 1000 });
    expect(await reporterFor(again, clock).reportOnce()).toBe(false);
    // The first report holds about 130 bytes: two of these four fit.
    await again.append(['e', 'f', 'g', 'h'].map((id) => record('bulk', id, { bytes: 400 })));
    const [e] = await peekAll(again, 'bulk');
    await again.ack('bulk', [e!.seq]);
    expect(await reporterFor(again, clock).reportOnce()).toBe(true);
    expect((await reports(again)).map((r) => r.dropped)).toEqual([{ bulk: 1 }, { bulk: 2 }]);
    await again.close();
  });
});
