/**
 * The agent's local status endpoint, bound to loopback by default:
 *   GET /status.json  sources, buffer fill, oldest unsent age, upload rate, errors, drain estimate
 *   GET /healthz      200 while the agent runs and its buffer accepts writes, else 503 (systemd/watchdog)
 *   GET /             a small page that polls /status.json
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusServer {
  address: AddressInfo;
  close(): Promise<void>;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>rivulet-agent</title>
<style>body{font:14px system-ui;margin:2em}pre{background:#f4f4f4;padding:1em}</style>
<h1>rivulet-agent</h1><pre id="s">loading…</pre>
<script>async function t(){try{const r=await fetch('/status.json');document.getElementById('s').textContent=JSON.stringify(await r.json(),null,2)}catch(e){document.getElementById('s').textContent=String(e)}}t();setInterval(t,1000)</script>`;

export function startStatusServer(opts: { host: string; port: number; status: () => unknown; healthy: () => boolean }): Promise<StatusServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/status.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(opts.status()));
    } else if (path === '/healthz') {
      const ok = opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n');
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
