/**
 * The agent's local status endpoint, bound to loopback by default:
 *   GET /status.json  sources, buffer fill, oldest unsent age, upload rate, errors, drain estimate
 *   GET /healthz      200 while the agent runs and its buffer accepts writes, else 503 (systemd/watchdog)
 *   GET /metrics      Prometheus text (status/metrics.ts): sources, buffer, uploads, process
 *   GET /             a small page that polls /status.json, with each camera's live view
 *   GET /cameras/<name>/snapshot.jpg  the camera's latest keyframe (camera-snapshot.ts), on demand
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
<div id="c"></div>
<script>let cams=null;async function t(){try{const r=await fetch('/status.json');const s=await r.json();document.getElementById('s').textContent=JSON.stringify(s,null,2);
if(!cams){cams=(s.cameras||[]);document.getElementById('c').innerHTML=cams.map(n=>'<h2>'+n+'</h2><img id="cam-'+n+'" width="640">').join('')}
for(const n of cams){document.getElementById('cam-'+n).src='/cameras/'+encodeURIComponent(n)+'/snapshot.jpg?t='+Date.now()}}catch(e){document.getElementById('s').textContent=String(e)}}t();setInterval(t,2000)</script>`;

export interface StatusServerOptions {
  host: string;
  port: number;
  status: () => unknown;
  healthy: () => boolean;
  /** A JPEG of a camera's view, or null for no such camera or no picture yet. */
  snapshot?: (camera: string) => Promise<Buffer | null>;
  /** The Prometheus exposition for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const camera = /^\/cameras\/([^/]+)\/snapshot\.jpg$/.exec(path)?.[1];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (camera !== undefined && opts.snapshot) {
      opts.snapshot(decodeURIComponent(camera)).then(
        (jpeg) => (jpeg ? res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' }).end(jpeg) : res.writeHead(404).end()),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/status.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(opts.status()));
    } else if (path === '/metrics' && opts.metrics) {
      opts.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
        () => res.writeHead(500).end(),
      );
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
