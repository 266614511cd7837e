/**
 * What the operator sees on stdout: aligned tables, key/value blocks, one JSON document (--json)
 * or JSON lines for streaming commands, and record data as text when it is printable UTF-8
 * (base64 otherwise). Owns formatting only; commands decide what to print.
 */
import type { _Record } from '@aws-sdk/client-kinesis';

export interface OutStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
  columns?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Data as text when it is valid UTF-8 without control characters (tab and newline allowed). */
export function printableText(data: Uint8Array): string | null {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text) ? null : text;
}

/** One record for --json: the GetRecords fields (Data in base64, as the AWS CLI prints it) plus Text when printable. */
export function recordJson(record: _Record, shardId: string): Record<string, unknown> {
  const data = record.Data ?? new Uint8Array();
  const text = printableText(data);
  return {
    ShardId: shardId,
    SequenceNumber: record.SequenceNumber,
    PartitionKey: record.PartitionKey,
    ApproximateArrivalTimestamp: record.ApproximateArrivalTimestamp?.toISOString(),
    Data: Buffer.from(data).toString('base64'),
    ...(text !== null ? { Text: text } : {}),
    ...(record.EncryptionType ? { EncryptionType: record.EncryptionType } : {}),
  };
}

/** One record for people: `shard  key  data` (data as text, or base64: prefixed). */
export function recordLine(record: _Record, shardId: string): string {
  const data = record.Data ?? new Uint8Array();
  const text = printableText(data);
  const shown = text !== null ? text.replace(/\n$/, '').replace(/\n/g, '\\n') : `base64:${Buffer.from(data).toString('base64')}`;
  return `${shardId}\t${record.PartitionKey ?? ''}\t${shown}`;
}

/** Rows as aligned columns; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd());
}

/** Bytes for people: 512 B, 1.5 KiB, 12.0 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export class Output {
  constructor(
    private readonly stdout: OutStream,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** One JSON document (non-streaming commands with --json). */
  document(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** One JSON line (streaming commands with --json). */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, jsonReplacer)}\n`);
  }

  table(rows: readonly (readonly string[])[]): void {
    for (const line of formatTable(rows)) this.line(line);
  }

  /** `key: value` lines, keys aligned. */
  fields(pairs: readonly (readonly [string, string | number | undefined])[]): void {
    const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
    for (const [k, v] of pairs) if (v !== undefined) this.line(`${`${k}:`.padEnd(width)} ${v}`);
  }
}

/** Dates as ISO 8601 and bytes as base64, so SDK outputs serialize the way the AWS CLI prints them. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return raw.toISOString();
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
  if (key === '$metadata') return undefined;
  return value;
}
