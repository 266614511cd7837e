/**
 * Test harness: a round-robin HTTP load balancer on loopback, so a suite's requests alternate
 * between rivulet-ingest processes as behind any load balancer. Each request (not each
 * connection) goes to the next backend. Clients may speak HTTP/1.1 or h2c (the stock AWS SDK v3
 * client's HTTP/2 with prior knowledge) to it, on one port, through rivulet-ingest's own
 * listener; like most load balancers it speaks HTTP/1.1 keep-alive to the backends. Bodies
 * stream both ways unbuffered.
 */
import http from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { listen } from '../../ingest-server/src/transport.js';

export interface RoundRobin {
  endpoint: string;
  port: number;
  /** Requests sent to each backend so far, in backend order. */
  counts(): number[];
  close(): Promise<void>;
}

/** Hop-by-hop headers, which a proxy does not forward (and HTTP/2 forbids). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);

export async function startRoundRobin(backendPorts: number[]): Promise<RoundRobin> {
  if (backendPorts.length === 0) throw new Error('round robin needs at least one backend');
  const counts = backendPorts.map(() => 0);
  let turn = 0;
  const agent = new http.Agent({ keepAlive: true });
  const handler = (req: http.IncomingMessage | Http2ServerRequest, res: http.ServerResponse | Http2ServerResponse) => {
    const i = turn++ % backendPorts.length;
    counts[i]!++;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':') && !HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    // HTTP/2 carries the host as :authority.
    if (headers['host'] === undefined && typeof req.headers[':authority'] === 'string') headers['host'] = req.headers[':authority'];
    const upstream = http.request({ host: '127.0.0.1', port: backendPorts[i], method: req.method, path: req.url, headers, agent }, (up) => {
      const back: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) back[k] = v;
      res.writeHead(up.statusCode ?? 502, back);
      up.pipe(res as http.ServerResponse);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`round robin: ${err.message}`);
    });
    req.pipe(upstream);
  };
  const listener = await listen({ host: '127.0.0.1', port: 0, handler });
  const port = listener.address.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    counts: () => [...counts],
    async close() {
      agent.destroy();
      await listener.close(0);
    },
  };
}
