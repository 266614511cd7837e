/**
 * Reads one object of the JetStream object store without a consumer. @nats-io/obj's get makes
 * an ordered push consumer per read, and with a node down about a third of those creations
 * time out; message gets need no consumer, so reads here are only gets:
 * - The metadata (`$O.<b>.M.<name>`) comes from the stream leader ($JS.API.STREAM.MSG.GET,
 *   always current, so a put that resolved is seen). If the leader has not answered within
 *   `leaderPatienceMs` (it was on the killed node and a new one is being elected), any replica's
 *   answer is taken instead (direct get, stream option allow_direct); a replica's "none" is not
 *   believed, since a replica may lag. Once the leader missed a read, reads go to the replicas
 *   first for QUIET_MS, or until a leader get (still sent with each read) answers again
 *   (LeaderFirstGetter, shared with the streams' meta store). So
 *   during an election a read may return the previous version of an object that was just
 *   replaced, never a mix of two.
 * - The chunks (`$O.<b>.C.<nuid>`) are walked with direct gets (`next_by_subj` from a sequence),
 *   spreading reads over the replicas; a replica that has no next chunk is asked again through
 *   the leader (it may lag). Chunks need no max_payload beyond the one they were written with.
 * - The bytes are checked against the size and the SHA-256 digest in the metadata. A chunk that
 *   is gone because the object was replaced or deleted meanwhile restarts the read from fresh
 *   metadata; one gone while the metadata stayed is a storage failure.
 * Owns the read path only; errors other than BLOB_STORAGE are left to the caller's retry.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { RivuletError, type Clock } from '@rivulet/shared';
import { directGet, LeaderFirstGetter, leaderGet, type GetQuery, type GotMessage } from '../streams/jetstream/leader-get.js';
import { digestMatches, parseObjectMeta, type ObjectMeta, type ObjectSubjects } from './object-subjects.js';

export interface ObjectReaderOptions {
  timeoutMs: number;
  /** How long a leader get may take before a replica's answer is used instead. */
  leaderPatienceMs: number;
  clock: Clock;
}

interface FoundMeta {
  seq: number;
  meta: ObjectMeta;
}

/** Reads restarted because the object changed under them, before giving up (retryably). */
const MAX_RESTARTS = 5;
/** After the leader missed a read, how long reads go to the replicas first (until it answers again). */
const QUIET_MS = 2_000;

export class ObjectReader {
  /** Metadata gets; a replica's "none" is not believed (it may lag a put that resolved). */
  private readonly metaGets: LeaderFirstGetter;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly subjects: ObjectSubjects,
    private readonly options: ObjectReaderOptions,
  ) {
    this.metaGets = new LeaderFirstGetter(nc, jsm, { timeoutMs: options.timeoutMs, patienceMs: options.leaderPatienceMs, quietMs: QUIET_MS, clock: options.clock, trustReplicaNone: false });
  }

  async read(key: string): Promise<Buffer | null> {
    for (let restart = 0; restart < MAX_RESTARTS; restart++) {
      const found = await this.meta(key);
      if (found === null || found.meta.deleted === true) return null;
      if (found.meta.size === 0) return Buffer.alloc(0);
      const parts = await this.chunks(found.meta);
      if (parts === null) {
        // Replaced or deleted since the metadata was read: read the current version.
        const now = await this.meta(key);
        if (now === null || now.seq !== found.seq) continue;
        throw new RivuletError('BLOB_STORAGE', { message: `object ${key} has lost chunks of ${this.subjects.chunkSubject(found.meta.nuid)}` });
      }
      const bytes = Buffer.concat(parts);
      if (bytes.length !== found.meta.size || !digestMatches(found.meta, bytes)) {
        throw new RivuletError('BLOB_STORAGE', { message: `object ${key} does not match its size ${found.meta.size} or digest` });
      }
      return bytes;
    }
    throw new RivuletError('BLOB_STORAGE_UNAVAILABLE', { message: `object ${key} kept changing while it was read` });
  }

  /** The object's current metadata message, from the leader or (while it is silent) a replica. */
  async meta(key: string): Promise<FoundMeta | null> {
    const msg = await this.metaGets.get(this.subjects.stream, { last_by_subj: this.subjects.metaSubject(key) });
    return msg === null ? null : this.found(msg);
  }

  private found(msg: GotMessage): FoundMeta {
    return { seq: msg.seq, meta: parseObjectMeta(msg.data, `${this.subjects.stream} message ${msg.seq}`) };
  }

  /** The object's current metadata message from the leader (for a delete, which must not act on a stale revision). */
  async leaderMeta(key: string): Promise<FoundMeta | null> {
    const msg = await leaderGet(this.nc, this.subjects.stream, { last_by_subj: this.subjects.metaSubject(key) }, this.options.timeoutMs);
    return msg === null ? null : this.found(msg);
  }

  /** The object's chunks in order, or null if one is missing. */
  private async chunks(meta: ObjectMeta): Promise<Uint8Array[] | null> {
    const subject = this.subjects.chunkSubject(meta.nuid);
    const parts: Uint8Array[] = [];
    let cursor = 1;
    for (let i = 0; i < meta.chunks; i++) {
      const query: GetQuery = { seq: cursor, next_by_subj: subject };
      const msg = (await directGet(this.jsm, this.subjects.stream, query).catch(() => null)) ?? (await leaderGet(this.nc, this.subjects.stream, query, this.options.timeoutMs));
      if (msg === null) return null;
      parts.push(msg.data);
      cursor = msg.seq + 1;
    }
    return parts;
  }
}
