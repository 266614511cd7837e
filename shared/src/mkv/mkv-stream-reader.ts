/**
 * A streaming Matroska (MKV) reader. Fed Buffer chunks as they arrive, it splits the byte stream
 * into complete MKV documents (an EBML header, then one Segment) and reports, for each, its
 * bytes, TimecodeScale, tracks, and clusters with their blocks (track, relative timecode,
 * keyframe flag). It reads only the few elements it needs and skips the rest, frame data
 * included.
 *
 * Invariants:
 * - Memory is bounded: a document larger than maxDocumentBytes is refused as soon as that is
 *   known (from a size field or from bytes buffered), and a chunk is taken in slices of at most
 *   SLICE_BYTES, so no more than maxDocumentBytes + SLICE_BYTES is ever held.
 * - Every failure is a RivuletError (VIDEO_INVALID_MKV or VIDEO_FRAGMENT_TOO_LARGE), reported as
 *   the last event of the call that found it, after the events before it (a document completed in
 *   the same chunk is not lost); push() and end() never throw. After a failure the reader stays
 *   failed. Garbage or truncated input cannot make it loop or wait forever:
 *   each step consumes bytes or stops for more, and end() reports whatever is left incomplete.
 * - Unknown sizes (ffmpeg on a pipe) are allowed for Segment and Cluster only: an unknown-size
 *   Cluster ends where a Segment-level element begins, an unknown-size Segment where the next
 *   EBML header begins or the input ends (Matroska spec, "Unknown-Sized Element").
 * Does not own: what makes a document an acceptable fragment (mkv-summary.ts and PutMedia).
 */
import { VIDEO_LIMITS } from '../video.js';
import { RivuletError } from '../errors.js';
import { MKV_IDS, SEGMENT_LEVEL_IDS, readElementId, readElementSize, readUnsigned } from './ebml.js';
import type { MkvBlock, MkvCluster, MkvEvent, MkvStreamReaderOptions, MkvTrack } from './mkv-types.js';

export type { MkvBlock, MkvCluster, MkvDocument, MkvEvent, MkvStreamReaderOptions, MkvTrack } from './mkv-types.js';

export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;
const SLICE_BYTES = 1024 * 1024;
const MIN_CAPACITY = 64 * 1024;

/** Masters the reader descends into; any other element is skipped whole. */
const MASTERS: ReadonlySet<number> = new Set([
  MKV_IDS.ebml, MKV_IDS.segment, MKV_IDS.info, MKV_IDS.tracks, MKV_IDS.trackEntry, MKV_IDS.cluster, MKV_IDS.blockGroup,
]);

/** Leaves whose content the reader needs, by parent, with the most bytes it will accept. */
const LEAF_LIMITS = new Map<string, number>([
  [`${MKV_IDS.ebml}/${MKV_IDS.docType}`, 64],
  [`${MKV_IDS.info}/${MKV_IDS.timecodeScale}`, 8],
  [`${MKV_IDS.trackEntry}/${MKV_IDS.trackNumber}`, 8],
  [`${MKV_IDS.trackEntry}/${MKV_IDS.trackType}`, 8],
  [`${MKV_IDS.trackEntry}/${MKV_IDS.codecId}`, 256],
  [`${MKV_IDS.cluster}/${MKV_IDS.timecode}`, 8],
]);

interface Container {
  id: number;
  /** Document-relative end offset; null for unknown size. */
  end: number | null;
}

interface DocState {
  docType: string | null;
  timecodeScaleNs: number;
  tracks: MkvTrack[];
  clusters: MkvCluster[];
  sawSegment: boolean;
  blockCount: number;
  track: { number: number | null; type: number | null; codecId: string | null } | null;
  cluster: MkvCluster | null;
  clusterHasTimecode: boolean;
  group: { block: MkvBlock | null; hasReference: boolean } | null;
}

/**
 * @example
 * const reader = new MkvStreamReader();
 * for await (const chunk of body) for (const e of reader.push(chunk)) if (e.type === 'document') store(e.document);
 * for (const e of reader.end()) if (e.type === 'error') refuse(e.error);
 */
export class MkvStreamReader {
  private readonly maxDocumentBytes: number;
  private readonly maxBlocks: number;
  private buf = Buffer.alloc(0);
  /** Bytes buffered; buf[0] is the start of the current document (or of unparsed input). */
  private len = 0;
  /** Parse cursor, relative to buf[0]; may run past len while skipping data not yet received. */
  private pos = 0;
  /** Bytes already handed out or dropped before buf[0], for error offsets. */
  private consumed = 0;
  private readonly stack: Container[] = [];
  private doc: DocState | null = null;
  private failure: RivuletError | null = null;
  private events: MkvEvent[] = [];

