/**
 * Option values that are numbers, and the data a put reads (argument, --file or stdin lines).
 * Owns the checks and their usage messages.
 */
import { readFile } from 'node:fs/promises';
import { RivuletError } from '@rivulet/shared';

/** A whole number ≥ 1 (or ≥ min). */
export function positiveInt(text: string, flag: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new RivuletError('CLI_USAGE', { message: `${flag} ${text} is not a whole number ≥ ${min}` });
  return n;
}

/** A number ≥ 0, fractions allowed. */
export function nonNegative(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new RivuletError('CLI_USAGE', { message: `${flag} ${text} is not a number ≥ 0` });
  return n;
}

export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new RivuletError('CLI_INPUT', { message: `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}` }, { cause });
  }
}

export async function readJsonFile(path: string): Promise<unknown> {
  const text = (await readInputFile(path)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RivuletError('CLI_INPUT', { message: `${path} is not valid JSON: ${(cause as Error).message}` }, { cause });
  }
}

/** Lines of a readable (stdin), without their line ends; blank lines are skipped. */
export async function* lines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of input) {
    rest += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const part of parts) {
      const line = part.replace(/\r$/, '');
      if (line !== '') yield line;
    }
  }
  const last = rest.replace(/\r$/, '');
  if (last !== '') yield last;
}
