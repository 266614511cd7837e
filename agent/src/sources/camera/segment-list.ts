/**
 * Reads the segment list ffmpeg's segment muxer writes to stdout (`-segment_list pipe:1
 * -segment_list_type csv`): one line per finished segment, `name,start,end`, times in seconds on
 * the run's timeline. A line is printed only after the segment's trailer is written, so an entry
 * is the signal that a fragment is complete. Owns the line framing (chunks split lines anywhere)
 * and the CSV decoding; it does not touch files or decide what a segment means.
 *
 * ffmpeg (libavformat/segment.c) quotes a name that holds `"`, `,`, CR or LF, doubling inner
 * quotes, and prints the times with %f; the name is the segment's base name.
 */

export interface SegmentEntry {
  /** The segment's file name as ffmpeg printed it (its base name). */
  file: string;
  startSec: number;
  endSec: number;
}

/** Decodes one list line; null when it is not `name,start,end`. */
export function parseSegmentLine(line: string): SegmentEntry | null {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  // The times never hold commas, so the last two commas end the name, quoted or not.
  const last = text.lastIndexOf(',');
  const middle = last > 0 ? text.lastIndexOf(',', last - 1) : -1;
  if (middle <= 0) return null;
  const startSec = Number(text.slice(middle + 1, last));
  const endSec = Number(text.slice(last + 1));
  if (!isTime(text.slice(middle + 1, last)) || !isTime(text.slice(last + 1))) return null;
  const file = unquote(text.slice(0, middle));
  if (file === null || file === '') return null;
  return { file, startSec, endSec };
}

function isTime(field: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(field);
}

function unquote(field: string): string | null {
  if (!field.startsWith('"')) return field.includes('"') ? null : field;
  if (field.length < 2 || !field.endsWith('"')) return null;
  const inner = field.slice(1, -1);
  if (inner.replace(/""/g, '').includes('"')) return null;
  return inner.replace(/""/g, '"');
}

/**
 * Frames stdout chunks into entries. A quoted name may hold a newline, so a line that opens a
 * quote and does not close it waits for the next one.
 */
export class SegmentListReader {
  private pending = '';

  /** @param onInvalid called with each line that is not an entry (ffmpeg never prints one; a wrong flag might). */
  constructor(private readonly onInvalid: (line: string) => void = () => {}) {}

  push(chunk: Buffer | string): SegmentEntry[] {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const entries: SegmentEntry[] = [];
    let from = 0;
    for (;;) {
      const newline = this.findLineEnd(from);
      if (newline < 0) break;
      const line = this.pending.slice(from, newline);
      from = newline + 1;
      if (line.trim() === '') continue;
      const entry = parseSegmentLine(line);
      if (entry) entries.push(entry);
      else this.onInvalid(line);
    }
    this.pending = this.pending.slice(from);
    return entries;
  }

  /** Whatever was left without a newline (ffmpeg always ends a line; this only reports a torn tail). */
  rest(): string {
    return this.pending;
  }

  /** The index of the newline that ends the line starting at `from`, past a quoted name; -1 if none yet. */
  private findLineEnd(from: number): number {
    if (this.pending[from] !== '"') return this.pending.indexOf('\n', from);
    for (let i = from + 1; i < this.pending.length; i++) {
      if (this.pending[i] !== '"') continue;
      if (this.pending[i + 1] === '"') {
        i++;
        continue;
      }
      return this.pending.indexOf('\n', i + 1);
    }
    return -1;
  }
}
