/**
 * The log's HTTP faces:
 *
 * - read (C2SP tlog-tiles): `GET <prefix>checkpoint`, `tile/<L>/<N>[.p/<W>]`,
 *   `tile/entries/<N>[.p/<W>]` from any {@link TileFetcher} (a POSIX directory or the
 *   PostgreSQL store). `checkpoint` is `text/plain; charset=utf-8` and cached for a few seconds
 *   at most; tiles and bundles are `application/octet-stream`, immutable and cached for a year;
 *   bundles are gzip-encoded for clients that accept it. Unknown or malformed paths get 404.
 * - write: `POST <prefix>add` with the entry as the body (≤ 65,535 bytes), authorised by a
 *   bearer token (compared in constant time on SHA-256 digests). Answered once the entry is
 *   integrated: JSON `{ index, duplicate, size, checkpoint, tlogProof, receipt }` with the
 *   C2SP tlog-proof text and the RFC 9942 COSE receipt in base64.
 * - with witnesses configured, `checkpoint` serves the latest checkpoint that met the quorum
 *   (see {@link Publisher}); a checkpoint the witnesses did not cosign is never served.
 */
import * as crypto from '#crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { equalBytes, toBase64, utf8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import type { TileFetcher } from '../log/tiledlog.js';
import { parseTilePath } from '../log/tilepath.js';
import { MAX_ENTRY_BYTES } from '../log/tiles.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../log/tlogproof.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { parseNote } from '../log/note.js';
import { HttpError, listen, readBody, send, subPath, type Listening, type ServerLimits } from './http.js';
import type { Publisher } from './publisher.js';

/** What the write face needs of a store: `openLog`'s and `openPgLog`'s stores both qualify. */
export interface WritableLog {
  readonly verifierKey: string;
  append(entry: Uint8Array): Promise<{ readonly index: number; readonly duplicate?: boolean }>;
  checkpoint(): Promise<string>;
  receipt(index: number, size?: number): Promise<{ readonly cose: Uint8Array; readonly tlogProof: string; readonly size: number }>;
}

export interface LogServerOptions extends ServerLimits {
  /** `host:port` to listen on, e.g. `127.0.0.1:8080` (port 0: any free port). */
  readonly listen: string;
  /** The tlog-tiles resources to serve (`dirTileFetcher(dir)` or `pgLog.tileFetcher()`). */
  readonly tiles: TileFetcher;
  /** Mount prefix (default `/`), ending in `/`. */
  readonly prefix?: string;
  /** The store to append to; without it the server is read-only (POST gets 405). */
  readonly log?: WritableLog;
  /** Bearer tokens allowed to append (required with `log`). */
  readonly tokens?: readonly string[];
  /** Serve the witnessed checkpoint of this publisher, and publish after appends. */
  readonly publisher?: Publisher;
}

const TILE_HEADERS = { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'public, max-age=31536000, immutable' };
const CHECKPOINT_HEADERS = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=2, must-revalidate' };

function authorised(req: IncomingMessage, digests: readonly Uint8Array[]): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || h.length > 1024) return false;
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(h);
  if (m === null) return false;
  const d = crypto.sha256(utf8(m[1]!));
  let ok = false;
  for (const t of digests) ok = equalBytes(d, t) || ok; // every token compared: no early exit
  return ok;
}

