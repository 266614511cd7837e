/**
 * Marks where an MPEG-TS segment begins. Each segment is muxed by its own ffmpeg run, so its
 * continuity counters restart at 0; a demuxer that reads segments back to back (ffmpeg's HLS
 * demuxer) then flags the first packets as corrupt. Setting the adaptation field's
 * discontinuity_indicator (ISO/IEC 13818-1 §2.4.3.5) on the first packet of each PID that has
 * one says the counter jump is intended. Works on 188-byte packets as they stream through.
 */
import { Transform, type TransformCallback } from 'node:stream';

const PACKET = 188;
const SYNC = 0x47;

export class TsDiscontinuityMarker extends Transform {
  private readonly seen = new Set<number>();
  private rest: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const whole = data.length - (data.length % PACKET);
    for (let pos = 0; pos < whole; pos += PACKET) this.mark(data, pos);
    this.rest = Buffer.from(data.subarray(whole));
    if (whole > 0) this.push(data.subarray(0, whole));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.rest.length > 0) this.push(this.rest);
    done();
  }

  private mark(data: Buffer, pos: number): void {
    if (data[pos] !== SYNC) return;
    const pid = (((data[pos + 1] as number) & 0x1f) << 8) | (data[pos + 2] as number);
    if (this.seen.has(pid)) return;
    const hasAdaptation = ((data[pos + 3] as number) & 0x20) !== 0;
    // Adaptation field length 0 has no flags byte to set.
    if (!hasAdaptation || data[pos + 4] === 0) return;
    data[pos + 5] = (data[pos + 5] as number) | 0x80;
    this.seen.add(pid);
  }
}
