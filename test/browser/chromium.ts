/**
 * Browser-test harness: makes sure the console bundle is built (builds it with esbuild when it
 * is missing or older than its sources), launches the system Chromium (Debian `chromium`, no
 * browser download) through playwright-core, and saves screenshots to test/artifacts/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../harness/ingest.js';

const run = promisify(execFile);
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test/artifacts');
const CONSOLE_SRC = join(REPO_ROOT, 'ingest-server/console/src');
const CONSOLE_INDEX = join(REPO_ROOT, 'ingest-server/console-dist/index.html');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds ingest-server/console-dist unless it is there and newer than every source file. */
export async function ensureConsoleBuilt(): Promise<void> {
  // The bundle also takes the metric names from shared.
  const newest = Math.max(newestMtimeMs(CONSOLE_SRC), statSync(join(REPO_ROOT, 'shared/src/metric-names.ts')).mtimeMs);
  if (existsSync(CONSOLE_INDEX) && statSync(CONSOLE_INDEX).mtimeMs >= newest) return;
  await run(process.execPath, [join(REPO_ROOT, 'ingest-server/console/build.mjs')], { cwd: REPO_ROOT });
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install the Debian package \`chromium\` (npm run system-deps) or set CHROMIUM_PATH`);
  // --no-sandbox: CI runs the tests as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
}

/** Saves test/artifacts/console-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `console-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