async function serveRead(req: IncomingMessage, res: ServerResponse, path: string, opts: LogServerOptions): Promise<void> {
  const r = parseTilePath(path);
  if (r === null) throw new HttpError(404, 'not found');
  let body: Uint8Array | null;
  if (r.kind === 'checkpoint' && opts.publisher !== undefined) {
    const p = await opts.publisher.latest();
    body = p === undefined ? null : utf8(p);
  } else body = await opts.tiles(path);
  if (body === null) throw new HttpError(404, 'not found');
  const head = req.method === 'HEAD';
  if (r.kind === 'checkpoint') return send(res, 200, head ? new Uint8Array(0) : body, CHECKPOINT_HEADERS);
  if (r.kind === 'entries' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    return send(res, 200, head ? new Uint8Array(0) : gzipSync(body), { ...TILE_HEADERS, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
  }
  send(res, 200, head ? new Uint8Array(0) : body, r.kind === 'entries' ? { ...TILE_HEADERS, Vary: 'Accept-Encoding' } : TILE_HEADERS);
}

async function serveAdd(req: IncomingMessage, res: ServerResponse, opts: LogServerOptions, digests: readonly Uint8Array[]): Promise<void> {
  const log = opts.log;
  if (log === undefined) throw new HttpError(405, 'this log is read-only', { Allow: 'GET, HEAD' });
  if (!authorised(req, digests)) {
    req.resume();
    throw new HttpError(401, 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' });
  }
  const entry = await readBody(req, MAX_ENTRY_BYTES);
  if (entry.length === 0) throw new HttpError(400, 'empty entry');
  const { index, duplicate } = await log.append(entry);
  // The receipt is for the latest committed checkpoint (its size is read from the signed note,
  // not from the store's counter, which may include a batch being written), and is checked
  // before it is sent: a receipt that does not verify is never answered.
  const rc = await receiptFor(log, entry, index);
  opts.publisher?.schedule();
  const { checkpoint } = parseTlogProof(rc.tlogProof);
  // `receipt` is null only while the log has one entry: a one-entry tree's inclusion path is
  // empty, which the RFC 9942 CDDL cannot express; the tlog-proof is complete either way.
  const out = { index, duplicate: duplicate === true, size: rc.size, tlogProof: rc.tlogProof, receipt: rc.cose === null ? null : toBase64(rc.cose), checkpoint };
  send(res, 200, JSON.stringify(out), { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
}

async function receiptFor(log: WritableLog, entry: Uint8Array, index: number): Promise<{ cose: Uint8Array | null; tlogProof: string; size: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const cp = await log.checkpoint();
    const size = parseCheckpoint(parseNote(cp).text).size;
    if (size <= index) continue;
    if (size === 1) {
      // the first entry alone: its tlog-proof is the checkpoint and an empty path (leaf = root)
      const tlogProof = formatTlogProof({ index, proof: [], checkpoint: cp });
      if (verifyTlogProof(tlogProof, { entry, keys: [log.verifierKey] }).ok) return { cose: null, tlogProof, size };
      continue;
    }
    const rc = await log.receipt(index, size);
    if (verifyTlogProof(rc.tlogProof, { entry, keys: [log.verifierKey] }).ok) return rc;
  }
  throw new CustosError('ERR_INTERNAL', 'the store did not produce a receipt that verifies');
}

/**
 * Serves a log over HTTP (read, and write when `log` and `tokens` are given).
 *
 * @example
 * ```ts
 * const s = await serveLog({ listen: '127.0.0.1:8080', tiles: dirTileFetcher('/srv/log'), log, tokens: [token] });
 * console.log(s.url); // http://127.0.0.1:8080
 * ```
 */
export async function serveLog(opts: LogServerOptions): Promise<Listening> {
  const prefix = opts.prefix ?? '/';
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) fail('ERR_INVALID_ARGUMENT', '"prefix" must start and end with /');
  if (opts.log !== undefined && (opts.tokens === undefined || opts.tokens.length === 0)) fail('ERR_INVALID_ARGUMENT', 'a writable log needs at least one bearer token');
  for (const t of opts.tokens ?? []) if (!/^[A-Za-z0-9._~+/=-]{16,512}$/.test(t)) fail('ERR_INVALID_ARGUMENT', 'bearer tokens must be 16..512 token characters');
  const digests = (opts.tokens ?? []).map((t) => crypto.sha256(utf8(t)));
  return listen(
    opts.listen,
    async (req, res) => {
      const path = subPath(req, prefix);
      if (path === null) throw new HttpError(404, 'not found');
      if (path === 'add') {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST' });
        return serveAdd(req, res, opts, digests);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        req.resume();
        throw new HttpError(405, 'read-only resource', { Allow: 'GET, HEAD' });
      }
      return serveRead(req, res, path, opts);
    },
    opts,
  );
}
