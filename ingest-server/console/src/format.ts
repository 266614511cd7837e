/** Display formatting for the console: bytes, rates, durations, times. No state. */

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function formatRate(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '–';
  return `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${unit}/s`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toLocaleString();
}

export function formatNumber(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/** Kinesis shard ids: shardId- and the index in 12 digits. */
export function shardIndexOf(shardId: string): number {
  return Number(shardId.slice(shardId.lastIndexOf('-') + 1));
}

/** Bytes as UTF-8 text when they decode cleanly and print, else as hex. */
export function displayData(bytes: Uint8Array): { text: string; kind: 'text' | 'hex' } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Control characters other than tab and newlines mean binary data.
    if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { text, kind: 'text' };
  } catch {
    // Not UTF-8.
  }
  return { text: Array.from(bytes.slice(0, 256), (b) => b.toString(16).padStart(2, '0')).join(' ') + (bytes.length > 256 ? ' …' : ''), kind: 'hex' };
}
