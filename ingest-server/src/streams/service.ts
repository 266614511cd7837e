/**
 * The Data Streams service: wires the registry, records, resharding, idempotent producers,
 * limits and background work around one ShardStore. No Fastify imports; actions/ call into it.
 */
import { randomBytes } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { TimerHandle } from '@rivulet/shared';
import type { ThroughputLimits as ThroughputLimitsSchema } from '../config.js';
import { OnDemandAutoscaler, RetentionTrimmer } from './background.js';
import type { StreamsDeps } from './deps.js';
import { IteratorCodec } from './iterator-token.js';
import { ProducerDedup } from './producer-dedup.js';
import { RecordsService } from './records.js';
import { StreamRegistry } from './registry.js';
import { Resharder } from './resharding.js';
import { ThroughputLimiter } from './throughput.js';

type ThroughputLimits = Static<typeof ThroughputLimitsSchema>;

const FOLLOW_INTERVAL_MS = 1_000;

/** One process's share of the per-shard limits when `processes` share them (each enforces 1/N). */
export function shareOfLimits(limits: ThroughputLimits, processes: number): ThroughputLimits {
  if (processes <= 1) return limits;
  return {
    ...limits,
    writeRecordsPerSecond: Math.max(1, Math.floor(limits.writeRecordsPerSecond / processes)),
    writeBytesPerSecond: Math.max(1, Math.floor(limits.writeBytesPerSecond / processes)),
    readCallsPerSecond: limits.readCallsPerSecond / processes,
    readBytesPerSecond: Math.max(1, Math.floor(limits.readBytesPerSecond / processes)),
  };
}

export class StreamsService {
  private follower: TimerHandle | null = null;

  private constructor(
    readonly deps: StreamsDeps,
    readonly registry: StreamRegistry,
    readonly records: RecordsService,
    readonly resharder: Resharder,
    readonly producers: ProducerDedup,
    readonly limiter: ThroughputLimiter,
    readonly trimmer: RetentionTrimmer,
    readonly autoscaler: OnDemandAutoscaler,
  ) {}

  /** Opens the store, loads every stream and returns a service ready to start(). */
  static async open(deps: StreamsDeps): Promise<StreamsService> {
    await deps.store.open();
    // Every process sharing a store signs iterators with one secret, so any of them takes any iterator.
    let secret = await deps.store.getSetting('iterator-secret');
    if (secret === null) {
      const fresh = randomBytes(32).toString('base64');
      if (deps.store.shared) {
        secret = await deps.store.shared.claimSetting('iterator-secret', fresh);
      } else {
        await deps.store.putSetting('iterator-secret', fresh);
        secret = fresh;
      }
    }
    const registry = new StreamRegistry(deps);
    await registry.load();
    const limiter = new ThroughputLimiter(shareOfLimits(deps.config.limits, deps.store.shared ? deps.ingestProcesses ?? 1 : 1), deps.clock);
    const resharder = new Resharder(deps, registry);
    return new StreamsService(
      deps,
      registry,
      new RecordsService(deps, registry, new IteratorCodec(Buffer.from(secret, 'base64')), limiter),
      resharder,
      new ProducerDedup(deps.store, { cache: !deps.store.shared }),
      limiter,
      new RetentionTrimmer(deps, registry),
      new OnDemandAutoscaler(deps, registry, resharder),
    );
  }

  /** Before each request on a shared store: see every other process's changes first. */
  sync(): Promise<void> | undefined {
    return this.registry.sync();
  }

  start(): void {
    this.trimmer.start();
    this.autoscaler.start();
    // Shared store: in-process users of the registry (Firehose sources, Analytics) follow other
    // processes' changes within a second even when no request arrives.
    if (this.deps.store.shared) {
      this.follower = this.deps.clock.setInterval(() => {
        this.sync()?.catch((err: unknown) => this.deps.logger.warn({ err }, 'following stream changes failed; will retry'));
      }, FOLLOW_INTERVAL_MS);
    }
  }

  /** Stops background work, waits for queued commits and closes the store. */
  async close(): Promise<void> {
    this.follower?.cancel();
    this.autoscaler.stop();
    await this.trimmer.stop();
    await this.deps.store.close();
  }
}
