import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readFollowingLineage } from '../harness/consumer.js';
import { startAgent } from '../harness/agent.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });

describe('rivulet-agent run, end to end', () => {
  it('samples device health into the buffer and uploads it to a real rivulet-ingest, serving its status locally', async () => {
    const { kinesis, server } = suite;
    await kinesis.send(new CreateStreamCommand({ StreamName: 'device-health', ShardCount: 1 }));
    const agent = await startAgent([
      'device: { id: gateway-e2e }',
      `server: { endpoint: "${server.endpoint}" }`,
      'sources:',
      '  - { type: system, name: health, stream: device-health, intervalMs: 1000 }',
    ]);
    const port = agent.statusPort;
    try {
      // Reads stay under the 5 GetRecords/s per shard limit the server enforces.
      await new Promise((r) => setTimeout(r, 2500));
      let records = await readFollowingLineage(kinesis, 'device-health');
      for (let i = 0; i < 20 && records.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 1200));
        records = await readFollowingLineage(kinesis, 'device-health');
      }
      expect(records.length).toBeGreaterThanOrEqual(3);
      const sample = JSON.parse(records[0]!.data) as { kind: string; deviceId: string; memory: { totalBytes: number } };
      expect(sample).toMatchObject({ kind: 'rivulet.health/1', deviceId: 'gateway-e2e' });
      expect(sample.memory.totalBytes).toBeGreaterThan(0);
      expect(records.every((r) => r.partitionKey === 'gateway-e2e')).toBe(true);

      const status = (await (await fetch(`http://127.0.0.1:${port}/status.json`)).json()) as { device: string; sources: Record<string, { emitted: number }>; upload: { records: number } };
      expect(status.device).toBe('gateway-e2e');
      expect(status.sources.health!.emitted).toBeGreaterThanOrEqual(3);
      expect(status.upload.records).toBeGreaterThanOrEqual(3);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);
});
