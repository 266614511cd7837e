/**
 * Small durable values of the JetStream ShardStore (stream documents, producer states,
 * settings) in one replicated, KV-shaped JetStream stream `<prefix>-meta`: one subject per value,
 * `max_msgs_per_subject: 1`, so a put replaces and a purge of the subject deletes. It is what the
 * `@nats-io/kv` client builds, minus its ephemeral-consumer listing, which times out while a node
 * is down: values are listed by walking the stream with `next_by_subj` gets instead.
 *
 * Reads go to the stream leader (STREAM.MSG.GET), not to direct get, so a value written by any
 * process is always read back once acknowledged (a follower answering a direct get may lag).
 *
 * Several processes share it: a value's revision is its message's stream sequence, `putIf`
 * is a compare-and-set on it (`Nats-Expected-Last-Subject-Sequence`), a deleted value of a
 * followed kind is an empty tombstone message (so followers see the delete), and `changesAfter`
 * walks everything written above a revision.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '@rivulet/shared';
import { guarded, isWrongLastSequence } from './js-errors.js';
import { LeaderFirstGetter, leaderGet, waitForLeader } from './leader-get.js';

const LEADER_WAIT_MS = 30_000;
/** How long changesAfter waits for the meta stream's leader before any replica answers. */
const FOLLOW_LEADER_PATIENCE_MS = 750;
/** After the leader missed one, changesAfter's gets go to the replicas first for this long. */
const FOLLOW_QUIET_MS = 2_000;
import type { JetStreamNames, MetaKind } from './naming.js';

export class MetaStore {
  /** changesAfter's gets: see FOLLOW_LEADER_PATIENCE_MS. */
  private readonly follower: LeaderFirstGetter;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly names: JetStreamNames,
    private readonly replicas: number,
    private readonly timeoutMs: number,
    clock: Clock,
  ) {
    // A replica's "no newer change" is believed: followers only catch up, a moment's lag is fine.
    this.follower = new LeaderFirstGetter(nc, jsm, { timeoutMs, patienceMs: FOLLOW_LEADER_PATIENCE_MS, quietMs: FOLLOW_QUIET_MS, clock, trustReplicaNone: true });
  }

  async ensure(): Promise<void> {
    const name = this.names.metaStream();
    await guarded(`creating ${name}`, async () => {
      try {
        await this.jsm.streams.info(name);
      } catch {
        try {
          await this.jsm.streams.add({
            name,
            subjects: [this.names.metaSubjects()],
            num_replicas: this.replicas,
            max_msgs_per_subject: 1,
            allow_direct: true,
            allow_rollup_hdrs: true,
          });
        } catch (cause) {
          // Processes starting together race to create it: the loser finds it made.
          await this.jsm.streams.info(name).catch(() => Promise.reject(cause));
        }
      }
      // Processes starting together may see the stream before its replicas elected a leader.
      await waitForLeader(this.jsm, name, LEADER_WAIT_MS);
    });
  }

  async get(kind: MetaKind, name: string): Promise<string | null> {
    const version = await this.getVersion(kind, name);
    return version === null || version.value === '' ? null : version.value;
  }

  /** The value and its revision; a tombstone reads as value ''. */
  async getVersion(kind: MetaKind, name: string): Promise<MetaVersion | null> {
    const subject = this.names.metaSubject(kind, name);
    const msg = await guarded(`reading ${subject}`, () => leaderGet(this.nc, this.names.metaStream(), { last_by_subj: subject }, this.timeoutMs));
    return msg === null ? null : { name, value: new TextDecoder().decode(msg.data), revision: msg.seq };
  }

  /**
   * Writes if the value's revision is still `expected` (0: never written); the new revision, or
   * null on a conflict. The expected-last-subject-sequence check alone is not enough: in a
   * clustered stream nats-server 2.9 checks it against applied messages only, so two proposals
   * in flight with the same expectation both pass. The msg id `<subject>@<expected>` closes that
   * gap: the leader tracks in-flight msg ids, so the second of two such writes is a duplicate.
   */
  async putIf(kind: MetaKind, name: string, value: string, expected: number): Promise<number | null> {
    const subject = this.names.metaSubject(kind, name);
    return guarded(`writing ${subject}`, async () => {
      try {
        const ack = await this.js.publish(subject, value, { timeout: this.timeoutMs, msgID: `${subject}@${expected}`, expect: { lastSubjectSequence: expected } });
        return ack.duplicate ? null : ack.seq;
      } catch (cause) {
        if (isWrongLastSequence(cause)) return null;
        throw cause;
      }
    });
  }

  /**
   * Every value of `kind` written above `revision` (tombstones as ''), oldest first. Every
   * request of every process asks this first, so it must not stall while the meta stream elects
   * a leader: the leader gets FOLLOW_LEADER_PATIENCE_MS to answer, then any replica answers
   * (direct get, possibly a moment behind), first, for FOLLOW_QUIET_MS (LeaderFirstGetter).
   */
  async changesAfter(kind: MetaKind, revision: number): Promise<MetaVersion[]> {
    const out: MetaVersion[] = [];
    const filter = this.names.metaKindSubjects(kind);
    let seq = revision + 1;
    for (;;) {
      const msg = await guarded(`following ${filter}`, () => this.follower.get(this.names.metaStream(), { seq, next_by_subj: filter }));
      if (msg === null) return out;
      out.push({ name: this.names.metaNameOf(kind, msg.subject), value: new TextDecoder().decode(msg.data), revision: msg.seq });
      seq = msg.seq + 1;
    }
  }

  async put(kind: MetaKind, name: string, value: string): Promise<void> {
    const subject = this.names.metaSubject(kind, name);
    await guarded(`writing ${subject}`, () => this.js.publish(subject, value, { timeout: this.timeoutMs }));
  }

  /** Every live value of `kind`, by name. */
  async list(kind: MetaKind): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const v of await this.changesAfter(kind, 0)) if (v.value !== '') out.set(v.name, v.value);
    return out;
  }
}

export interface MetaVersion {
  name: string;
  value: string;
  revision: number;
}
