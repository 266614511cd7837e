/**
 * The `mqtt` source. Either connects to a broker with mqtt.js (fixed client id, persistent
 * session, QoS 0/1/2) or runs an embedded aedes broker that sensors publish to directly.
 *
 * Invariant: a QoS 1/2 message is acknowledged only once it is durably in the buffer. With an
 * external broker the PUBACK is held back (customHandleAcks) until the append resolves; with the
 * embedded broker the publish is authorized, and so acknowledged, only after the append. If the
 * append fails, no acknowledgement is sent: the broker (or the sensor) sends the message again.
 * Messages that cannot be mapped are counted and, when configured, go to a dead-letter stream.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock } from '@rivulet/shared';
import type { MqttSourceConfig } from '../../config/schema.js';
import type { Emit, Source, SourceRecord, SourceStats } from '../../pipeline/types.js';
import { compileSubscription, mapMessage, matchTopic, type CompiledSubscription } from './topic-map.js';

export interface MqttSourceOptions {
  config: MqttSourceConfig;
  deviceId: string;
  clock: Clock;
  onError?: (err: unknown) => void;
}

export class MqttSource implements Source {
  readonly name: string;
  private readonly subscriptions: CompiledSubscription[];
  private readonly counters: SourceStats & { deadLettered: number; ignored: number } = { emitted: 0, errors: 0, lastError: null, deadLettered: 0, ignored: 0 };
  private client: MqttClient | null = null;
  private broker: { aedes: Aedes; server: net.Server } | null = null;
  private emit: Emit | null = null;

  constructor(private readonly opts: MqttSourceOptions) {
    this.name = opts.config.name;
    this.subscriptions = opts.config.subscriptions.map(compileSubscription);
  }

  stats(): SourceStats & { deadLettered: number; ignored: number } {
    return { ...this.counters };
  }

  /** The embedded broker's address, once started. */
  brokerAddress(): net.AddressInfo | null {
    return (this.broker?.server.address() as net.AddressInfo | null) ?? null;
  }

  async start(emit: Emit): Promise<void> {
    this.emit = emit;
    const broker = this.opts.config.broker;
    if ('embedded' in broker) await this.startEmbedded(broker.embedded.host ?? '127.0.0.1', broker.embedded.port ?? 1883);
    else await this.connect(broker.url, broker.username, broker.password);
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    if (this.broker) {
      const { aedes, server } = this.broker;
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    }
  }

  /** Buffers one message; resolves once it is durable (or counted as unmappable). */
  private async handle(topic: string, payload: Buffer): Promise<void> {
    for (const sub of this.subscriptions) {
      const parts = matchTopic(sub, topic);
      if (!parts) continue;
      const mapped = mapMessage(sub, parts, payload);
      const now = { wallMs: this.opts.clock.now(), monoMs: this.opts.clock.monotonicMs() };
      let record: SourceRecord;
      if (mapped.ok) {
        record = { stream: mapped.stream, partitionKey: mapped.partitionKey, data: mapped.data, ...now };
      } else {
        this.counters.errors++;
        this.counters.lastError = `${topic}: ${mapped.reason}`;
        const dead = this.opts.config.deadLetterStream;
        if (!dead) return;
        this.counters.deadLettered++;
        const body = { topic, reason: mapped.reason, payloadBase64: payload.toString('base64'), wallMs: now.wallMs };
        record = { stream: dead, partitionKey: this.opts.deviceId, data: Buffer.from(JSON.stringify(body)), ...now };
      }
      await this.emit!([record]);
      if (mapped.ok) this.counters.emitted++;
      return;
    }
    this.counters.ignored++;
  }

  private fail(err: unknown): void {
    this.counters.errors++;
    this.counters.lastError = err instanceof Error ? err.message : String(err);
    this.opts.onError?.(err);
  }

  private async startEmbedded(host: string, port: number): Promise<void> {
    const aedes = await Aedes.createBroker({
      // Runs before the broker acknowledges a client's publish: acknowledged means buffered.
      authorizePublish: (client, packet, callback) => {
        if (!client) return callback(null);
        this.handle(packet.topic, Buffer.from(packet.payload)).then(
          () => callback(null),
          (err: unknown) => {
            this.fail(err);
            callback(err instanceof Error ? err : new Error(String(err)));
          },
        );
      },
    });
    const server = net.createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.broker = { aedes, server };
  }

  private async connect(url: string, username: string | undefined, password: string | undefined): Promise<void> {
    const client = mqtt.connect(url, {
      clientId: this.opts.config.clientId ?? `rivulet-${this.opts.deviceId}-${this.name}`.slice(0, 128),
      clean: false,
      reconnectPeriod: 1000,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
    // mqtt.js sends a QoS 1/2 acknowledgement only when handleMessage calls back, so holding the
    // callback until the append is durable makes "acknowledged" mean "buffered". It processes one
    // message at a time per connection, which bounds this source's rate by the buffer's commit
    // latency (see the buffer's flushIntervalMs).
    client.handleMessage = (packet, callback) => {
      this.handle(packet.topic, Buffer.from(packet.payload)).then(
        () => callback(),
        (err: unknown) => {
          this.fail(err);
          // No acknowledgement: drop the connection so the broker redelivers the message.
          client.stream.destroy();
        },
      );
    };
    client.on('error', (err) => this.fail(err));
    client.on('connect', (connack) => {
      if (connack.sessionPresent) return;
      client.subscribe(this.subscriptions.map((s) => ({ topic: s.filter, qos: s.qos })).reduce<Record<string, { qos: 0 | 1 | 2 }>>((acc, s) => ({ ...acc, [s.topic]: { qos: s.qos } }), {}));
    });
    this.client = client;
  }
}
