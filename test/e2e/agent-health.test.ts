import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readFollowingLineage } from '../harness/consumer.js';
import { REPO_ROOT, tempDir } from '../harness/ingest.js';
import { useIngestSuite } from '../harness/suite.js';

const suite = useIngestSuite({ client: 'http1' });

describe('rivulet-agent run, end to end', () => {
  it('samples device health into the buffer and uploads it to a real rivulet-ingest, serving its status locally', async () => {
    const { kinesis, server } = suite;
    await kinesis.send(new CreateStreamCommand({ StreamName: 'device-health', ShardCount: 1 }));
    const dir = tempDir('rivulet-agent-');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        'device: { id: gateway-e2e }',
        `server: { endpoint: "${server.endpoint}" }`,
        `buffer: { path: "${join(dir, 'buffer')}" }`,
        'status: { port: 0 }',
        'sources:',
        '  - { type: system, name: health, stream: device-health, intervalMs: 1000 }',
      ].join('\n'),
    );
    const agent = spawn(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'agent/src/main.ts'), 'run', '--config', config], {
      cwd: REPO_ROOT,
      env: { ...process.env, RIVULET_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    agent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    agent.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`agent did not start:\n${out}`)), 30_000);
        agent.stdout.on('data', () => {
          const m = /status on http:\/\/[^:]+:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
      });
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
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