  constructor(opts: MkvStreamReaderOptions = {}) {
    this.maxDocumentBytes = opts.maxDocumentBytes ?? VIDEO_LIMITS.maxFragmentBytes;
    this.maxBlocks = opts.maxBlocks ?? 200_000;
  }

  /** Takes the next bytes; returns what they completed, ending with an error event on bad input. */
  push(chunk: Buffer): MkvEvent[] {
    if (this.failure) return [{ type: 'error', error: this.failure }];
    this.events = [];
    for (let at = 0; at < chunk.length && !this.failure; at += SLICE_BYTES) {
      this.append(chunk.subarray(at, Math.min(chunk.length, at + SLICE_BYTES)));
      this.guard(() => this.parse());
    }
    return this.events;
  }

  /** The input is over: completes a document whose Segment has unknown size, or reports truncation. */
  end(): MkvEvent[] {
    if (this.failure) return [{ type: 'error', error: this.failure }];
    this.events = [];
    this.guard(() => {
      this.parse();
      if (this.pos !== this.len) this.fail(this.pos > this.len ? 'input ends inside an element' : 'input ends inside an element header');
      while (this.stack.length > 0) {
        const top = this.stack[this.stack.length - 1] as Container;
        if (top.end !== null) this.fail(`input ends inside element 0x${top.id.toString(16)}`);
        this.close();
      }
      if (this.doc) this.fail('document has no Segment');
    });
    return this.events;
  }

  /** True when bytes of an unfinished document are buffered. */
  get inDocument(): boolean {
    return this.doc !== null;
  }

