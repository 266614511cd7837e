/**
 * The web console in real headless Chromium (Debian `chromium` through playwright-core), against
 * a live `npm run demo` (server, agent with simulated camera, sensors, Firehose, SQL app): each
 * page loads with the demo's content, the throughput chart updates, the camera plays, an SQL
 * syntax error shows in place. Then a sigv4 server: login, wrong secret, unsigned calls.
 * Screenshots go to test/artifacts/console-<page>.png.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateStreamCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { stockKinesis } from '../harness/clients.js';
import { startDemo, type DemoProcess } from '../harness/demo.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';
import { ensureConsoleBuilt, launchChromium, screenshot } from './chromium.js';

const run = promisify(execFile);

/** The <video> element's currentTime (the test project has no DOM types, hence the cast). */
function currentTime(page: Page): Promise<number> {
  return page.locator('video').evaluate((el) => (el as unknown as { currentTime: number }).currentTime);
}

describe('the web console, on the demo', () => {
  let dataDir: string;
  let demo: DemoProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dataDir = tempDir('rivulet-console-');
    const [, started, launched] = await Promise.all([ensureConsoleBuilt(), startDemo({ dataDir }), launchChromium()]);
    demo = started;
    browser = launched;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => process.stderr.write(`console page error: ${err.message}\n`));
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('Data Streams: lists the demo streams with their shard map, and the throughput chart updates each second', async () => {
    await page.goto(`${demo.consoleUrl}/streams?stream=demo-sensors`);
    for (const name of ['demo-sensors', 'device-health', 'demo-averages']) await page.locator(`[data-stream="${name}"]`).waitFor();
    await expect.poll(() => page.locator('[data-map-shard^="shardId-"]').count()).toBeGreaterThan(0);
    expect(await page.locator('.shard-map').textContent()).toContain('shardId-000000000000');

    const chart = page.locator('[data-chart="stream-records"]');
    const state = async () => ({
      points: Number(await chart.getAttribute('data-points')),
      lastX: Number(await chart.getAttribute('data-last-x')),
      last: JSON.parse((await chart.getAttribute('data-last')) ?? '[]') as number[],
    });
    // The sensors publish every second; the agent uploads them: the incoming rate turns non-zero.
    await expect.poll(async () => (await state()).last[0] ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    const before = await state();
    await page.waitForTimeout(2500);
    const after = await state();
    // New points every second: the newest one is 2-3 s later, and there are more of them.
    expect(after.lastX - before.lastX).toBeGreaterThanOrEqual(1.5);
    expect(after.points).toBeGreaterThan(before.points);
    // uPlot drew the new points: its canvas is there and sized.
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'streams');

    // The same charts for one shard.
    await page.getByLabel('chart scope').selectOption('shardId-000000000000');
    await expect.poll(async () => chart.locator('figcaption').textContent()).toBe('Records per second, shardId-000000000000');
    expect((await state()).points).toBeGreaterThan(0);
  }, 60_000);

  it('Data Streams: the shard map shows the lineage a reshard leaves', async () => {
    const kinesis = stockKinesis(demo.endpoint);
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'console-reshard', ShardCount: 1 }));
      await kinesis.send(new SplitShardCommand({ StreamName: 'console-reshard', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    } finally {
      kinesis.destroy();
    }
    await page.goto(`${demo.consoleUrl}/streams?stream=console-reshard`);
    const row = (id: string) => page.locator(`[data-map-shard="${id}"]`);
    await row('shardId-000000000002').waitFor();
    expect(await row('shardId-000000000000').getAttribute('class')).toBe('closed');
    for (const child of ['shardId-000000000001', 'shardId-000000000002']) {
      expect(await row(child).locator('td').nth(1).textContent()).toBe('open');
      expect(await row(child).locator('td').nth(2).textContent()).toBe('shardId-000000000000');
    }
    expect(await row('shardId-000000000002').textContent()).toContain((2n ** 127n).toString());
    await screenshot(page, 'shard-map');
  });

  it('Data Streams: puts a test record and finds it again by its sequence number', async () => {
    await page.goto(`${demo.consoleUrl}/streams?stream=demo-sensors`);
    await page.locator('form.put textarea').fill('{"console":"test record"}');
    await page.locator('form.put button[type=submit]').click();
    const result = (await page.locator('[data-put-result]').textContent({ timeout: 10_000 })) ?? '';
    const m = /Put to (shardId-\d+) as (\d+)/.exec(result);
    expect(m).not.toBeNull();
    await page.getByLabel('shard', { exact: true }).selectOption(m![1]!);
    await page.getByLabel('start at').selectOption('AT_SEQUENCE_NUMBER');
    await page.getByLabel('sequence number').fill(m![2]!);
    await page.locator('section.records button', { hasText: 'Read' }).click();
    const row = page.locator(`tr[data-sequence="${m![2]}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('{"console":"test record"}');
    await screenshot(page, 'records');
  });

  it('Video: shows demo-camera with its fragment timeline, and the live video plays', async () => {
    await page.goto(`${demo.consoleUrl}/video?stream=demo-camera`);
    await page.locator('[data-video-stream="demo-camera"]').waitFor();
    await expect.poll(async () => Number(await page.locator('.timeline').getAttribute('data-fragments')), { timeout: 30_000 }).toBeGreaterThan(0);
    // HLS through hls.js: currentTime advances once the player has media.
    await expect.poll(() => currentTime(page), { timeout: 45_000, interval: 500 }).toBeGreaterThan(0);
    const t1 = await currentTime(page);
    await page.waitForTimeout(2500);
    const t2 = await currentTime(page);
    expect(t2).toBeGreaterThan(t1);
    await screenshot(page, 'video');
    await expect.poll(() => page.locator('.thumb img').count(), { timeout: 30_000 }).toBeGreaterThan(0);

    // A clip of the last 30 s, as an MP4 the browser downloads.
    await page.getByRole('button', { name: 'Make clip' }).click();
    const link = page.locator('[data-clip-link]');
    await link.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^demo-camera-.*\.mp4$/);
    const stream = await download.createReadStream();
    let bytes = Buffer.alloc(0);
    for await (const chunk of stream) bytes = Buffer.concat([bytes, chunk as Buffer]);
    // An MP4 starts with its ftyp box.
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  }, 120_000);

  it('Firehose: shows demo-delivery with its destination, buffer and deliveries', async () => {
    await page.goto(`${demo.consoleUrl}/firehose`);
    const card = page.locator('[data-delivery-stream="demo-delivery"]');
    await card.waitFor();
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('data stream demo-sensors');
    expect(text).toContain('Buffer fill');
    expect(text).toContain('Backed-up records');
    await screenshot(page, 'firehose');
  });

  it('Analytics: shows demo-averages, and an SQL syntax error in place at its line', async () => {
    await page.goto(`${demo.consoleUrl}/analytics?app=demo-averages`);
    await page.locator('[data-app="demo-averages"]').waitFor();
    const editor = page.getByLabel('application SQL');
    await expect.poll(async () => (await editor.inputValue()).length).toBeGreaterThan(0);
    expect(await editor.inputValue()).toContain('CREATE OR REPLACE PUMP');
    await page.locator('section[aria-label="output stream"]').waitFor();

    const bad = ['CREATE OR REPLACE STREAM "OUT" ("n" INTEGER);', 'CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"', '  SELECT STREAM "n" FROM WHERE;'].join('\n');
    await editor.fill(bad);
    await page.locator('[data-action="save"]').click();
    const marker = page.locator('.sql-error');
    await marker.waitFor({ timeout: 10_000 });
    expect(await marker.getAttribute('data-line')).toBe('3');
    expect(await marker.textContent()).toMatch(/line 3, column \d+/);
    expect(await page.locator('.sql-editor .ln.err').textContent()).toBe('3');
    expect(await page.locator('.sql-editor .err-line').count()).toBe(1);
    await screenshot(page, 'analytics');
  });

  it('Agents: lists demo-device from its health records, online, with its version', async () => {
    await page.goto(`${demo.consoleUrl}/agents`);
    const row = page.locator('tr[data-device="demo-device"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-silent')).toBe('false');
    expect(await row.textContent()).toContain('online');
    await screenshot(page, 'agents');
  }, 60_000);
});

describe('the web console with auth sigv4', () => {
  let server: IngestProcess;
  let browser: Browser;
  let key: { accessKeyId: string; secretAccessKey: string };

  beforeAll(async () => {
    const dataDir = tempDir('rivulet-console-auth-');
    const created = await run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(REPO_ROOT, 'ingest-server/src/main.ts'), 'keys', 'create', '--name', 'console', '--json', '--data-dir', dataDir], { cwd: REPO_ROOT });
    key = JSON.parse(created.stdout) as typeof key;
    const [, started, launched] = await Promise.all([ensureConsoleBuilt(), startIngest({ dataDir, args: ['--auth', 'sigv4'] }), launchChromium()]);
    server = started;
    browser = launched;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
  });

  it('sends the browser to the login page, refuses a wrong secret, and logs in with the right one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.endpoint}/console`);
    await page.waitForURL(/\/console\/login$/);
    await page.getByLabel('Access key id').fill(key.accessKeyId);
    await page.getByLabel('Secret access key').fill(`${key.secretAccessKey}x`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('not valid');
    await screenshot(page, 'login');

    await page.getByLabel('Secret access key').fill(key.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/streams$/);
    await page.locator('nav').getByText(key.accessKeyId).waitFor();
    await page.locator('[data-page="firehose"]').first().click();
    await page.getByText('No delivery streams yet.').waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === 'rivulet_console');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    const call = (headers: Record<string, string>) =>
      fetch(server.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams', ...headers }, body: '{}' });
    // The session works only with the console header; neither alone is enough.
    expect((await call({ cookie: `rivulet_console=${cookie!.value}`, 'x-rivulet-console': '1' })).status).toBe(200);
    expect((await call({ cookie: `rivulet_console=${cookie!.value}` })).status).toBe(403);
    const unsigned = await call({ 'x-rivulet-console': '1' });
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
    expect((await fetch(`${server.endpoint}/console/api/agents`)).status).toBe(403);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/console\/login$/);
    expect((await context.cookies()).find((c) => c.name === 'rivulet_console')).toBeUndefined();
    await context.close();
  });
});
