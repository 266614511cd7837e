import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { HealthSample, ManualClock, systemClock } from '@rivulet/shared';
import type { SourceRecord } from '../../pipeline/types.js';
import { createOsSampler } from './sampler.js';
import { SystemSource } from './system-source.js';

describe('system source', () => {
  it('samples this machine with node-os-utils into a valid health record', async () => {
    const sample = await createOsSampler({ clock: systemClock, agentVersion: '0.1.0' }).sample('dev-1');
    expect(Value.Check(HealthSample, sample)).toBe(true);
    expect(sample.memory!.totalBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(sample.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(sample.uptimeSeconds).toBeGreaterThan(0);
    expect(sample.disk!.totalBytes).toBeGreaterThan(0);
    expect(sample.agent.rssBytes).toBeGreaterThan(0);
  });

  it('emits one record per interval on the health stream, keyed by device', async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const emitted: SourceRecord[] = [];
    const sampler = createOsSampler({ clock, agentVersion: '0.1.0', thermalZone: '/nonexistent' });
    const source = new SystemSource({ name: 'health', stream: 'device-health', intervalMs: 10_000, deviceId: 'dev-1', clock, sampler });
    await source.start(async (records) => (emitted.push(...records), { dropped: 0, duplicates: 0 }));
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 400)); // let the real probes finish
      clock.advance(10_000);
    }
    await new Promise((r) => setTimeout(r, 400));
    await source.stop();
    expect(emitted.length).toBe(4);
    expect(new Set(emitted.map((r) => r.stream))).toEqual(new Set(['device-health']));
    expect(emitted.every((r) => r.partitionKey === 'dev-1')).toBe(true);
    const parsed = JSON.parse(emitted[1]!.data.toString()) as HealthSample;
    expect(parsed.wallMs).toBe(1_800_000_010_000);
    expect(parsed.temperatureC).toBeNull();
    expect(source.stats()).toMatchObject({ emitted: 4, errors: 0 });
  });

  it('adds the agent buffer backlog to each sample when given a probe', async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const emitted: SourceRecord[] = [];
    const sampler = createOsSampler({ clock, agentVersion: '0.1.0', thermalZone: '/nonexistent' });
    let backlog = { records: 0, bytes: 0, oldestUnsentAgeMs: null as number | null };
    const source = new SystemSource({ name: 'health', stream: 'device-health', intervalMs: 10_000, deviceId: 'dev-1', clock, sampler, backlog: () => backlog });
    await source.start(async (records) => (emitted.push(...records), { dropped: 0, duplicates: 0 }));
    await new Promise((r) => setTimeout(r, 400));
    backlog = { records: 12, bytes: 3400, oldestUnsentAgeMs: 7000 };
    clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 400));
    await source.stop();
    const samples = emitted.map((r) => JSON.parse(r.data.toString()) as HealthSample);
    expect(samples.every((s) => Value.Check(HealthSample, s))).toBe(true);
    expect(samples.map((s) => s.buffer)).toEqual([
      { records: 0, bytes: 0, oldestUnsentAgeMs: null },
      { records: 12, bytes: 3400, oldestUnsentAgeMs: 7000 },
    ]);
  });

  it('counts a failing sample instead of crashing, and keeps sampling', async () => {
    // A sampler that fails on purpose: a real probe cannot be made to fail on demand here.
    const clock = new ManualClock();
    let calls = 0;
    const sampler = {
      async sample(): Promise<HealthSample> {
        calls++;
        throw new Error('probe failed');
      },
    };
    const errors: unknown[] = [];
    const source = new SystemSource({ name: 'health', stream: 'h', intervalMs: 1000, deviceId: 'd', clock, sampler, onError: (e) => errors.push(e) });
    await source.start(async () => ({ dropped: 0, duplicates: 0 }));
    await Promise.resolve();
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 10));
    await source.stop();
    expect(calls).toBe(2);
    expect(source.stats()).toMatchObject({ errors: 2, lastError: 'probe failed' });
  });
});
