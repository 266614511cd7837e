/**
 * Message gets against JetStream without consumers. `leaderGet` asks the stream leader
 * ($JS.API.STREAM.MSG.GET, which in 2.9+ takes `next_by_subj` too): always current.
 * `directGet` asks any replica ($JS.API.DIRECT.GET, stream option allow_direct): spreads reads
 * over the cluster and keeps working while the leader is being elected, but a follower may lag
 * the newest acknowledged writes, so callers fall back to leaderGet where that matters.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { headers as newHeaders } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { Clock } from '@rivulet/shared';

export interface GotMessage {
  subject: string;
  seq: number;
  header(name: string): string;
  data: Uint8Array;
}

export type GetQuery = { seq: number } | { last_by_subj: string } | { seq: number; next_by_subj: string };

interface RawStoredMessage {
  subject: string;
  seq: number;
  hdrs?: string;
  data?: string;
}

interface RawReply {
  message?: RawStoredMessage;
  error?: { code: number; err_code: number; description: string };
}

/** Parses the NATS/1.0 header block the MSG.GET API returns base64-encoded. */
function parseHeaderBlock(block: Uint8Array): MsgHdrs {
  const h = newHeaders();
  const lines = new TextDecoder().decode(block).split('\r\n');
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return h;
}

export async function leaderGet(nc: NatsConnection, stream: string, query: GetQuery, timeoutMs: number): Promise<GotMessage | null> {
  const reply = await nc.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify(query), { timeout: timeoutMs });
  const body = reply.json<RawReply>();
  if (body.error) {
    // 10037: no message found
    if (body.error.err_code === 10037) return null;
    throw new JetStreamApiError({ code: body.error.code, err_code: body.error.err_code, description: body.error.description });
  }
  const m = body.message;
  if (!m) return null;
  const hdrs = m.hdrs ? parseHeaderBlock(Buffer.from(m.hdrs, 'base64')) : newHeaders();
  return { subject: m.subject, seq: m.seq, header: (n) => hdrs.get(n), data: m.data ? Buffer.from(m.data, 'base64') : new Uint8Array(0) };
}

export async function directGet(jsm: JetStreamManager, stream: string, query: GetQuery): Promise<GotMessage | null> {
  const m = await jsm.direct.getMessage(stream, query as Parameters<JetStreamManager['direct']['getMessage']>[1]);
  if (m === null) return null;
  return { subject: m.subject, seq: m.seq, header: (n) => m.header.get(n), data: m.data };
}

/**
 * Resolves once the stream has an elected leader (a replicated stream just created answers API
 * requests only then); throws after `timeoutMs`.
 */
export async function waitForLeader(jsm: JetStreamManager, stream: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 25; ; wait = Math.min(500, wait * 2)) {
    try {
      const info = await jsm.streams.info(stream);
      if (!info.cluster || info.cluster.leader) return;
    } catch (cause) {
      if (Date.now() >= deadline) throw cause;
    }
    if (Date.now() >= deadline) throw new Error(`stream ${stream} has no leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export interface LeaderFirstOptions {
  /** Each leader get's own timeout. */
  timeoutMs: number;
  /** How long a get waits for the leader before a replica's answer is used instead. */
  patienceMs: number;
  /** After the leader missed a get, how long gets go to the replicas first (until it answers again). */
  quietMs: number;
  clock: Clock;
  /**
   * Whether a replica's "no message" is an answer. A replica may lag the leader: true suits a
   * reader that only wants to catch up (a moment's lag is fine), false one for which "none"
   * means "does not exist" (it then waits for the leader, or fails with the leader's error).
   */
  trustReplicaNone: boolean;
}

/**
 * Gets that prefer the stream leader (always current) but do not stall while it is being
 * elected: every get asks the leader; if it has not answered within `patienceMs`, or failed, a
 * replica answers (direct get), and for `quietMs` after that replicas answer first, until a
 * leader get succeeds again.
 */
export class LeaderFirstGetter {
  /** Monotonic ms until which the leader is taken to be silent (being elected). */
  private quietUntilMs = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: LeaderFirstOptions,
  ) {}

  async get(stream: string, query: GetQuery): Promise<GotMessage | null> {
    const { clock } = this.options;
    const fromLeader = leaderGet(this.nc, stream, query, this.options.timeoutMs);
    fromLeader.then(
      () => (this.quietUntilMs = 0),
      () => undefined,
    );
    const quiet = clock.monotonicMs() < this.quietUntilMs;
    const early = quiet ? 'waiting' : await Promise.race([fromLeader.then(settled, failed), this.patience()]);
    if (early !== 'waiting' && early.ok) return early.msg;
    this.quietUntilMs = Math.max(this.quietUntilMs, clock.monotonicMs() + this.options.quietMs);
    const replica = await directGet(this.jsm, stream, query).then(settled, failed);
    if (replica.ok && (replica.msg !== null || this.options.trustReplicaNone)) return replica.msg;
    // The leader may yet answer; if it already failed, its error stands.
    if (early === 'waiting') return fromLeader;
    throw early.cause;
  }

  private patience(): Promise<'waiting'> {
    return new Promise((resolve) => this.options.clock.setTimer(() => resolve('waiting'), this.options.patienceMs));
  }
}

type Outcome = { ok: true; msg: GotMessage | null } | { ok: false; cause: unknown };
const settled = (msg: GotMessage | null): Outcome => ({ ok: true, msg });
const failed = (cause: unknown): Outcome => ({ ok: false, cause });
