/**
 * The listening socket. One port serves HTTP/1.1 and HTTP/2: in cleartext by sniffing the
 * HTTP/2 connection preface ("PRI * HTTP/2.0", prior knowledge, which the AWS SDK v3 sends),
 * and over TLS through ALPN (h2, http/1.1). Owns sockets and shutdown, not requests: every
 * request goes to the one handler Fastify gives us.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

export type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

export interface ListenOptions {
  host: string;
  port: number;
  handler: RequestHandler;
  tls?: { certFile: string; keyFile: string } | undefined;
}

export interface Listener {
  address: AddressInfo;
  protocol: 'http' | 'https';
  /** Stops accepting, lets in-flight requests finish, then closes idle connections. */
  close(graceMs?: number): Promise<void>;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Node's HTTP/2 session reads the socket's native handle directly, so bytes we already read to
 * sniff the preface would be lost if unshifted. The native session can be handed bytes with
 * receive(); Node keeps that handle behind an internal symbol, so where it is missing (another
 * Node version) we fall back to a Duplex that replays the bytes and proxies the socket, which
 * works everywhere but moves every byte through JavaScript.
 */
function sessionHandle(session: Http2Session): { receive(data: Buffer): void } | null {
  const symbol = Object.getOwnPropertySymbols(session).find((s) => s.description === 'kHandle');
  const handle = symbol ? (session as unknown as Record<symbol, unknown>)[symbol] : undefined;
  const receive = (handle as { receive?: unknown } | undefined)?.receive;
  return typeof receive === 'function' ? (handle as { receive(data: Buffer): void }) : null;
}

let canFeedSessions = true;

function feedSession(session: Http2Session, bytes: Buffer): void {
  const handle = sessionHandle(session);
  if (!handle) {
    canFeedSessions = false;
    session.destroy();
    return;
  }
  handle.receive(bytes);
}

function replayingDuplex(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  Object.assign(duplex, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localAddress: socket.localAddress, localPort: socket.localPort });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.resume();
  return duplex;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  // Fastify's handler serves both request flavours; the node typings only know one at a time.
  const handler = options.handler as (req: IncomingMessage, res: ServerResponse) => void;
  const h2handler = options.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  let front: net.Server;
  let h1: http.Server | null = null;
  const busy = new Map<Socket, number>();
  const isHttp2 = new WeakSet<Socket>();
  let closing = false;

  if (options.tls) {
    const secure = http2.createSecureServer(
      { allowHTTP1: true, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
      h2handler,
    );
    secure.on('session', (s) => {
      sessions.add(s);
      s.once('close', () => sessions.delete(s));
    });
    front = secure;
  } else {
    h1 = http.createServer({ keepAliveTimeout: 65_000 }, handler);
    // This server never listens itself, so Node does not track its connections for
    // closeIdleConnections(); count in-flight requests per socket instead.
    h1.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const left = (busy.get(socket) ?? 1) - 1;
        busy.set(socket, left);
        if (left === 0 && closing) socket.destroy();
      });
    });
    const h2 = http2.createServer({}, h2handler);
    let preface: Buffer | null = null;
    h2.on('session', (s) => {
      sessions.add(s);
      s.once('close', () => sessions.delete(s));
      // Emitted synchronously inside emit('connection'): hand the session the bytes we sniffed.
      if (preface) feedSession(s, preface);
      preface = null;
    });
    const h1Server = h1;
    front = net.createServer((socket) => {
      // HTTP/2 writes frames in small pieces; with Nagle on, each waits out a delayed ACK (~40 ms).
      socket.setNoDelay(true);
      let seen = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        const n = Math.min(seen.byteLength, PREFACE.byteLength);
        const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
        if (isH2 && n < PREFACE.byteLength) return; // wait for the rest of the preface
        socket.off('data', onData);
        socket.pause();
        if (isH2) {
          isHttp2.add(socket);
          if (canFeedSessions) {
            preface = seen;
            h2.emit('connection', socket);
            socket.resume();
          } else {
            h2.emit('connection', replayingDuplex(socket, seen));
          }
        } else {
          socket.unshift(seen);
          h1Server.emit('connection', socket);
          socket.resume();
        }
      };
      socket.on('data', onData);
      socket.on('error', () => socket.destroy());
    });
  }
  front.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => {
      front.off('error', reject);
      resolve();
    });
  });

  return {
    address: front.address() as AddressInfo,
    protocol: options.tls ? 'https' : 'http',
    async close(graceMs = 5_000) {
      closing = true;
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of sessions) s.close();
      // Idle HTTP/1.1 keep-alive sockets close now; busy ones right after their response.
      for (const socket of sockets) if ((busy.get(socket) ?? 0) === 0 && !isHttp2.has(socket)) socket.destroy();
      const deadline = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, graceMs);
      deadline.unref();
      await closed;
      clearTimeout(deadline);
    },
  };
}
