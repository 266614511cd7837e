/**
 * The Data Streams service: wires the registry, records, resharding, idempotent producers,
 * limits and background work around one ShardStore. No Fastify imports; actions/ call into it.
 */
import { randomBytes } from 'node:crypto';
import { OnDemandAutoscaler, RetentionTrimmer } from './background.js';
import type { StreamsDeps } from './deps.js';
import { IteratorCodec } from './iterator-token.js';
import { ProducerDedup } from './producer-dedup.js';
import { RecordsService } from './records.js';
import { StreamRegistry } from './registry.js';
import { Resharder } from './resharding.js';
import { ThroughputLimiter } from './throughput.js';

export class StreamsService {
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
    let secret = await deps.store.getSetting('iterator-secret');
    if (secret === null) {
      secret = randomBytes(32).toString('base64');
      await deps.store.putSetting('iterator-secret', secret);
    }
    const registry = new StreamRegistry(deps);
    await registry.load();
    const limiter = new ThroughputLimiter(deps.config.limits, deps.clock);
    const resharder = new Resharder(deps, registry);
    return new StreamsService(
      deps,
      registry,
      new RecordsService(deps, registry, new IteratorCodec(Buffer.from(secret, 'base64')), limiter),
      resharder,
      new ProducerDedup(deps.store),
      limiter,
      new RetentionTrimmer(deps, registry),
      new OnDemandAutoscaler(deps, registry, resharder),
    );
  }

  start(): void {
    this.trimmer.start();
    this.autoscaler.start();
  }

  /** Stops background work, waits for queued commits and closes the store. */
  async close(): Promise<void> {
    this.autoscaler.stop();
    await this.trimmer.stop();
    await this.deps.store.close();
  }
}
