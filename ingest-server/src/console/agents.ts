/**
 * The console's view of the fleet: the latest device-health record (shared/src/health.ts) per
 * device, read in-process from the health streams through the streams service, the way
 * analytics reads its inputs. Owns per-shard read cursors, the per-device latest sample, the
 * sample-interval estimate and the "went silent" rule. Does not own the record format (shared)
 * nor the HTTP shape (routes.ts).
 *
 * Cursors start at `lookbackMs` before the first look (not at the trim horizon, which may hold
 * days of samples) and then follow each shard, including the children of a reshard. "Last
 * seen" is the server's arrival time of the newest sample, so a device with a wrong clock is
 * still judged fairly. A device is flagged silent when nothing arrived for 3 sample intervals,
 * or for 2 minutes, whichever comes first.
 */
import { Type, type Static } from '@sinclair/typebox';
import { recordData, type StreamsService } from '../streams/index.js';

export const SILENT_AFTER_MS = 120_000;
const SILENT_INTERVALS = 3;
const READ_LIMIT = 1000;

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const AgentView = Type.Object({
  deviceId: Type.String(),
  stream: Type.String(),
  /** Server arrival time of the newest sample. */
  lastSeenMs: Type.Number(),
  silentForMs: Type.Number(),
  silent: Type.Boolean(),
  /** The device's own clock at its newest sample. */
  wallMs: Type.Number(),
  intervalMs: Nullable(Type.Number()),
  cpuPercent: Nullable(Type.Number()),
  temperatureC: Nullable(Type.Number()),
  memoryUsedBytes: Nullable(Type.Number()),
  memoryTotalBytes: Nullable(Type.Number()),
  diskUsedBytes: Nullable(Type.Number()),
  diskTotalBytes: Nullable(Type.Number()),
  agentVersion: Type.String(),
  rssBytes: Nullable(Type.Number()),
  /** The agent's upload backlog, when its health records carry it. */
  buffer: Type.Union([Type.Object({ records: Type.Number(), bytes: Type.Number(), oldestUnsentAgeMs: Nullable(Type.Number()) }), Type.Null()]),
});
export type AgentView = Static<typeof AgentView>;

export const AgentsResponse = Type.Object({
  nowMs: Type.Number(),
  silentAfterMs: Type.Number(),
  healthStreams: Type.Array(Type.Object({ name: Type.String(), exists: Type.Boolean() })),
  devices: Type.Array(AgentView),
});
export type AgentsResponse = Static<typeof AgentsResponse>;

export interface AgentTrackerDeps {
  streams: StreamsService;
  healthStreams: readonly string[];
  now: () => number;
  /** How far back the first look reads. */
  lookbackMs: number;
}

interface DeviceState {
  view: Omit<AgentView, 'silent' | 'silentForMs' | 'intervalMs'>;
  /** Gaps between the last few samples (device clock), for the interval estimate. */
  gapsMs: number[];
}

/** The median of the last few gaps: one late or doubled sample does not move the estimate. */
function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

export class AgentTracker {
  /** Keyed by stream id (a recreated stream starts over), then shard index: next position. */
  private readonly cursors = new Map<number, Map<number, number>>();
  private readonly devices = new Map<string, DeviceState>();
  private refreshing: Promise<void> | null = null;

  constructor(private readonly deps: AgentTrackerDeps) {}

  async snapshot(): Promise<AgentsResponse> {
    // One refresh at a time; callers arriving meanwhile share it.
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    await this.refreshing;
    const nowMs = this.deps.now();
    const devices = [...this.devices.values()].map(({ view, gapsMs }) => {
      const intervalMs = median(gapsMs);
      const silentForMs = Math.max(0, nowMs - view.lastSeenMs);
      const limitMs = intervalMs === null ? SILENT_AFTER_MS : Math.min(SILENT_AFTER_MS, SILENT_INTERVALS * intervalMs);
      return { ...view, intervalMs, silentForMs, silent: silentForMs > limitMs };
    });
    devices.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    const healthStreams = this.deps.healthStreams.map((name) => ({ name, exists: this.deps.streams.registry.list().some((s) => s.doc.name === name) }));
    return { nowMs, silentAfterMs: SILENT_AFTER_MS, healthStreams, devices };
  }

  private async refresh(): Promise<void> {
    const { streams } = this.deps;
    for (const stream of streams.registry.list()) {
      if (!this.deps.healthStreams.includes(stream.doc.name)) continue;
      let cursors = this.cursors.get(stream.doc.id);
      if (!cursors) this.cursors.set(stream.doc.id, (cursors = new Map()));
      for (const shard of [...stream.shards.values()].sort((a, b) => a.doc.index - b.doc.index)) {
        const index = shard.doc.index;
        let position = cursors.get(index);
        if (position === undefined) {
          // A child of a reshard we were following is read from its start; any other shard from the lookback.
          const born = [shard.doc.parentIndex, shard.doc.adjacentParentIndex].some((p) => p !== null && cursors.has(p));
          position = born ? 0 : await streams.records.startPosition(stream, index, { kind: 'AT_TIMESTAMP', timestampMs: this.deps.now() - this.deps.lookbackMs });
        }
        for (;;) {
          const read = await streams.records.readFrom(stream, index, position, READ_LIMIT);
          for (const record of read.records) this.take(stream.doc.name, record.arrivalMs, recordData(record));
          position = read.next;
          if (read.records.length < READ_LIMIT || read.ended) break;
        }
        cursors.set(index, position);
      }
    }
  }

  /** Takes one record; anything that is not a health sample is skipped (the stream is shared with nobody, but be safe). */
  private take(stream: string, arrivalMs: number, data: Buffer): void {
    let parsed: Record<string, unknown> | null;
    try {
      parsed = obj(JSON.parse(data.toString('utf8')));
    } catch {
      return;
    }
    if (!parsed || parsed.kind !== 'rivulet.health/1' || typeof parsed.deviceId !== 'string') return;
    const wallMs = num(parsed.wallMs) ?? arrivalMs;
    const previous = this.devices.get(parsed.deviceId);
    if (previous && arrivalMs < previous.view.lastSeenMs) return;
    const gapsMs = previous ? [...previous.gapsMs, wallMs - previous.view.wallMs].filter((g) => g > 0).slice(-5) : [];
    const memory = obj(parsed.memory);
    const disk = obj(parsed.disk);
    const agent = obj(parsed.agent);
    const buffer = obj(parsed.buffer);
    this.devices.set(parsed.deviceId, {
      gapsMs,
      view: {
        deviceId: parsed.deviceId,
        stream,
        lastSeenMs: arrivalMs,
        wallMs,
        cpuPercent: num(parsed.cpuPercent),
        temperatureC: num(parsed.temperatureC),
        memoryUsedBytes: num(memory?.usedBytes),
        memoryTotalBytes: num(memory?.totalBytes),
        diskUsedBytes: num(disk?.usedBytes),
        diskTotalBytes: num(disk?.totalBytes),
        agentVersion: typeof agent?.version === 'string' ? agent.version : 'unknown',
        rssBytes: num(agent?.rssBytes),
        buffer: buffer ? { records: num(buffer.records) ?? 0, bytes: num(buffer.bytes) ?? 0, oldestUnsentAgeMs: num(buffer.oldestUnsentAgeMs) } : null,
      },
    });
  }
}
