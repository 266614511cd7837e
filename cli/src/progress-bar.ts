/**
 * The progress bar of replay and video clip/export, drawn on stderr. Owns rendering one line
 * (done/total, percent, rate, ETA) and when to draw it: redrawn in place at most every
 * redrawIntervalMs when stderr is a TTY; otherwise nothing until finish() prints one summary
 * line, so logs and pipes get no carriage returns.
 */
import type { Clock } from '@rivulet/shared';
import type { OutStream } from './output.js';

export interface ProgressState {
  label: string;
  done: number;
  /** Known or estimated total; undefined draws no bar, only the count. */
  total?: number;
  /** How counts are shown: 'count' (1,234) or 'bytes' (1.2 MiB). */
  unit: 'count' | 'bytes';
  /** Word after the count, e.g. 'records' or 'fragments'. */
  noun?: string;
  elapsedMs: number;
  /** Mark totals that are estimates with ~. */
  estimated?: boolean;
}

const BAR_WIDTH = 24;

function amount(n: number, unit: ProgressState['unit']): string {
  if (unit === 'count') return Math.round(n).toLocaleString('en-US');
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * @example
 * renderProgress({ label: 'replay', done: 50, total: 200, unit: 'count', noun: 'records', elapsedMs: 5000 })
 * // => 'replay [######------------------]  25% 50/~200 records  10/s  ETA 15s'
 */
export function renderProgress(s: ProgressState): string {
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? s.done / seconds : 0;
  const rateText = s.unit === 'bytes' ? `${amount(rate, 'bytes')}/s` : `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`;
  const noun = s.noun ? ` ${s.noun}` : '';
  if (s.total === undefined || s.total <= 0) return `${s.label} ${amount(s.done, s.unit)}${noun}  ${rateText}  ${formatDuration(s.elapsedMs)}`;
  const fraction = Math.min(1, s.done / s.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const eta = rate > 0 && fraction < 1 ? `  ETA ${formatDuration(((s.total - s.done) / rate) * 1000)}` : '';
  const total = `${s.estimated && fraction < 1 ? '~' : ''}${amount(s.total, s.unit)}`;
  return `${s.label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${amount(s.done, s.unit)}/${total}${noun}  ${rateText}${eta}`;
}

export class ProgressBar {
  private readonly startedMs: number;
  private lastDrawMs = -Infinity;
  private state: Omit<ProgressState, 'elapsedMs'>;

  constructor(
    private readonly stderr: OutStream,
    private readonly clock: Pick<Clock, 'monotonicMs'>,
    initial: Omit<ProgressState, 'elapsedMs' | 'done'>,
    private readonly redrawIntervalMs = 100,
  ) {
    this.startedMs = clock.monotonicMs();
    this.state = { ...initial, done: 0 };
  }

  get live(): boolean {
    return this.stderr.isTTY === true;
  }

  update(change: Partial<Omit<ProgressState, 'elapsedMs'>>): void {
    this.state = { ...this.state, ...change };
    if (!this.live) return;
    const now = this.clock.monotonicMs();
    if (now - this.lastDrawMs < this.redrawIntervalMs) return;
    this.lastDrawMs = now;
    this.draw();
  }

  /** Draws the final state: in place on a TTY, else as the one summary line. */
  finish(change: Partial<Omit<ProgressState, 'elapsedMs'>> = {}): void {
    this.state = { ...this.state, ...change };
    this.draw();
    this.stderr.write('\n');
  }

  private draw(): void {
    const line = renderProgress({ ...this.state, elapsedMs: this.clock.monotonicMs() - this.startedMs });
    const width = this.stderr.columns ?? 0;
    const fitted = width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
    this.stderr.write(this.live ? `\r\x1b[2K${fitted}` : fitted);
  }
}
