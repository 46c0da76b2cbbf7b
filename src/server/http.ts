/**
 * Shared pieces of the HTTP faces (node:http): a server with timeouts that drop slow clients,
 * bounded body reading, plain responses, and listening on an explicit address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CustosError, fail } from '../errors.js';

export interface Listening {
  /** `http://host:port` of the running server. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServerLimits {
  /** Time allowed for the request headers (ms, default 5,000). */
  readonly headersTimeoutMs?: number;
  /** Time allowed for the whole request (ms, default 15,000); a slow client gets 408. */
  readonly requestTimeoutMs?: number;
}

/** Raised inside handlers to answer with a status (and a short plain-text reason). */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export function send(res: ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.length);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(b.length), 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(b);
}

/** Reads the request body, refusing (413) more than `max` bytes before reading them when it can. */
export async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > max)) throw new HttpError(413, `body larger than ${max} bytes`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new HttpError(413, `body larger than ${max} bytes`);
    chunks.push(c);
  }
  return new Uint8Array(Buffer.concat(chunks, n));
}

/** Maps an error to a response: HttpError as given, a CustosError of bad input to 400, the rest to 500. */
export function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof HttpError) {
    send(res, e.status, `${e.message}\n`, e.headers);
    if (e.status === 413) res.once('finish', () => res.socket?.destroy());
    return;
  }
  if (e instanceof CustosError && (e.code === 'ERR_LIMIT' || e.code === 'ERR_INVALID_ARGUMENT')) {
    send(res, e.code === 'ERR_LIMIT' ? 413 : 400, `${e.code}\n`);
    return;
  }
  // No detail for the client: internal errors may name database or file state.
  send(res, e instanceof CustosError && e.code === 'ERR_DB' ? 503 : 500, `${e instanceof CustosError ? e.code : 'ERR_INTERNAL'}\n`);
}

/** Parses `host:port`; only a numeric IPv4/IPv6 host or `localhost` (never a name to resolve). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):(\d{1,5})$/.exec(listen);
  if (m === null || Number(m[2]) > 65535) fail('ERR_INVALID_ARGUMENT', '"listen" must be host:port, e.g. 127.0.0.1:8080');
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Starts `handler` on `listen` (`host:port`; port 0 picks a free one). */
export async function listen(
  listenAddr: string,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  limits: ServerLimits = {},
): Promise<Listening> {
  const { host, port } = parseListen(listenAddr);
  const server: Server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs ?? 15_000,
      headersTimeout: limits.headersTimeoutMs ?? 5_000,
      keepAliveTimeout: 5_000,
      // How often node checks those timeouts (its default, 30 s, would let a slow client stay).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor((limits.headersTimeoutMs ?? 5_000) / 2))),
    },
    (req, res) => {
      handler(req, res).catch((e: unknown) => sendError(res, e));
    },
  );
  server.maxHeadersCount = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new CustosError('ERR_IO', `cannot listen on ${listenAddr}`, { cause: e })));
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${h}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request path below the mount prefix, without query; null when outside it. */
export function subPath(req: IncomingMessage, prefix: string): string | null {
  const raw = (req.url ?? '').split('?')[0]!;
  if (!raw.startsWith(prefix)) return null;
  return raw.slice(prefix.length);
}
