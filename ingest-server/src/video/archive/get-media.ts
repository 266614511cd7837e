/**
 * GetMedia (Kinesis Video Media): the stored fragments from a start selector on, each a complete
 * MKV document back to back (as Kinesis Video sends chunks), then each new fragment as it
 * arrives. New fragments are found by polling the reader on the deps clock; the stream ends only
 * when the client goes away (destroy). No ffmpeg: the stored bytes are already MKV.
 */
import { Readable } from 'node:stream';
import { RivuletError, type TimerHandle } from '@rivulet/shared';
import type { FragmentRecord } from '../fragment-types.js';
import { resolveStream, secondsToMs, type ArchiveContext } from './context.js';
import type { GetMediaInput } from './schemas.js';

export type GetMediaRequest = GetMediaInput;

const POLL_MS = 500;
const BATCH = 16;

function invalid(message: string): RivuletError {
  return new RivuletError('VIDEO_INVALID_ARGUMENT', { message });
}

/** Where reading starts: a fragment number to start at (inclusive) or after (exclusive). */
type Cursor = { from: string | null; skip: string | null };

async function startCursor(ctx: ArchiveContext, streamName: string, sel: GetMediaRequest['StartSelector']): Promise<Cursor> {
  switch (sel.StartSelectorType) {
    case 'EARLIEST':
      return { from: null, skip: null };
    case 'NOW': {
      // Only fragments that arrive from now on: start after the newest stored one. Look in the
      // last minute first; only a stream idle for longer costs a full listing.
      const nowMs = ctx.clock.now();
      let recent = await ctx.reader.listByTime(streamName, 'SERVER_TIMESTAMP', nowMs - 60_000, nowMs);
      if (recent.length === 0) recent = await ctx.reader.listByTime(streamName, 'SERVER_TIMESTAMP', -8.64e15, nowMs);
      const newest = recent.reduce<FragmentRecord | null>((m, f) => (m === null || f.fragmentNumber > m.fragmentNumber ? f : m), null);
      return newest ? { from: newest.fragmentNumber, skip: newest.fragmentNumber } : { from: null, skip: null };
    }
    case 'FRAGMENT_NUMBER': {
      if (!sel.AfterFragmentNumber) throw invalid('AfterFragmentNumber must be set when StartSelectorType is FRAGMENT_NUMBER.');
      if (!(await ctx.reader.get(streamName, sel.AfterFragmentNumber))) throw new RivuletError('VIDEO_FRAGMENT_NOT_FOUND', { fragment: sel.AfterFragmentNumber, stream: streamName });
      return { from: sel.AfterFragmentNumber, skip: null };
    }
    case 'CONTINUATION_TOKEN':
      // Rivulet's continuation token is the number of the last fragment the client received.
      if (!sel.ContinuationToken) throw invalid('ContinuationToken must be set when StartSelectorType is CONTINUATION_TOKEN.');
      return { from: sel.ContinuationToken, skip: sel.ContinuationToken };
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      if (sel.StartTimestamp === undefined) throw invalid(`StartTimestamp must be set when StartSelectorType is ${sel.StartSelectorType}.`);
      const fromMs = secondsToMs(sel.StartTimestamp);
      const after = await ctx.reader.listByTime(streamName, sel.StartSelectorType, fromMs, 8.64e15);
      const first = after.reduce<FragmentRecord | null>((m, f) => (m === null || f.fragmentNumber < m.fragmentNumber ? f : m), null);
      // Nothing stored yet at or after that time: wait for what comes next.
      if (!first) return startCursor(ctx, streamName, { StartSelectorType: 'NOW' });
      return { from: first.fragmentNumber, skip: null };
    }
  }
}

/** Checks the request and returns the never-ending MKV stream. */
export async function getMedia(ctx: ArchiveContext, input: GetMediaRequest): Promise<Readable> {
  const info = await resolveStream(ctx, input);
  let cursor = await startCursor(ctx, info.streamName, input.StartSelector);
  const queue: FragmentRecord[] = [];
  let timer: TimerHandle | null = null;
  let busy = false;

  const stream = new Readable({
    read() {
      void pump();
    },
    destroy(err, callback) {
      timer?.cancel();
      timer = null;
      callback(err);
    },
  });

  async function pump(): Promise<void> {
    if (busy || stream.destroyed) return;
    busy = true;
    try {
      for (;;) {
        if (queue.length === 0) {
          const batch = await ctx.reader.listByNumber(info.streamName, cursor.from, BATCH + 1);
          queue.push(...batch.filter((f) => f.fragmentNumber !== cursor.skip));
          if (queue.length === 0) {
            timer = ctx.clock.setTimer(() => {
              timer = null;
              void pump();
            }, POLL_MS);
            return;
          }
        }
        const next = queue.shift() as FragmentRecord;
        cursor = { from: next.fragmentNumber, skip: next.fragmentNumber };
        const bytes = await ctx.reader.read(info.streamName, next.fragmentNumber);
        if (stream.destroyed) return;
        if (!stream.push(bytes)) return;
      }
    } catch (err) {
      ctx.logger.warn({ err, stream: info.streamName }, 'GetMedia stopped on a read failure');
      stream.destroy(err as Error);
    } finally {
      busy = false;
    }
  }
  return stream;
}
