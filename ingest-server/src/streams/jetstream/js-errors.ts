/**
 * How JetStream client failures become RivuletErrors: a refusal the server gave (a JetStream
 * API error) is a storage failure (500) unless it says no leader or quorum answered, anything else (timeouts, no responders while a leader
 * is elected, a closed or reconnecting connection) means no quorum answered in time and is
 * retryable (503 ServiceUnavailable, which the AWS SDKs retry).
 */
import { RivuletError } from '@rivulet/shared';
import { JetStreamApiError } from '@nats-io/jetstream';

export function storageError(what: string, cause: unknown): RivuletError {
  if (cause instanceof RivuletError) return cause;
  const message = `${what}: ${cause instanceof Error ? cause.message : String(cause)}`;
  if (cause instanceof JetStreamApiError && !isTransientApiError(cause)) return new RivuletError('STREAMS_STORAGE', { message }, { cause });
  return new RivuletError('STREAMS_STORAGE_UNAVAILABLE', { message }, { cause });
}

/**
 * JetStream API refusals that mean "no quorum or leader right now" rather than "no": status 503
 * (10008, JetStream system temporarily unavailable, while a meta or stream leader is elected)
 * and 10118 (stream offline, its peers are not yet back).
 */
const TRANSIENT_ERR_CODES = new Set([10008, 10118]);
function isTransientApiError(cause: JetStreamApiError): boolean {
  return cause.status === 503 || TRANSIENT_ERR_CODES.has(cause.code);
}

/** Runs `op`, turning whatever it throws into a RivuletError naming `what`. */
export async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (cause) {
    throw storageError(what, cause);
  }
}

/** JetStream's "wrong last sequence" refusal of an expected-last-subject-sequence publish. */
export function isWrongLastSequence(cause: unknown): boolean {
  return cause instanceof JetStreamApiError && cause.code === 10071;
}

/** A publish nothing received: no stream (any more) captures the subject, or none is reachable now. */
export function isNoResponders(cause: unknown): boolean {
  return cause instanceof Error && cause.name === 'JetStreamNotEnabled';
}
