/**
 * Value of an INTERVAL literal: `INTERVAL '1:30' MINUTE TO SECOND` → 90 000 ms.
 *
 * Owns: the SQL rules for the literal's string (one field per unit from the leading unit to the
 * trailing one, `-` between YEAR and MONTH, a space after DAY, `:` between the time fields, a
 * fraction only on SECOND, trailing fields below their carry limit) and the conversion to
 * milliseconds or months.
 * Does not own: positions or error messages; the parser reports a bad literal where it is.
 */
import type { IntervalUnit } from './ast.js';

export const INTERVAL_UNITS: readonly IntervalUnit[] = ['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND'];

const MS_PER_UNIT: Readonly<Record<IntervalUnit, number>> = {
  YEAR: 0,
  MONTH: 0,
  DAY: 86_400_000,
  HOUR: 3_600_000,
  MINUTE: 60_000,
  SECOND: 1_000,
};

/** Upper bound (exclusive) of a field that is not the leading one. */
const CARRY_LIMIT: Readonly<Record<IntervalUnit, number>> = {
  YEAR: Infinity,
  MONTH: 12,
  DAY: Infinity,
  HOUR: 24,
  MINUTE: 60,
  SECOND: 60,
};

const YEAR_MONTH: readonly IntervalUnit[] = ['YEAR', 'MONTH'];
const DAY_TIME: readonly IntervalUnit[] = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];

export type IntervalValue = { ms: number } | { months: number };

/**
 * Checks the unit pair and parses the literal's string. Returns an error sentence (without
 * position) when the pair or the string is not valid.
 */
export function intervalValue(text: string, from: IntervalUnit, to?: IntervalUnit): IntervalValue | { error: string } {
  const group = YEAR_MONTH.includes(from) ? YEAR_MONTH : DAY_TIME;
  const first = group.indexOf(from);
  const last = to === undefined ? first : group.indexOf(to);
  if (last < first || (to !== undefined && last === first)) {
    return { error: `invalid interval qualifier ${from} TO ${to ?? from}` };
  }
  const units = group.slice(first, last + 1);
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const body = trimmed.replace(/^[-+]/, '');
  const fields = group === YEAR_MONTH ? body.split('-') : splitDayTime(body, from);
  const qualifier = to === undefined ? from : `${from} TO ${to}`;
  const bad = { error: `invalid INTERVAL literal '${text}' for ${qualifier}` };
  if (fields.length !== units.length) return bad;

  let ms = 0;
  let months = 0;
  for (const [i, unit] of units.entries()) {
    const field = fields[i] ?? '';
    const pattern = unit === 'SECOND' ? /^\d+(\.\d+)?$/ : /^\d+$/;
    if (!pattern.test(field)) return bad;
    const n = Number(field);
    if (i > 0 && n >= CARRY_LIMIT[unit]) return bad;
    if (unit === 'YEAR') months += n * 12;
    else if (unit === 'MONTH') months += n;
    else ms += n * MS_PER_UNIT[unit];
  }
  const sign = negative ? -1 : 1;
  return group === YEAR_MONTH ? { months: sign * months } : { ms: Math.round(sign * ms) };
}

/** `'2 03:04:05'` → ['2', '03', '04', '05'] when the leading unit is DAY; otherwise split on ':'. */
function splitDayTime(body: string, from: IntervalUnit): string[] {
  if (from !== 'DAY') return body.split(':');
  const space = body.indexOf(' ');
  if (space === -1) return [body];
  return [body.slice(0, space), ...body.slice(space + 1).split(':')];
}
