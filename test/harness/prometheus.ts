/**
 * Test harness for Prometheus text: scrape a /metrics URL, check it with real parsers (Debian's
 * `promtool check metrics`, and python3's prometheus_client text parser), and read sample values
 * for exact assertions.
 */
import { spawnSync } from 'node:child_process';
import { parsePromText, sumOf, type Sample } from '../../ingest-server/console/src/prom-text.js';

export { sumOf, type Sample };

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.text();
}

/** `promtool check metrics` on the text: its exit code and what it printed (lint problems, parse errors). */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (out.error) throw out.error;
  return { code: out.status, output: `${out.stdout}${out.stderr}`.trim() };
}

/** Debian's python3-prometheus-client lives in the system python, not in a pyenv one first on PATH. */
const SYSTEM_PYTHON = '/usr/bin/python3';

const PYTHON_PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        # NaN and infinities are legal sample values (prom-client reports the event-loop delay mean
        # as NaN when no delay was sampled since the last scrape); JSON cannot carry them as numbers.
        value = s.value if math.isfinite(s.value) else repr(s.value)
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": value})
print(json.dumps(out))
`;

const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

/** Parses with python3's prometheus_client (throws on any parse error); returns every sample. */
export function pythonParse(text: string): (Sample & { family: string; type: string })[] {
  const out = spawnSync(SYSTEM_PYTHON, ['-c', PYTHON_PARSE], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error) throw out.error;
  if (out.status !== 0) throw new Error(`prometheus_client could not parse the text:\n${out.stderr}`);
  const samples = JSON.parse(out.stdout) as (Omit<Sample, 'value'> & { value: number | string; family: string; type: string })[];
  return samples.map((s) => ({ ...s, value: typeof s.value === 'number' ? s.value : (NON_FINITE[s.value] ?? Number.NaN) }));
}

/**
 * The samples of the text (comments skipped), read with the console's parser; validity is
 * promtool's and python's job, but a line that parser skipped fails here rather than vanishing.
 */
export function samples(text: string): Sample[] {
  const out = parsePromText(text);
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (out.length !== lines.length) {
    const unparsed = lines.filter((l) => parsePromText(l).length === 0);
    throw new Error(`${unparsed.length} of ${lines.length} sample lines did not parse: ${unparsed.slice(0, 3).join(' | ')}`);
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(all: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
