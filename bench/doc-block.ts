/**
 * Writes one bench's generated block into docs/benchmarks.md: the text between
 * `<!-- bench:<name>:begin -->` and `<!-- bench:<name>:end -->` is replaced, or a new section
 * with `title` is appended when the doc has no such block yet.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeDocBlock(path: string, name: string, title: string, body: string): void {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${body.trim()}\n${end}`;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const at = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const next = at >= 0 && stop > at ? doc.slice(0, at) + block + doc.slice(stop + end.length) : `${doc.trimEnd()}\n\n## ${title}\n\n${block}\n`;
  writeFileSync(path, next);
}
