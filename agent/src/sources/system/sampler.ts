/**
 * Reads the device's health with node-os-utils (v2 answers `{success, data}`; a failed probe
 * becomes null, never an exception) and the SoC temperature from sysfs, where the board has one.
 */
import { readFile } from 'node:fs/promises';
import { OSUtils } from 'node-os-utils';
import type { Clock, HealthSample } from '@rivulet/shared';

type Result<T> = { success: true; data: T } | { success: false };

async function value<T>(probe: () => Promise<Result<T>>): Promise<T | null> {
  try {
    const result = await probe();
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

const bytes = (b: { bytes: number } | undefined) => b?.bytes ?? 0;

export interface HealthSampler {
  sample(deviceId: string): Promise<HealthSample>;
}

export interface OsSamplerOptions {
  clock: Clock;
  diskPath?: string;
  /** Where the SoC temperature is (millidegrees); Raspberry Pi OS and most boards expose this. */
  thermalZone?: string;
  agentVersion: string;
}

export function createOsSampler(opts: OsSamplerOptions): HealthSampler {
  const os = new OSUtils();
  const diskPath = opts.diskPath ?? '/';
  const thermalZone = opts.thermalZone ?? '/sys/class/thermal/thermal_zone0/temp';
  return {
    async sample(deviceId) {
      const [cpu, load, memory, disk, network, uptime, temperature] = await Promise.all([
        value(() => os.cpu.usage() as Promise<Result<number>>),
        value(() => os.cpu.loadAverage() as Promise<Result<{ load1: number; load5: number; load15: number }>>),
        value(() => os.memory.info() as Promise<Result<{ total: { bytes: number }; used: { bytes: number }; available: { bytes: number } }>>),
        value(() => os.disk.usageByMountPoint(diskPath) as Promise<Result<{ total: { bytes: number }; used: { bytes: number }; available: { bytes: number } } | null>>),
        value(() => os.network.overview() as Promise<Result<{ totalRxBytes: { bytes: number }; totalTxBytes: { bytes: number } }>>),
        value(() => os.system.uptime() as Promise<Result<{ uptime: number }>>),
        readFile(thermalZone, 'utf8').then(
          (t) => Number(t.trim()) / 1000,
          () => null,
        ),
      ]);
      return {
        kind: 'rivulet.health/1',
        deviceId,
        wallMs: opts.clock.now(),
        monoMs: opts.clock.monotonicMs(),
        uptimeSeconds: uptime ? Math.round(uptime.uptime / 1000) : null,
        cpuPercent: cpu,
        load: load ? { one: load.load1, five: load.load5, fifteen: load.load15 } : null,
        memory: memory ? { totalBytes: bytes(memory.total), usedBytes: bytes(memory.used), availableBytes: bytes(memory.available) } : null,
        disk: disk ? { path: diskPath, totalBytes: bytes(disk.total), usedBytes: bytes(disk.used), availableBytes: bytes(disk.available) } : null,
        temperatureC: temperature !== null && Number.isFinite(temperature) ? temperature : null,
        network: network ? { rxBytes: bytes(network.totalRxBytes), txBytes: bytes(network.totalTxBytes) } : null,
        agent: { version: opts.agentVersion, rssBytes: process.memoryUsage.rss() },
      };
    },
  };
}
