import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoundRobin, type RoundRobin } from './round-robin.js';

/** A real backend answering `<name>:<method>:<body>` over HTTP/1.1. */
async function backend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`${name}:${req.method}:${body}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function h2Post(session: http2.ClientHttp2Session, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': '/' });
    let out = '';
    req.on('data', (c: Buffer) => (out += c.toString()));
    req.on('end', () => resolve(out));
    req.on('error', reject);
    req.end(body);
  });
}

describe('round-robin load balancer', () => {
  let a: Awaited<ReturnType<typeof backend>>;
  let b: Awaited<ReturnType<typeof backend>>;
  let lb: RoundRobin;
  beforeAll(async () => {
    a = await backend('a');
    b = await backend('b');
    lb = await startRoundRobin([a.port, b.port]);
  });
  afterAll(async () => {
    await lb?.close();
    await a?.close();
    await b?.close();
  });

  it('sends each HTTP/1.1 keep-alive request to the next backend, with its body', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(
        await new Promise<string>((resolve, reject) => {
          const req = http.request(`${lb.endpoint}/`, { method: 'POST', agent }, (res) => {
            let out = '';
            res.on('data', (c: Buffer) => (out += c.toString()));
            res.on('end', () => resolve(out));
          });
          req.on('error', reject);
          req.end(`n${i}`);
        }),
      );
    }
    agent.destroy();
    expect(seen).toEqual(['a:POST:n0', 'b:POST:n1', 'a:POST:n2', 'b:POST:n3']);
  });

  it('sends each request of one h2c connection to the next backend', async () => {
    const before = lb.counts();
    const session = http2.connect(lb.endpoint);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await h2Post(session, `m${i}`));
    session.close();
    expect(seen.map((s) => s.slice(2))).toEqual(['POST:m0', 'POST:m1', 'POST:m2', 'POST:m3']);
    expect(new Set(seen.map((s) => s[0]))).toEqual(new Set(['a', 'b']));
    expect(seen[0]![0]).not.toBe(seen[1]![0]);
    expect(lb.counts().map((n, i) => n - before[i]!)).toEqual([2, 2]);
  });
});
