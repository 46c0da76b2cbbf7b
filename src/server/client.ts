/**
 * HTTP clients: a {@link TileFetcher} over a log's URL prefix (timeouts, per-resource size
 * limits, no redirects) and verifiers that trust nothing the server says without proof: the
 * checkpoint must verify under the caller's keys (and witness policy), and every tile, entry
 * and proof is checked against that checkpoint's root, fetched once and used throughout.
 */
import { equalBytes, fromUtf8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { leafHash, verifyInclusion } from '../log/merkle.js';
import { NOTE_MAX_BYTES } from '../log/note.js';
import { Checks, type LogReport } from '../log/report.js';
import { tiledEntry, tiledInclusionProof, verifyTiledLog, type TiledLogReport, type TileFetcher } from '../log/tiledlog.js';
import { parseTilePath } from '../log/tilepath.js';
import { MAX_ENTRY_BYTES } from '../log/tiles.js';
import { verifyCheckpoint, type VerifierInput, type WitnessPolicy } from '../log/witness.js';

export interface HttpClientOptions {
  /** Per request (ms, default 10,000). */
  readonly timeoutMs?: number;
}

async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  const len = res.headers.get('content-length');
  if (len !== null && Number(len) > max) {
    await res.body?.cancel();
    fail('ERR_LIMIT', `response larger than ${max} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let n = 0;
  if (res.body !== null) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) {
        await reader.cancel();
        fail('ERR_LIMIT', `response larger than ${max} bytes`);
      }
      chunks.push(value);
    }
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function checkUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail('ERR_INVALID_ARGUMENT', 'not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('ERR_INVALID_ARGUMENT', 'only http and https URLs');
  return u;
}

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(checkUrl(url), { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    if (e instanceof CustosError) throw e;
    const name = (e as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new CustosError('ERR_TIMEOUT', `no answer within ${timeoutMs} ms`, { cause: e });
    throw new CustosError('ERR_HTTP', 'the request failed', { cause: e });
  }
}

/** POSTs text and returns status, content type and (size-limited) text. */
export async function postText(url: string, body: string, opts: { timeoutMs: number; maxBytes: number; headers?: Record<string, string> }): Promise<{ status: number; contentType: string; text: string }> {
  const res = await request(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...opts.headers } }, opts.timeoutMs);
  const bytes = await readLimited(res, opts.maxBytes);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: fromUtf8(bytes) };
}

/** Largest response accepted for each kind of resource. */
function maxFor(path: string): number {
  const r = parseTilePath(path);
  if (r === null) fail('ERR_INVALID_ARGUMENT', `not a tlog-tiles path: ${path}`);
  if (r.kind === 'checkpoint') return NOTE_MAX_BYTES;
  if (r.kind === 'tile') return r.width * 32;
  return r.width * (2 + MAX_ENTRY_BYTES);
}

/**
 * A fetcher over `prefix` (e.g. `http://127.0.0.1:8080/`): 404 is "absent", any other non-200
 * is ERR_HTTP, a response over the resource's size bound is ERR_LIMIT, a slow one ERR_TIMEOUT.
 *
 * @example
 * ```ts
 * const r = await verifyTiledLog(httpTileFetcher('http://127.0.0.1:8080/'), [vkey]);
 * ```
 */
export function httpTileFetcher(prefix: string, opts: HttpClientOptions = {}): TileFetcher {
  const base = checkUrl(prefix).toString().replace(/\/?$/, '/');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return async (path: string) => {
    const max = maxFor(path);
    const res = await request(base + path, { headers: { 'Accept-Encoding': 'gzip, identity' } }, timeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new CustosError('ERR_HTTP', `GET ${path} answered ${res.status}`);
    }
    return readLimited(res, max);
  };
}

/**
 * Audits a whole log over HTTP ({@link verifyTiledLog} over {@link httpTileFetcher}). Network
 * failures and oversized answers fail the report; they never pass a check.
 */
export async function verifyRemoteLog(prefix: string, keys: readonly VerifierInput[] | WitnessPolicy, opts: HttpClientOptions & { readonly entries?: boolean } = {}): Promise<TiledLogReport> {
  try {
    return await verifyTiledLog(httpTileFetcher(prefix, opts), keys, opts.entries === undefined ? {} : { entries: opts.entries });
  } catch (e) {
    if (!(e instanceof CustosError) || e.code === 'ERR_INVALID_ARGUMENT') throw e;
    const checks = new Checks();
    checks.failed('fetch', e.code, e.message);
    return { ...checks.report(), entriesChecked: 0 };
  }
}

export interface RemoteInclusionReport extends LogReport {
  readonly index: number;
  readonly size?: number;
  /** The entry, present only when `ok`. */
  readonly entry?: Uint8Array;
}

/**
 * Proves entry `index` of a log over HTTP: the checkpoint verifies under `keys` (and witness
 * quorum), the entry comes from its bundle, and its inclusion proof, built from tiles, leads to
 * the checkpoint's root. With `entry`, the log's entry must be exactly those bytes.
 *
 * @example
 * ```ts
 * const r = await verifyRemoteInclusion('http://127.0.0.1:8080/', 42, { log: [vkey], witnesses, quorum: 2 });
 * ```
 */
export async function verifyRemoteInclusion(
  prefix: string,
  index: number,
  keys: readonly VerifierInput[] | WitnessPolicy,
  opts: HttpClientOptions & { readonly entry?: Uint8Array } = {},
): Promise<RemoteInclusionReport> {
  if (!Number.isSafeInteger(index) || index < 0) fail('ERR_INVALID_ARGUMENT', '"index" must be a non-negative integer');
  const fetch = httpTileFetcher(prefix, opts);
  const checks = new Checks();
  try {
    const raw = await fetch('checkpoint');
    if (raw === null) {
      checks.failed('checkpoint.present', 'ERR_TILE_INVALID', 'no checkpoint');
      return { ...checks.report(), index };
    }
    const cp = verifyCheckpoint(raw, keys);
    checks.list.push(...cp.checks);
    if (!cp.ok || cp.checkpoint === undefined) return { ...checks.report(), index };
    const { size, root } = cp.checkpoint;
    if (index >= size) {
      checks.failed('inclusion', 'ERR_PROOF_MALFORMED', `index ${index} is not below the checkpoint size ${size}`);
      return { ...checks.report(), index, size };
    }
    const entry = await tiledEntry(fetch, index, size);
    const proof = await tiledInclusionProof(fetch, index, size);
    const r = verifyInclusion(leafHash(entry), index, size, proof, root);
    if (r.ok) checks.pass('inclusion', `${index} in ${size}`);
    else checks.failed('inclusion', r.code, r.reason);
    if (opts.entry !== undefined) {
      if (equalBytes(leafHash(opts.entry), leafHash(entry))) checks.pass('entry');
      else checks.failed('entry', 'ERR_DIGEST_MISMATCH', 'the log holds other bytes at this index');
    }
    const rep = checks.report();
    return rep.ok ? { ...rep, index, size, entry } : { ...rep, index, size };
  } catch (e) {
    if (!(e instanceof CustosError) || e.code === 'ERR_INVALID_ARGUMENT') throw e;
    checks.failed('fetch', e.code, e.message);
    return { ...checks.report(), index };
  }
}

