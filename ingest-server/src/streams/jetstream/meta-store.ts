/**
 * Small durable values of the JetStream ShardStore (stream documents, producer states,
 * settings) in one replicated, KV-shaped JetStream stream `<prefix>-meta`: one subject per value,
 * `max_msgs_per_subject: 1`, so a put replaces and a purge of the subject deletes. It is what the
 * `@nats-io/kv` client builds, minus its ephemeral-consumer listing, which times out while a node
 * is down: values are listed by walking the stream with `next_by_subj` gets instead.
 *
 * Reads go to the stream leader (STREAM.MSG.GET), not to direct get, so a value written by this
 * process is always read back (a follower answering a direct get may lag the acknowledged write).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { guarded } from './js-errors.js';
import { leaderGet } from './leader-get.js';
import type { JetStreamNames, MetaKind } from './naming.js';

export class MetaStore {
  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly names: JetStreamNames,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  async ensure(): Promise<void> {
    const name = this.names.metaStream();
    await guarded(`creating ${name}`, async () => {
      try {
        await this.jsm.streams.info(name);
      } catch {
        await this.jsm.streams.add({
          name,
          subjects: [this.names.metaSubjects()],
          num_replicas: this.replicas,
          max_msgs_per_subject: 1,
          allow_direct: true,
          allow_rollup_hdrs: true,
        });
      }
    });
  }

  async get(kind: MetaKind, name: string): Promise<string | null> {
    const subject = this.names.metaSubject(kind, name);
    const msg = await guarded(`reading ${subject}`, () => leaderGet(this.nc, this.names.metaStream(), { last_by_subj: subject }, this.timeoutMs));
    return msg === null ? null : new TextDecoder().decode(msg.data);
  }

  async put(kind: MetaKind, name: string, value: string): Promise<void> {
    const subject = this.names.metaSubject(kind, name);
    await guarded(`writing ${subject}`, () => this.js.publish(subject, value, { timeout: this.timeoutMs }));
  }

  async delete(kind: MetaKind, name: string): Promise<void> {
    const subject = this.names.metaSubject(kind, name);
    await guarded(`deleting ${subject}`, () => this.jsm.streams.purge(this.names.metaStream(), { filter: subject }));
  }

  /** Every value of `kind`, by name, walking the stream in sequence order with leader gets. */
  async list(kind: MetaKind): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const filter = this.names.metaKindSubjects(kind);
    let seq = 1;
    for (;;) {
      const msg = await guarded(`listing ${filter}`, () => leaderGet(this.nc, this.names.metaStream(), { seq, next_by_subj: filter }, this.timeoutMs));
      if (msg === null) return out;
      out.set(this.names.metaNameOf(kind, msg.subject), new TextDecoder().decode(msg.data));
      seq = msg.seq + 1;
    }
  }
}
