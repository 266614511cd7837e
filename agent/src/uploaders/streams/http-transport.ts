/**
 * The uploader's HTTP client: node:http(s) with keep-alive, one request at a time per call, the
 * whole response body collected. The seam tests use to cut a connection after the server answered.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

export function createHttpTransport(): { send: HttpTransport; close(): void } {
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 4 }), https: new https.Agent({ keepAlive: true, maxSockets: 4 }) };
  const send: HttpTransport = (req) =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const lib = url.protocol === 'https:' ? https : http;
      const request = lib.request(url, { method: req.method, headers: { ...req.headers, 'content-length': String(req.body.byteLength) }, agent: url.protocol === 'https:' ? agents.https : agents.http, timeout: req.timeoutMs }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(parts) });
        });
        res.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`request timed out after ${req.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(req.body);
    });
  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
