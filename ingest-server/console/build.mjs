/**
 * Bundles the web console (ingest-server/console/src) into ingest-server/console-dist with
 * esbuild: one minified ES module and one CSS file (the app's and uPlot's), content-hashed
 * under assets/, with source maps, plus index.html naming them. rivulet-ingest serves the
 * directory at /console; nothing is fetched from the internet at run time.
 *   node ingest-server/console/build.mjs     (npm run build / prepare run it)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'console-dist');

export async function buildConsole({ quiet = false } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    outdir: join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.css': 'css' },
    metafile: true,
    legalComments: 'linked',
    logLevel: quiet ? 'error' : 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((n) => n.endsWith('.js'));
  const css = outputs.find((n) => n.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild wrote no app bundle: ${outputs.join(', ')}`);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rivulet console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/${css}">
<script type="module" src="/console/assets/${js}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
  await writeFile(join(outDir, 'index.html'), html);
  if (!quiet) process.stdout.write(`console bundle: ${outDir} (${js}, ${css})\n`);
  return { outDir, js, css };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildConsole();
}
