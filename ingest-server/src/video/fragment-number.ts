/**
 * Fragment numbers: fixed-width decimal strings, so string order is numeric order, and numbers
 * are handed out in arrival order from one store-wide counter. Owns the format and its checks;
 * the counter itself lives in the store.
 */
import { RivuletError } from '@rivulet/shared';

/** Kinesis Video's numbers are long decimal strings; 20 digits hold any safe integer. */
export const FRAGMENT_NUMBER_DIGITS = 20;
const FRAGMENT_NUMBER = /^\d{20}$/;

export function formatFragmentNumber(counter: number): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RivuletError('VIDEO_STORAGE', { message: `fragment counter out of range: ${counter}` });
  return String(counter).padStart(FRAGMENT_NUMBER_DIGITS, '0');
}

/** True for exactly the strings formatFragmentNumber makes; anything else is never a path. */
export function isFragmentNumber(text: string): boolean {
  return FRAGMENT_NUMBER.test(text);
}

export function parseFragmentNumber(text: string): number {
  if (!isFragmentNumber(text)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `${text.slice(0, 40)} is not a fragment number` });
  return Number(text);
}
