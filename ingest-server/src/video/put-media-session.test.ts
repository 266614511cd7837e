/**
 * PutMediaSession without HTTP: ordering of acknowledgements around slow stores, abandoned
 * fragments, and IDLE timing on a ManualClock. The writer is an in-memory stand-in (the real
 * store is being written in parallel by another helper).
 */
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type PutMediaAck } from '@rivulet/shared';
import { mkvSegments } from '../../../test/fixtures/mkv-ffmpeg.js';
import type { FragmentWriter } from './fragment-types.js';
import { PutMediaSession } from './put-media-session.js';

let segments: Buffer[];
beforeAll(async () => {
  segments = await mkvSegments();
});

/** Appends resolve only when the test releases them. */
class GatedWriter implements FragmentWriter {
  readonly stored: number[] = [];
  private readonly gates: (() => void)[] = [];

  append(_stream: string, fragment: { producerTimestampMs: number }) {
    return new Promise<{ fragmentNumber: string; duplicate: boolean }>((resolve) => {
      this.gates.push(() => {
        this.stored.push(fragment.producerTimestampMs);
        resolve({ fragmentNumber: String(this.stored.length), duplicate: false });
      });
    });
  }

  release(): void {
    this.gates.shift()?.();
  }
}

function session(writer: FragmentWriter, clock = new ManualClock()) {
  const acks: PutMediaAck[] = [];
  const s = new PutMediaSession({ writer, clock, logger: pino({ level: 'silent' }) }, { streamName: 'cam', timecodeType: 'ABSOLUTE', producerStartMs: 0 }, (a) => acks.push(a));
  return { s, acks, clock };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('PutMediaSession', () => {
  it('sends an ERROR only after the PERSISTED of every fragment before it', async () => {
    const writer = new GatedWriter();
    const { s, acks } = session(writer);
    await s.push(Buffer.concat([segments[0] as Buffer, Buffer.from('junk')]));
    expect(s.done).toBe(true);
    const ended = s.end();
    await flush();
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED']);
    writer.release();
    await ended;
    expect(acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR']);
  });

  it('stores the complete fragments of an abandoned request but nothing of the partial one', async () => {
    const writer = new GatedWriter();
    const { s } = session(writer);
    const [first, second] = segments as [Buffer, Buffer];
    await s.push(Buffer.concat([first, second.subarray(0, 1000)]));
    s.abort();
    await flush();
    writer.release();
    await s.settled();
    expect(writer.stored).toHaveLength(1);
    await s.push(second.subarray(1000));
    await s.end();
    expect(writer.stored).toHaveLength(1);
  });

  it('sends IDLE only after a whole interval without data, and none once done', async () => {
    const writer = new GatedWriter();
    const { s, acks, clock } = session(writer);
    clock.advance(2_000);
    await s.push((segments[0] as Buffer).subarray(0, 100));
    clock.advance(2_000);
    expect(acks.filter((a) => a.EventType === 'IDLE')).toHaveLength(0);
    clock.advance(3_000);
    expect(acks.filter((a) => a.EventType === 'IDLE')).toHaveLength(1);
    s.abort();
    clock.advance(10_000);
    expect(acks.filter((a) => a.EventType === 'IDLE')).toHaveLength(1);
  });
});
