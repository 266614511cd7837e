/**
 * A small parser for the Prometheus text exposition format 0.0.4 (what GET /metrics serves),
 * and the sums the console charts need. Owns parsing only: samples are name, labels, value.
 * Comments (# HELP, # TYPE) and timestamps are skipped; NaN and ±Inf are kept as numbers.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Prometheus reads values with Go's ParseFloat, so NaN and Inf come in any case (prom-client writes "Nan"). */
function parseValue(text: string): number {
  const word = text.toLowerCase();
  if (word === '+inf' || word === 'inf') return Infinity;
  if (word === '-inf') return -Infinity;
  if (word === 'nan') return NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${text}`);
  return n;
}

/** Parses `{a="x",b="y"}` starting at `i` (the "{"); returns the labels and the index after "}". */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) throw new Error(`bad label name at ${i}`);
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected =" at ${i}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++;
  }
}

/** Every sample in the text; a line that does not parse is skipped rather than failing the page. */
export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      const name = NAME.exec(line)?.[0];
      if (!name) continue;
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
      const [value] = line.slice(i).trim().split(/\s+/);
      if (value === undefined || value === '') continue;
      out.push({ name, labels, value: parseValue(value) });
    } catch {
      continue;
    }
  }
  return out;
}

/** Sums `name` over the samples whose labels match `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Sums `name` per value of label `by`, over the samples whose labels match `where`. */
export function sumBy(samples: readonly Sample[], name: string, by: string, where: Record<string, string> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const key = s.labels[by];
    if (key === undefined) continue;
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/**
 * The per-second rate of a counter between two scrapes. A counter that went down (the server
 * restarted) counts from zero, as Prometheus' rate() does.
 */
export function counterRate(previous: number, current: number, seconds: number): number {
  if (seconds <= 0) return 0;
  const delta = current >= previous ? current - previous : current;
  return delta / seconds;
}
