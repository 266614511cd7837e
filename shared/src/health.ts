/**
 * The device-health record the agent's `system` source writes to its health stream, as JSON.
 * The console (issue 8) reads the same shape, so it is declared once, here.
 */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const HealthSample = Type.Object({
  kind: Type.Literal('rivulet.health/1'),
  deviceId: Type.String(),
  wallMs: Type.Number(),
  monoMs: Type.Number(),
  uptimeSeconds: Nullable(Type.Number()),
  cpuPercent: Nullable(Type.Number()),
  load: Type.Union([Type.Object({ one: Type.Number(), five: Type.Number(), fifteen: Type.Number() }), Type.Null()]),
  memory: Type.Union([Type.Object({ totalBytes: Type.Number(), usedBytes: Type.Number(), availableBytes: Type.Number() }), Type.Null()]),
  disk: Type.Union([Type.Object({ path: Type.String(), totalBytes: Type.Number(), usedBytes: Type.Number(), availableBytes: Type.Number() }), Type.Null()]),
  temperatureC: Nullable(Type.Number()),
  network: Type.Union([Type.Object({ rxBytes: Type.Number(), txBytes: Type.Number() }), Type.Null()]),
  agent: Type.Object({ version: Type.String(), rssBytes: Type.Number() }),
  /** The agent's durable buffer at sample time: what is accepted but not yet uploaded (issue 8). */
  buffer: Type.Optional(Type.Object({ records: Type.Number(), bytes: Type.Number(), oldestUnsentAgeMs: Nullable(Type.Number()) })),
});
export type HealthSample = Static<typeof HealthSample>;
