/**
 * TIME arguments (--from, --to): ISO 8601, unix seconds or milliseconds, `now`, and relative
 * times such as `-5m`. Owns only turning the text into epoch milliseconds; the caller passes
 * the current time, so nothing here reads the clock.
 */
import { RivuletError } from '@rivulet/shared';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Unix seconds have at most 11 digits until the year 5138; more digits are milliseconds. */
const MAX_SECONDS_DIGITS = 11;

export const TIME_HELP = 'TIME is ISO 8601 (2026-11-26T10:00:00Z), unix seconds or ms, now, or relative (-30s, -5m, -2h, -1d)';

/**
 * @example
 * parseTimeArg('-5m', Date.parse('2026-01-01T00:05:00Z')) // => Date.parse('2026-01-01T00:00:00Z')
 */
export function parseTimeArg(text: string, nowMs: number, flag = 'TIME'): number {
  const value = text.trim();
  if (value.toLowerCase() === 'now') return nowMs;
  const relative = /^([+-])(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/i.exec(value);
  if (relative) {
    const ms = Number(relative[2]) * UNIT_MS[relative[3]!.toLowerCase()]!;
    return Math.round(relative[1] === '-' ? nowMs - ms : nowMs + ms);
  }
  const unix = /^(\d+)(\.\d+)?$/.exec(value);
  if (unix) {
    if (unix[2] !== undefined || unix[1]!.length <= MAX_SECONDS_DIGITS) return Math.round(Number(value) * 1_000);
    return Number(value);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RivuletError('CLI_USAGE', { message: `${flag} ${JSON.stringify(text)} is not a time; ${TIME_HELP}` });
}
