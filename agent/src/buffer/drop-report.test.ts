import { ManualClock } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import type { BufferStats } from '../pipeline/types.js';
import { dropReport, type DropReportBody } from './drop-report.js';

const statsWith = (dropped: Record<string, number>): BufferStats => ({ records: 0, bytes: 0, maxBytes: 1000, oldestWallMs: null, dropped });
const bodyOf = (data: Buffer) => JSON.parse(data.toString('utf8')) as DropReportBody;

describe('dropReport', () => {
  it('reports the drops per stream since the previous report, on the stream the caller names', () => {
    const clock = new ManualClock(1_700_000_000_000);
    clock.advance(500);
    const report = dropReport(statsWith({ video: 12, telemetry: 3, alerts: 0 }), clock, { stream: '_rivulet_dropped', reported: { video: 10, telemetry: 3 } });
    expect(report).toMatchObject({ stream: '_rivulet_dropped', partitionKey: '_rivulet_dropped', wallMs: 1_700_000_000_500, monoMs: 500 });
    expect(bodyOf(report!.data)).toEqual({ dropped: { video: 2 }, totals: { video: 12, telemetry: 3, alerts: 0 }, wallMs: 1_700_000_000_500 });
  });

  it('returns null when nothing was dropped since the previous report', () => {
    const clock = new ManualClock();
    expect(dropReport(statsWith({}), clock, { stream: 'r', reported: {} })).toBeNull();
    expect(dropReport(statsWith({ video: 4 }), clock, { stream: 'r', reported: { video: 4 } })).toBeNull();
  });

  it('counts all drops as new when the totals went below what was reported (a recreated buffer)', () => {
    const report = dropReport(statsWith({ video: 2 }), new ManualClock(), { stream: 'r', reported: { video: 50 }, partitionKey: 'cam-1' });
    expect(report?.partitionKey).toBe('cam-1');
    expect(bodyOf(report!.data).dropped).toEqual({ video: 2 });
  });
});
