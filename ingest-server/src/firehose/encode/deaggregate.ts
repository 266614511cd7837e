/**
 * Firehose's RecordDeAggregation processor and KPL de-aggregation: turning one ingested record
 * into the records it carries. Owns the KPL aggregated-record format (with a minimal protobuf
 * reader for its one message) and sub-record splitting (JSON, DELIMITED). It does not own when
 * these run in the processing pipeline, nor dynamic partitioning of the results.
 *
 * KPL aggregated record (amazon-kinesis-producer, aggregation-format.md):
 *   magic 0xF3 0x89 0x9A 0xC2 | protobuf AggregatedRecord | MD5 of the protobuf bytes (16 bytes)
 *   message AggregatedRecord { repeated string partition_key_table = 1;
 *                              repeated string explicit_hash_key_table = 2;
 *                              repeated Record records = 3; }
 *   message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                    required bytes data = 3; repeated Tag tags = 4; }
 */
import { createHash } from 'node:crypto';
import { RivuletError } from '@rivulet/shared';

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;

/** KPL aggregated record → its user records' data; anything else (or a bad MD5) → [data] unchanged. */
export function deaggregateKpl(data: Buffer): Buffer[] {
  // Like the KCL, a record that merely looks aggregated but fails any check is passed on whole.
  if (data.length < KPL_MAGIC.length + MD5_BYTES || !data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) return [data];
  const message = data.subarray(KPL_MAGIC.length, data.length - MD5_BYTES);
  const digest = createHash('md5').update(message).digest();
  if (!digest.equals(data.subarray(data.length - MD5_BYTES))) return [data];
  const records = parseAggregatedRecord(message);
  return records ?? [data];
}

/** Returns the records' data, or null when the message is not a well-formed AggregatedRecord. */
function parseAggregatedRecord(message: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  let partitionKeys = 0;
  let maxKeyIndex = -1;
  const reader = new ProtoReader(message);
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === null) return null;
    if (tag.field === 1 && tag.wireType === WIRE_LEN) {
      if (reader.bytes() === null) return null;
      partitionKeys++;
    } else if (tag.field === 3 && tag.wireType === WIRE_LEN) {
      const record = reader.bytes();
      if (record === null) return null;
      const parsed = parseRecord(record);
      if (parsed === null) return null;
      out.push(parsed.data);
      maxKeyIndex = Math.max(maxKeyIndex, parsed.partitionKeyIndex);
    } else if (!reader.skip(tag.wireType)) {
      return null;
    }
  }
  // The KCL looks every record's key up in the table; an index past its end means corruption.
  if (maxKeyIndex >= partitionKeys) return null;
  return out;
}

function parseRecord(message: Buffer): { partitionKeyIndex: number; data: Buffer } | null {
  const reader = new ProtoReader(message);
  let partitionKeyIndex: number | null = null;
  let data: Buffer | null = null;
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === null) return null;
    if (tag.field === 1 && tag.wireType === WIRE_VARINT) {
      const v = reader.varint();
      if (v === null) return null;
      partitionKeyIndex = v;
    } else if (tag.field === 3 && tag.wireType === WIRE_LEN) {
      data = reader.bytes();
      if (data === null) return null;
    } else if (!reader.skip(tag.wireType)) {
      return null;
    }
  }
  // Both are `required` in the proto2 schema.
  if (partitionKeyIndex === null || data === null) return null;
  return { partitionKeyIndex, data };
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Just enough protobuf to walk one message; every read returns null on malformed input. */
class ProtoReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.offset >= this.buf.length;
  }

  /** Varints up to 2^53; larger values (never valid lengths or indexes here) count as malformed. */
  varint(): number | null {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.offset++];
      if (byte === undefined) return null;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return Number.isSafeInteger(result) ? result : null;
      scale *= 128;
    }
    return null;
  }

  tag(): { field: number; wireType: number } | null {
    const key = this.varint();
    if (key === null || key === 0) return null;
    return { field: Math.floor(key / 8), wireType: key % 8 };
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length === null || this.offset + length > this.buf.length) return null;
    const out = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  skip(wireType: number): boolean {
    switch (wireType) {
      case WIRE_VARINT:
        return this.varint() !== null;
      case WIRE_I64:
        return this.advance(8);
      case WIRE_LEN:
        return this.bytes() !== null;
      case WIRE_I32:
        return this.advance(4);
      default:
        return false; // groups (3, 4) are not used by the KPL
    }
  }

  private advance(n: number): boolean {
    if (this.offset + n > this.buf.length) return false;
    this.offset += n;
    return true;
  }
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * SubRecordType JSON: splits concatenated/newline-separated JSON objects ({..}{..} or {..}\n{..});
 * DELIMITED: split on the delimiter (given base64-decoded). Empty pieces dropped.
 * Throws FIREHOSE_INVALID_ARGUMENT on JSON that does not split cleanly.
 */
export function splitSubRecords(data: Buffer, subRecordType: 'JSON' | 'DELIMITED', delimiter?: Buffer): Buffer[] {
  if (subRecordType === 'DELIMITED') return splitDelimited(data, delimiter);
  if (subRecordType === 'JSON') return splitJsonObjects(data);
  throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Unknown SubRecordType ${JSON.stringify(subRecordType)}` });
}

function splitDelimited(data: Buffer, delimiter: Buffer | undefined): Buffer[] {
  if (!delimiter || delimiter.length === 0) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: 'SubRecordType DELIMITED needs a non-empty Delimiter' });
  }
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const at = data.indexOf(delimiter, start);
    const end = at === -1 ? data.length : at;
    if (end > start) out.push(data.subarray(start, end));
    if (at === -1) return out;
    start = at + delimiter.length;
  }
}

/** Scans top-level objects, tracking strings and escapes so braces inside strings do not count. */
function splitJsonObjects(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (depth === 0) {
      if (WHITESPACE.has(c)) continue;
      if (c !== 0x7b) throw notSplittable(`unexpected byte 0x${c.toString(16)} at offset ${i} between JSON objects`);
      start = i;
      depth = 1;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) {
        const piece = data.subarray(start, i + 1);
        try {
          JSON.parse(piece.toString('utf8'));
        } catch (cause) {
          throw notSplittable(`the object at offset ${start} is not valid JSON`, cause);
        }
        out.push(piece);
      }
    }
  }
  if (depth !== 0 || inString) throw notSplittable(`the object at offset ${start} is not terminated`);
  return out;
}

function notSplittable(detail: string, cause?: unknown): RivuletError {
  return new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Record does not split into JSON objects: ${detail}` }, { cause });
}
