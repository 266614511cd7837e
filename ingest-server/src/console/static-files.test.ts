import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StaticBundle } from './static-files.js';

const root = mkdtempSync(join(tmpdir(), 'console-static-'));
const dist = join(root, 'dist');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(dist, 'assets', 'app-ABCDEFGH.js'), 'console.log(1)');
writeFileSync(join(dist, 'assets', 'app-ABCDEFGH.js.map'), '{}');
writeFileSync(join(dist, 'assets', 'app-ABCDEFGH.css'), 'body{}');
// A file beside the bundle that no request may reach.
writeFileSync(join(root, 'secret.txt'), 'do not serve');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the console bundle', () => {
  const bundle = new StaticBundle(dist);

  it('serves index.html for the root and for client-side routes', async () => {
    for (const path of ['', 'index.html', 'streams', 'streams/demo-sensors', 'agents/']) {
      const asset = await bundle.lookup(path);
      expect(asset?.contentType).toBe('text/html; charset=utf-8');
      expect(asset?.cacheControl).toBe('no-cache');
    }
  });

  it('serves hashed assets with their content type and an immutable cache header', async () => {
    const js = await bundle.lookup('assets/app-ABCDEFGH.js');
    expect(js?.body.toString()).toBe('console.log(1)');
    expect(js?.contentType).toBe('text/javascript; charset=utf-8');
    expect(js?.cacheControl).toContain('immutable');
    expect((await bundle.lookup('assets/app-ABCDEFGH.css'))?.contentType).toBe('text/css; charset=utf-8');
    expect((await bundle.lookup('assets/app-ABCDEFGH.js.map'))?.contentType).toBe('application/json; charset=utf-8');
  });

  it('never reaches outside the bundle, whatever the path', async () => {
    for (const path of ['../secret.txt', 'assets/../../secret.txt', '..%2Fsecret.txt', '/etc/passwd', 'assets/missing.js', '..\\secret.txt', 'C:/x.txt']) {
      const asset = await bundle.lookup(path);
      expect(asset === null || asset.body.toString().startsWith('<!doctype html>')).toBe(true);
      expect(asset?.body.toString()).not.toBe('do not serve');
    }
    expect(await bundle.lookup('../secret.txt')).toBeNull();
  });

  it('picks up a rebuild: new files appear once index.html changes', async () => {
    const dir = join(root, 'rebuilt');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), 'one');
    const rebuilt = new StaticBundle(dir);
    expect((await rebuilt.lookup(''))?.body.toString()).toBe('one');
    writeFileSync(join(dir, 'assets', 'app-ZZZZZZZZ.js'), 'two');
    writeFileSync(join(dir, 'index.html'), 'two');
    utimesSync(join(dir, 'index.html'), new Date(), new Date(Date.now() + 5000));
    expect((await rebuilt.lookup(''))?.body.toString()).toBe('two');
    expect((await rebuilt.lookup('assets/app-ZZZZZZZZ.js'))?.body.toString()).toBe('two');
  });

  it('reports a missing bundle as null, so the route can say it is not built', async () => {
    expect(await new StaticBundle(join(root, 'nope')).table()).toBeNull();
    expect(await new StaticBundle(join(root, 'nope')).lookup('')).toBeNull();
  });
});
