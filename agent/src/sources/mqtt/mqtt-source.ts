/**
 * The `mqtt` source. Either connects to a broker with mqtt.js (fixed client id, persistent
 * session, QoS 0/1/2) or runs an embedded aedes broker that sensors publish to directly.
 *
 * Invariant: a QoS 1/2 message is acknowledged only once it is durably in the buffer. With an
 * external broker the PUBACK is held back (customHandleAcks) until the append resolves; with the
 * embedded broker the publish is authorized, and so acknowledged, only after the append. If the
 * append fails, no acknowledgement is sent: the broker (or the sensor) sends the message again.
 * Messages that cannot be mapped are counted and, when configured, go to a dead-letter stream.
 *
 * No duplicates: a QoS 1/2 message is sent again when its acknowledgement was lost (the agent
 * was killed after buffering it). Its record carries an idempotency key, the sending client's id
 * and the packet id, so the buffer stores the retransmission only if it holds no recent message
 * with that key and the same content (level-buffer.ts, dedup-index.ts).
 */
import net from 'node:net';
import type { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
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

export interface MqttSourceStats extends SourceStats {
  /** Messages sent to the dead-letter stream. */
  deadLettered: number;
  /** Messages on topics no subscription maps. */
  ignored: number;
  /** Retransmissions the buffer already held (a lost acknowledgement), not stored again. */
  duplicates: number;
  /** The embedded broker listens, or the external broker holds this agent's subscriptions. */
  ready: boolean;
}

export class MqttSource implements Source {
  readonly name: string;
  private readonly subscriptions: CompiledSubscription[];
  private readonly counters: MqttSourceStats = { emitted: 0, errors: 0, lastError: null, deadLettered: 0, ignored: 0, duplicates: 0, ready: false };
  private client: MqttClient | null = null;
  private broker: { aedes: Aedes; server: net.Server } | null = null;
  private emit: Emit | null = null;

  constructor(private readonly opts: MqttSourceOptions) {
    this.name = opts.config.name;
    this.subscriptions = opts.config.subscriptions.map(compileSubscription);
  }

  stats(): MqttSourceStats {
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
      // The broker first, which disconnects its clients: a server closes only once its
      // connections have ended, and connected sensors would hold it open.
      const closed = new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
      await closed;
    }
  }

  /**
   * Buffers one message; resolves once it is durable (or counted as unmappable). `sender` names
   * the client and packet id of a QoS 1/2 message, which a lost acknowledgement makes it resend.
   */
  private async handle(topic: string, payload: Buffer, sender: { clientId: string; packetId: number } | null): Promise<void> {
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
      if (sender) record.idempotencyKey = `mqtt/${this.name}/${sender.clientId}/${sender.packetId}`;
      const { duplicates } = await this.emit!([record]);
      this.counters.duplicates += duplicates;
      if (mapped.ok && duplicates === 0) this.counters.emitted++;
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
    // Loaded on demand: the broker and the client library each cost megabytes of RSS, and an
    // agent needs only the one its config names.
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker({
      // Runs before the broker acknowledges a client's publish: acknowledged means buffered.
      authorizePublish: (client, packet, callback) => {
        if (!client) return callback(null);
        this.handle(packet.topic, Buffer.from(packet.payload), senderOf(client.id, packet)).then(
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
    this.counters.ready = true;
  }

  private async connect(url: string, username: string | undefined, password: string | undefined): Promise<void> {
    const { default: mqtt } = await import('mqtt');
    const client = mqtt.connect(url, {
      clientId: this.opts.config.clientId ?? `rivulet-${this.opts.deviceId}-${this.name}`.slice(0, 128),
      clean: false,
      reconnectPeriod: 1000,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
    // Acknowledged means buffered, without handling one message at a time. mqtt.js reads the next
    // packet only after handleMessage calls back and the PUBACK is written, which would bound this
    // source by one buffer commit per message. So handleMessage starts the append (its place in
    // the buffer is decided at once, in arrival order) and calls back; the PUBACK that mqtt.js
    // then sends is held until that append is durable. Appends become durable in order, so the
    // PUBACKs leave in order, as MQTT requires. If an append fails, no PUBACK is sent and the
    // connection is dropped, so the broker redelivers. A PUBACK held past a reconnect is not sent
    // on the new connection, where its packet id may name another message: the broker redelivers
    // the old message there and it is acknowledged in its turn (as a duplicate). (_sendPacket is
    // mqtt.js-internal; the mqtt-source and agent-crash tests cover this against mqtt.js 5.)
    const durable = new Map<number, { appended: Promise<void>; connection: unknown }>();
    const internals = client as unknown as { _sendPacket(packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]): void };
    const sendPacket = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      const pending = packet.cmd === 'puback' && packet.messageId !== undefined ? durable.get(packet.messageId) : undefined;
      if (!pending) return sendPacket(packet, cb, ...rest);
      durable.delete(packet.messageId!);
      cb?.();
      pending.appended.then(
        () => {
          if (client.stream === pending.connection) sendPacket(packet, undefined, ...rest);
        },
        () => undefined,
      );
    };
    client.handleMessage = (packet, callback) => {
      // Packet ids here are the broker's, for this agent's own persistent session.
      const appended = this.handle(packet.topic, Buffer.from(packet.payload), senderOf('@broker', packet)).catch((err: unknown) => {
        this.fail(err);
        // No acknowledgement: drop the connection so the broker redelivers the message.
        client.stream.destroy();
        throw err;
      });
      if (packet.qos === 1 && packet.messageId !== undefined) {
        durable.set(packet.messageId, { appended, connection: client.stream });
        appended.catch(() => undefined);
        callback();
      } else {
        appended.then(() => callback(), () => undefined);
      }
    };
    client.on('error', (err) => this.fail(err));
    client.on('connect', (connack) => {
      if (connack.sessionPresent) {
        this.counters.ready = true;
        return;
      }
      // At most QoS 1 from an external broker: with QoS 2, mqtt.js keeps a message in memory
      // between PUBREC and PUBREL, so a crash there would lose it. QoS 1 and the buffer's dedup
      // give the same exactly-once result, durably.
      const filters = Object.fromEntries(this.subscriptions.map((s) => [s.filter, { qos: s.qos === 2 ? 1 : s.qos }])) as Record<string, { qos: 0 | 1 }>;
      client.subscribe(filters, (err) => {
        if (err) this.fail(err);
        else this.counters.ready = true;
      });
    });
    client.on('close', () => (this.counters.ready = false));
    this.client = client;
  }
}

/** Who may resend this publish: only QoS 1/2 messages, which carry a packet id, are resent. */
function senderOf(clientId: string, packet: { qos: number; messageId?: number | undefined }): { clientId: string; packetId: number } | null {
  return packet.qos > 0 && packet.messageId !== undefined ? { clientId, packetId: packet.messageId } : null;
}
