/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time aggregated by function
 * name + script url, largest first. Used by `bench/streams.ts --profile DIR`, and runnable alone:
 *   node --import tsx bench/streams-profile.ts <file.cpuprofile | dir> [top=15]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  functionName: string;
  location: string;
  selfMs: number;
  /** Share of non-idle sampled time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  top: SelfTimeEntry[];
}

/** Shortens file:// urls to repo- or node_modules-relative paths. */
function shortLocation(url: string, lineNumber: number): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  const rel = nm >= 0 ? path.slice(nm + 1) : path.replace(`${resolve('.')}/`, '');
  // tsx-compiled modules report line 0 for most functions, which says nothing.
  return lineNumber > 0 ? `${rel}:${lineNumber + 1}` : rel;
}

/**
 * A time window in CLOCK_MONOTONIC microseconds: V8 stamps samples with TimeTicks, which on
 * Linux is CLOCK_MONOTONIC, the clock process.hrtime reads in every process on the machine.
 */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Self time by function; with `windows`, only samples taken inside one of them count. */
export function summarizeProfile(file: string, top = 15, windows?: readonly ProfileWindow[]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { functionName: string; location: string; us: number }>();
  let idleUs = 0;
  let totalUs = 0;
  let atUs = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; attribute it to that sample's frame.
    const delta = profile.timeDeltas[i] ?? 0;
    atUs += delta;
    if (windows && !windows.some((w) => atUs >= w.startUs && atUs < w.endUs)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    totalUs += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    const name = functionName || '(anonymous)';
    const key = `${name}\u0000${url}`;
    const entry = selfUs.get(key) ?? { functionName: name, location: shortLocation(url, lineNumber), us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const entries = [...selfUs.values()].sort((a, b) => b.us - a.us);
  return {
    file,
    wallMs: windows ? windows.reduce((sum, w) => sum + (w.endUs - w.startUs), 0) / 1000 : (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    top: entries.slice(0, top).map((e) => ({ functionName: e.functionName, location: e.location, selfMs: e.us / 1000, share: busyUs > 0 ? e.us / busyUs : 0 })),
  };
}

/** Every .cpuprofile in `dir` (or the one file), largest first: the main thread is the busiest. */
export function profileFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [
    `${s.file}: wall ${(s.wallMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s`,
    '| # | self ms | % busy | function | location |',
    '|--:|--:|--:|---|---|',
  ];
  s.top.forEach((e, i) => lines.push(`| ${i + 1} | ${e.selfMs.toFixed(0)} | ${(e.share * 100).toFixed(1)} | ${e.functionName} | ${e.location} |`));
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [target, topArg] = process.argv.slice(2);
  if (!target) {
    process.stderr.write('usage: streams-profile.ts <file.cpuprofile | dir> [top=15]\n');
    process.exit(2);
  }
  for (const file of profileFiles(target)) process.stdout.write(`${formatProfileSummary(summarizeProfile(file, Number(topArg ?? 15)))}\n\n`);
}
