import { describe, expect, it } from 'vitest';
import { METRIC_NAMES as N } from '@rivulet/shared';
import { AgentMetrics, type AgentMetricsSnapshot } from './metrics.js';

describe('AgentMetrics', () => {
  it('exposes the agent’s own counters and levels as they are at each scrape', async () => {
    const snap: AgentMetricsSnapshot = {
      sources: { sensors: { emitted: 12, errors: 1 }, health: { emitted: 3, errors: 0 } },
      buffer: { records: 4, bytes: 900, oldestUnsentAgeMs: 2500 },
      uploaded: { streams: 11 },
      uploadFailures: { streams: 2 },
    };
    const m = new AgentMetrics(() => snap);
    let text = (await m.text()).body;
    expect(text).toContain(`${N.agentSourceRecords}{source="sensors"} 12`);
    expect(text).toContain(`${N.agentSourceErrors}{source="sensors"} 1`);
    expect(text).toContain(`${N.agentBufferRecords} 4`);
    expect(text).toContain(`${N.agentBufferBytes} 900`);
    expect(text).toContain(`${N.agentOldestUnsentAge} 2.5`);
    expect(text).toContain(`${N.agentUploadedRecords}{uploader="streams"} 11`);
    expect(text).toContain(`${N.agentUploadFailures}{uploader="streams"} 2`);
    expect(text).toContain('rivulet_agent_process_cpu_seconds_total');
    expect(text).not.toContain('_total gauge');

    snap.sources.sensors = { emitted: 20, errors: 1 };
    snap.buffer = { records: 0, bytes: 0, oldestUnsentAgeMs: null };
    text = (await m.text()).body;
    expect(text).toContain(`${N.agentSourceRecords}{source="sensors"} 20`);
    expect(text).toContain(`${N.agentOldestUnsentAge} 0`);
  });

  it('keeps two agents in one process apart', async () => {
    const one = new AgentMetrics(() => ({ sources: { a: { emitted: 1, errors: 0 } }, buffer: { records: 0, bytes: 0, oldestUnsentAgeMs: null }, uploaded: {}, uploadFailures: {} }));
    const two = new AgentMetrics(() => ({ sources: { b: { emitted: 2, errors: 0 } }, buffer: { records: 0, bytes: 0, oldestUnsentAgeMs: null }, uploaded: {}, uploadFailures: {} }));
    expect((await one.text()).body).not.toContain('source="b"');
    expect((await two.text()).body).toContain(`${N.agentSourceRecords}{source="b"} 2`);
  });
});