  /** The failure that stopped the reader, if any. */
  get error(): RivuletError | null {
    return this.failure;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failure =
        err instanceof RivuletError ? err : new RivuletError('VIDEO_INVALID_MKV', { offset: this.consumed + this.pos, message: 'unreadable data' }, { cause: err });
      this.buf = Buffer.alloc(0);
      this.len = 0;
      this.doc = null;
      this.events.push({ type: 'error', error: this.failure });
    }
  }

  private fail(message: string): never {
    throw new RivuletError('VIDEO_INVALID_MKV', { offset: this.consumed + this.pos, message });
  }

  private tooLarge(): never {
    throw new RivuletError('VIDEO_FRAGMENT_TOO_LARGE', { limit: this.maxDocumentBytes });
  }

  private append(bytes: Buffer): void {
    const need = this.len + bytes.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, need, Math.min(this.buf.length * 2, this.maxDocumentBytes + SLICE_BYTES)));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    bytes.copy(this.buf, this.len);
    this.len = need;
  }

  private parse(): void {
    for (;;) {
      if (this.pos > this.len) break;
      const top = this.stack[this.stack.length - 1];
      if (top && top.end !== null && this.pos >= top.end) {
        this.close();
        continue;
      }
      const id = readElementId(this.buf, this.pos, this.len);
      if (id === 'invalid') this.fail('invalid element id');
      if (id === 'need-more') break;
      const elementId = id.value as number;
      // An unknown-size element ends where an element that cannot be its child begins.
      if (top && top.end === null && !canContain(top.id, elementId)) {
        this.close();
        continue;
      }
      const size = readElementSize(this.buf, this.pos + id.length, this.len);
      if (size === 'invalid') this.fail('invalid element size');
      if (size === 'need-more') break;
      if (!this.element(elementId, this.pos + id.length + size.length, size.value, top)) break;
    }
    if (this.doc && this.len > this.maxDocumentBytes) this.tooLarge();
    // Between documents nothing needs keeping (skipped top-level Void, say).
    if (!this.doc && this.pos > 0 && this.pos <= this.len) this.shift(this.pos);
  }

  /** Handles the element whose header starts at the cursor; false when its bytes are not all here yet. */
  private element(id: number, dataStart: number, size: number | null, parent: Container | undefined): boolean {
    const end = size === null ? null : dataStart + size;
    if (end !== null && end > this.maxDocumentBytes) this.tooLarge();
    if (end !== null && parent?.end != null && end > parent.end) this.fail(`element 0x${id.toString(16)} overruns its parent`);
    if (!parent) return this.topLevel(id, dataStart, end);
    // Unknown-size parents were closed before this; inside a sized one it means truncation.
    if (id === MKV_IDS.ebml || id === MKV_IDS.segment) this.fail('a new document starts inside this one: it is truncated');
    if (MASTERS.has(id) && id !== MKV_IDS.ebml && id !== MKV_IDS.segment) return this.open(id, dataStart, end, parent.id);
    if (end === null) this.fail(`element 0x${id.toString(16)} has unknown size`);
    if (id === MKV_IDS.simpleBlock || id === MKV_IDS.block) return this.block(id, dataStart, end, parent.id);
    const limit = LEAF_LIMITS.get(`${parent.id}/${id}`);
    if (limit !== undefined) {
      if (end - dataStart > limit) this.fail(`element 0x${id.toString(16)} is too long`);
      if (end > this.len) return false;
      this.leaf(id, parent.id, dataStart, end);
    }
    if (id === MKV_IDS.referenceBlock && parent.id === MKV_IDS.blockGroup && this.doc?.group) this.doc.group.hasReference = true;
    this.pos = end;
    return true;
  }

  private topLevel(id: number, dataStart: number, end: number | null): boolean {
    if (id === MKV_IDS.void || id === MKV_IDS.crc32) {
      if (end === null) this.fail('top-level Void of unknown size');
      this.pos = end;
      return true;
    }
    if (id === MKV_IDS.ebml) {
      if (this.doc) this.fail('EBML header inside a document without a Segment');
      if (end === null) this.fail('EBML header of unknown size');
      const dropped = this.pos;
      this.startDocument();
      this.stack.push({ id, end: end - dropped });
      this.pos = dataStart - dropped;
      return true;
    }
    if (id === MKV_IDS.segment) {
      if (!this.doc || this.doc.sawSegment) this.fail(this.doc ? 'second Segment in one document' : 'Segment without an EBML header');
      this.doc.sawSegment = true;
      this.stack.push({ id, end });
      this.pos = dataStart;
      return true;
    }
    this.fail(`unexpected top-level element 0x${id.toString(16)}`);
  }

  private startDocument(): void {
    // Bytes before this header (top-level Void) are dropped so the document starts at buf[0].
    this.shift(this.pos);
    this.doc = {
      docType: null, timecodeScaleNs: DEFAULT_TIMECODE_SCALE_NS, tracks: [], clusters: [], sawSegment: false, blockCount: 0,
      track: null, cluster: null, clusterHasTimecode: false, group: null,
    };
    this.events.push({ type: 'document-start' });
  }

  private open(id: number, dataStart: number, end: number | null, parentId: number): boolean {
    const doc = this.doc as DocState;
    if (end === null && !(id === MKV_IDS.cluster && parentId === MKV_IDS.segment)) this.fail(`element 0x${id.toString(16)} has unknown size`);
    if (id === MKV_IDS.trackEntry) doc.track = { number: null, type: null, codecId: null };
    if (id === MKV_IDS.cluster) {
      doc.cluster = { timecode: 0, blocks: [] };
      doc.clusterHasTimecode = false;
    }
    if (id === MKV_IDS.blockGroup) doc.group = { block: null, hasReference: false };
    this.stack.push({ id, end });
    this.pos = dataStart;
    return true;
  }

  /** Pops the innermost container, ending it at the cursor. */
  private close(): void {
    const top = this.stack.pop() as Container;
    const doc = this.doc as DocState;
    switch (top.id) {
      case MKV_IDS.ebml:
        if (doc.docType !== null && doc.docType !== 'matroska' && doc.docType !== 'webm') this.fail(`DocType ${JSON.stringify(doc.docType)} is not Matroska`);
        break;
      case MKV_IDS.trackEntry:
        if (doc.track?.number == null || doc.track.number === 0) this.fail('TrackEntry without a TrackNumber');
        doc.tracks.push({ number: doc.track.number, type: doc.track.type, codecId: doc.track.codecId });
        doc.track = null;
        break;
      case MKV_IDS.cluster:
        if (doc.cluster && doc.clusterHasTimecode) doc.clusters.push(doc.cluster);
        else if (doc.cluster) this.fail('Cluster without a Timecode');
        doc.cluster = null;
        break;
      case MKV_IDS.blockGroup:
        if (!doc.group?.block) this.fail('BlockGroup without a Block');
        this.addBlock({ ...doc.group.block, keyframe: !doc.group.hasReference });
        doc.group = null;
        break;
      case MKV_IDS.segment:
        this.completeDocument();
        break;
    }
  }

  private completeDocument(): void {
    const doc = this.doc as DocState;
    const bytes = Buffer.from(this.buf.subarray(0, this.pos));
    this.shift(this.pos);
    this.doc = null;
    this.events.push({
      type: 'document',
      document: { bytes, docType: doc.docType, timecodeScaleNs: doc.timecodeScaleNs, tracks: doc.tracks, clusters: doc.clusters },
    });
  }

  /** Drops the first n buffered bytes. */
  private shift(n: number): void {
    if (n === 0) return;
    const rest = this.len - n;
    if (this.buf.length > 4 * MIN_CAPACITY && rest < MIN_CAPACITY) {
      const small = Buffer.allocUnsafe(MIN_CAPACITY);
      this.buf.copy(small, 0, n, this.len);
      this.buf = small;
    } else {
      this.buf.copy(this.buf, 0, n, this.len);
    }
    this.len = rest;
    this.pos -= n;
    this.consumed += n;
  }

  private leaf(id: number, parentId: number, start: number, end: number): void {
    const doc = this.doc as DocState;
    const n = end - start;
    if (id === MKV_IDS.docType) doc.docType = this.buf.toString('latin1', start, end).replace(/\0+$/, '');
    else if (id === MKV_IDS.timecodeScale) {
      const scale = readUnsigned(this.buf, start, n);
      if (scale === 0) this.fail('TimecodeScale is 0');
      doc.timecodeScaleNs = scale;
    } else if (id === MKV_IDS.codecId && doc.track) doc.track.codecId = this.buf.toString('latin1', start, end).replace(/\0+$/, '');
    else if (id === MKV_IDS.trackNumber && doc.track) doc.track.number = readUnsigned(this.buf, start, n);
    else if (id === MKV_IDS.trackType && doc.track) doc.track.type = readUnsigned(this.buf, start, n);
    else if (id === MKV_IDS.timecode && parentId === MKV_IDS.cluster && doc.cluster) {
      doc.cluster.timecode = readUnsigned(this.buf, start, n);
      doc.clusterHasTimecode = true;
      if (doc.clusters.length === 0) this.events.push({ type: 'first-cluster', timecodeMs: (doc.cluster.timecode * doc.timecodeScaleNs) / 1e6 });
    }
  }

  /** SimpleBlock or Block: reads the track number, relative timecode and flags, skips the frames. */
  private block(id: number, start: number, end: number, parentId: number): boolean {
    const doc = this.doc as DocState;
    const inCluster = id === MKV_IDS.simpleBlock && parentId === MKV_IDS.cluster;
    const inGroup = id === MKV_IDS.block && parentId === MKV_IDS.blockGroup;
    if (!inCluster && !inGroup) {
      this.pos = end;
      return true;
    }
    // Only the block header is needed now; the frame bytes are skipped as they arrive.
    const headerEnd = Math.min(end, start + 11);
    if (headerEnd > this.len) return false;
    const track = readElementSize(this.buf, start, headerEnd);
    if (typeof track !== 'object' || track.value === null || track.value === 0) this.fail('block with an invalid track number');
    if (start + track.length + 3 > end) this.fail('block shorter than its header');
    const relativeTimecode = this.buf.readInt16BE(start + track.length);
    const flags = this.buf[start + track.length + 2] as number;
    if (!doc.clusterHasTimecode) this.fail('block before its Cluster Timecode');
    const block: MkvBlock = { track: track.value, relativeTimecode, keyframe: (flags & 0x80) !== 0 };
    if (inCluster) this.addBlock(block);
    else if (doc.group) doc.group.block = block;
    this.pos = end;
    return true;
  }

  private addBlock(block: MkvBlock): void {
    const doc = this.doc as DocState;
    if (++doc.blockCount > this.maxBlocks) this.fail(`more than ${this.maxBlocks} blocks in one document`);
    doc.cluster?.blocks.push(block);
  }
}

/** Whether an element with `childId` may sit inside an unknown-size element `parentId`. */
function canContain(parentId: number, childId: number): boolean {
  if (childId === MKV_IDS.ebml || childId === MKV_IDS.segment) return false;
  if (parentId === MKV_IDS.cluster) return !SEGMENT_LEVEL_IDS.has(childId);
  return true;
}
