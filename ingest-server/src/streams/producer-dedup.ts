/**
 * Idempotent producers (a Rivulet extension). A producer sends an id and a batch sequence number
 * in headers; a retried batch is answered with the original response and nothing is stored twice.
 *
 * Invariants:
 * - The producer's last (sequence, response) is committed in the same store batch as the batch's
 *   records, so after a crash either both exist or neither does.
 * - Batches of one producer run one at a time, so a retry racing its original waits for it.
 * - A sequence below the last accepted one is refused: its response is no longer kept.
 * - On a store several processes share, states are not cached (another process may have moved
 *   the producer on), and batches are serialized per process only: a retry sent to another
 *   process while its original is still running there is not recognised (README "Scaling out").
 */
import { RivuletError } from '@rivulet/shared';
import type { ProducerWrite, ShardStore } from './store.js';

interface ProducerState {
  seq: number;
  response: string;
}

export type PersistResponse = (response: string) => ProducerWrite;

const MAX_CACHED_PRODUCERS = 10_000;

export class ProducerDedup {
  private readonly cache = new Map<string, ProducerState>();
  private readonly tails = new Map<string, Promise<unknown>>();

  private readonly caching: boolean;

  constructor(
    private readonly store: ShardStore,
    options: { cache?: boolean } = {},
  ) {
    this.caching = options.cache ?? true;
  }

  /** Runs `execute` once per (producerId, seq); returns its response, or the stored one on retry. */
  async run(producerId: string, seq: number, execute: (persist: PersistResponse) => Promise<string>): Promise<{ response: string; replayed: boolean }> {
    const previous = this.tails.get(producerId) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(() => this.runNow(producerId, seq, execute));
    this.tails.set(producerId, turn);
    try {
      return await turn;
    } finally {
      if (this.tails.get(producerId) === turn) this.tails.delete(producerId);
    }
  }

  private async runNow(producerId: string, seq: number, execute: (persist: PersistResponse) => Promise<string>) {
    const state = await this.load(producerId);
    if (state && seq === state.seq) return { response: state.response, replayed: true };
    if (state && seq < state.seq) {
      throw new RivuletError('STREAMS_INVALID_ARGUMENT', {
        message: `Producer ${producerId} sent batch sequence ${seq}, older than its last accepted batch ${state.seq}`,
      });
    }
    const response = await execute((text) => ({ producerId, state: JSON.stringify({ seq, response: text } satisfies ProducerState) }));
    this.remember(producerId, { seq, response });
    return { response, replayed: false };
  }

  private async load(producerId: string): Promise<ProducerState | null> {
    const cached = this.cache.get(producerId);
    if (cached) return cached;
    const text = await this.store.loadProducer(producerId);
    if (text === null) return null;
    const state = JSON.parse(text) as ProducerState;
    this.remember(producerId, state);
    return state;
  }

  private remember(producerId: string, state: ProducerState): void {
    if (!this.caching) return;
    this.cache.delete(producerId);
    this.cache.set(producerId, state);
    if (this.cache.size > MAX_CACHED_PRODUCERS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
