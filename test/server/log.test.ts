// The log's HTTP faces on loopback, from the POSIX store and from the PostgreSQL store: reads
// with the tlog-tiles caching headers, authenticated writes answered with index, tlog-proof and
// receipt, verifiers over HTTP, and bad input to every endpoint (a clear status, nothing
// stored). Attacks on the HTTP verifier, each tested against a hostile server in front of a real
// log: splice (a tile of another log), reorder (two entries of a bundle swapped), omit (a tile
// answered 404), swap between reads (the checkpoint of another log on the second fetch), a
// checkpoint of another key (forgery), oversized answers, a server that never answers, an index
// beyond the signed size (a check whose data is absent).
import { connect } from 'node:net';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, utf8 } from '../../src/bytes.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from '../../src/log/notekeys.js';
import { verifyReceipt } from '../../src/log/receipt.js';
import type { TileFetcher } from '../../src/log/tiledlog.js';
import { verifyTlogProof } from '../../src/log/tlogproof.js';
import { dirTileFetcher } from '../../src/node/logfs.js';
import { openLog } from '../../src/node/logstore.js';
import type { LogStore } from '../../src/node/logtypes.js';
import { openPgLog } from '../../src/pg/index.js';
import { serveLog, verifyRemoteInclusion, verifyRemoteLog } from '../../src/server/index.js';
import { startPg, type PgServer } from '../support/pg.js';

const ORIGIN = 'http.example.org/log';
const { skey, vkey } = generateNoteKey(ORIGIN);
const signer = parseSignerKey(skey);
const TOKEN = 'test-token-0123456789abcdef';
const tmp = mkdtempSync(join(tmpdir(), 'custos-http-'));
let pgServer: PgServer;
beforeAll(async () => {
  pgServer = await startPg();
}, 120_000);
afterAll(async () => {
  await pgServer?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const add = (url: string, body: Uint8Array, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) => fetch(`${url}/add`, { method: "POST", body: body as unknown as BodyInit, headers });

/** Raw HTTP over a socket, for requests fetch will not send (slow, partial, odd paths). */
function raw(url: string, text: string, waitMs: number): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.write(text);
    setTimeout(() => s.destroy(), waitMs);
  });
}

async function exercise(log: Pick<LogStore, 'append' | 'receipt' | 'size' | 'checkpoint' | 'verifierKey'> & { append(e: Uint8Array): Promise<{ index: number }> }, tiles: TileFetcher) {
  const srv = await serveLog({ listen: '127.0.0.1:0', tiles, log, tokens: [TOKEN], headersTimeoutMs: 500, requestTimeoutMs: 1000 });
  try {
    const key = { alg: 'EdDSA' as const, publicKey: parseVerifierKey(vkey).publicKey };
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => add(srv.url, utf8(`entry ${i}`)).then(async (r) => { const t = await r.text(); if (r.status !== 200) throw new Error(`append ${i}: ${r.status} ${t}`); return JSON.parse(t) as { index: number; size: number; tlogProof: string; receipt: string | null; checkpoint: string }; })));
    for (const [i, a] of answers.entries()) {
      if (i % 29 !== 0) continue;
      expect(verifyTlogProof(a.tlogProof, { entry: utf8(`entry ${i}`), keys: [vkey] }).ok).toBe(true);
      // no RFC 9942 receipt for a one-entry tree (its empty path is outside the CDDL); every other answer has one
      if (a.receipt === null) expect(a.size).toBe(1);
      else expect(verifyReceipt(fromBase64(a.receipt), { key, entry: utf8(`entry ${i}`) }).ok).toBe(true);
    }
    const size = log.size;
    expect(size).toBe(300);
    // read face: headers per tlog-tiles
    const cp = await fetch(`${srv.url}/checkpoint`);
    expect(cp.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(cp.headers.get('cache-control')).toMatch(/max-age=[0-5]\b/);
    const t = await fetch(`${srv.url}/tile/0/000`);
    expect(t.status).toBe(200);
    expect(t.headers.get('content-type')).toBe('application/octet-stream');
    expect(t.headers.get('cache-control')).toContain('immutable');
    expect((await t.arrayBuffer()).byteLength).toBe(8192);
    const gz = await raw(srv.url, 'GET /tile/entries/000 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n', 2000);
    expect(gz).toMatch(/content-encoding: gzip/i);
    const gzBody = Buffer.from(gz.slice(gz.indexOf('\r\n\r\n') + 4), 'latin1');
    expect(gunzipSync(gzBody).length).toBeGreaterThan(256 * 2);
    // verifiers over HTTP
    const audit = await verifyRemoteLog(`${srv.url}/`, [vkey]);
    expect(audit.ok && audit.entriesChecked).toBe(300);
    const inc = await verifyRemoteInclusion(`${srv.url}/`, 257, [vkey], { entry: utf8('entry 257') });
    expect(inc.ok).toBe(true);
    expect((await verifyRemoteInclusion(`${srv.url}/`, 257, [vkey], { entry: utf8('entry 258') })).code).toBe('ERR_DIGEST_MISMATCH');
    expect((await verifyRemoteInclusion(`${srv.url}/`, 300, [vkey])).code).toBe('ERR_PROOF_MALFORMED');

    // bad input to the write face: nothing is stored
    expect((await add(srv.url, utf8('x'), {})).status).toBe(401);
    expect((await add(srv.url, utf8('x'), { Authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(401);
    expect((await add(srv.url, utf8('x'), { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await add(srv.url, new Uint8Array(65_536))).status).toBe(413);
    expect((await add(srv.url, new Uint8Array(0))).status).toBe(400);
    expect((await fetch(`${srv.url}/add`)).status).toBe(405);
    const chunkedHuge = await raw(srv.url, `POST /add HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n${'a'.repeat(65536)}\r\n10\r\n${'b'.repeat(16)}\r\n0\r\n\r\n`, 2000);
    expect(chunkedHuge).toMatch(/^HTTP\/1\.1 413/);
    // a slow client: headers never finish, or the body stalls
    const t0 = Date.now();
    expect(await raw(srv.url, 'GET /checkpoint HTTP/1.1\r\nHost: x\r\n', 4000)).toMatch(/^HTTP\/1\.1 408/);
    expect(await raw(srv.url, `POST /add HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\nonly ten b`, 4000)).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - t0).toBeLessThan(6000); // dropped by the server, not by our socket timer
    // unknown and malformed paths, other methods on the read face
    for (const p of ['/tile/0/0000', '/tile/0/x000/000', '/tile/64/000', '/tile/0/000.p/256', '/tile/0/000.p/0', '/tile/0/000.p/07', '/tile/entries/001', '/tile/0/001', '/checkpoint/x', '/../../etc/passwd', '/tile/0/../../../etc/passwd', '/nope', '/']) {
      expect((await fetch(`${srv.url}${p}`)).status, p).toBe(404);
    }
    expect(await raw(srv.url, 'GET /tile/0/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 1000)).toMatch(/^HTTP\/1\.1 404/);
    expect((await fetch(`${srv.url}/checkpoint`, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect(log.size).toBe(300);
    expect((await verifyRemoteLog(`${srv.url}/`, [vkey])).entriesChecked).toBe(300);
    return srv.url;
  } finally {
    await srv.close();
  }
}

describe('log over HTTP', () => {
  it('POSIX store: writes, reads, verifiers, bad input', async () => {
    const dir = join(tmp, 'posix');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    await exercise(log, dirTileFetcher(dir));
    await log.close();
  }, 60_000);

  it('PostgreSQL store: the same over the database', async () => {
    const log = await openPgLog({ connectionString: pgServer.url, schema: 'http', signer, origin: ORIGIN, dedupe: true });
    await exercise(log, log.tileFetcher());
    // a duplicate entry is answered with its existing index
    const srv = await serveLog({ listen: '127.0.0.1:0', tiles: log.tileFetcher(), log, tokens: [TOKEN] });
    const again = (await (await add(srv.url, utf8('entry 5'))).json()) as { index: number; duplicate: boolean };
    expect(again.duplicate).toBe(true);
    expect(log.size).toBe(300);
    await srv.close();
    await log.close();
  }, 60_000);

  it('the HTTP verifier trusts nothing unproven from a hostile server', async () => {
    const dir = join(tmp, 'honest');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(utf8(`h${i}`))));
    const otherDir = join(tmp, 'other');
    const other = await openLog(otherDir, { signer, origin: ORIGIN });
    await Promise.all(Array.from({ length: 600 }, (_, i) => other.append(utf8(`o${i}`))));
    await log.close();
    await other.close();
    const honest = dirTileFetcher(dir);
    const second = dirTileFetcher(otherDir);
    let mode = 'honest';
    let checkpointReads = 0;
    const hostile = createServer((req, res) => {
      void (async () => {
        const path = (req.url ?? '/').slice(1);
        if (mode === 'silent') return; // never answers
        let body = await honest(path);
        if (mode === 'splice' && (path.startsWith('tile/0/001') || path.startsWith('tile/1/'))) body = await second(path);
        if (mode === 'omit' && path.startsWith('tile/0/')) body = null;
        if (mode === 'reorder' && path.startsWith('tile/entries/000') && body) {
          const b = Buffer.from(body);
          const l0 = b.readUInt16BE(0);
          const l1 = b.readUInt16BE(2 + l0);
          body = Buffer.concat([b.subarray(2 + l0, 4 + l0 + l1), b.subarray(0, 2 + l0), b.subarray(4 + l0 + l1)]);
        }
        if (mode === 'swap' && path === 'checkpoint' && checkpointReads++ > 0) body = await second(path);
        if (mode === 'swap' && path.startsWith('tile/')) body = await second(path);
        if (mode === 'forged' && path === 'checkpoint') body = utf8((await (async () => {
          const f = await openLog(join(tmp, `forged-${Date.now()}`), { signer: parseSignerKey(generateNoteKey(ORIGIN).skey), origin: ORIGIN });
          const c = await f.checkpoint();
          await f.close();
          return c;
        })()));
        if (mode === 'huge' && path.startsWith('tile/0/')) body = new Uint8Array(1 << 20);
        if (body === null) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.from(body));
      })();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    try {
      mode = 'honest';
      expect((await verifyRemoteInclusion(url, 300, [vkey], { entry: utf8('h300') })).ok).toBe(true);
      const expectFail = async (m: string, index: number) => {
        mode = m;
        checkpointReads = 0;
        const r = await verifyRemoteInclusion(url, index, [vkey], { timeoutMs: 1000 });
        expect(r.ok, m).toBe(false);
        return r.code;
      };
      expect(await expectFail('splice', 300)).toBe('ERR_TILE_INVALID'); // the entry no longer hashes to its leaf
      expect(await expectFail('splice', 5)).toBe('ERR_PROOF_INVALID'); // the proof leaves the signed root
      expect(await expectFail('omit', 300)).toBe('ERR_TILE_INVALID');
      expect(await expectFail('reorder', 0)).toBe('ERR_TILE_INVALID');
      expect(await expectFail('swap', 300)).not.toBeUndefined();
      expect(await expectFail('forged', 300)).toBe('ERR_NOTE_UNVERIFIED');
      expect(await expectFail('huge', 300)).toBe('ERR_LIMIT');
      expect(await expectFail('silent', 300)).toBe('ERR_TIMEOUT');
      mode = 'splice';
      expect((await verifyRemoteLog(url, [vkey])).ok).toBe(false);
      mode = 'silent';
      expect((await verifyRemoteLog(url, [vkey], { timeoutMs: 500 })).code).toBe('ERR_TIMEOUT');
    } finally {
      hostile.closeAllConnections();
      await new Promise((r) => hostile.close(r));
    }
  }, 60_000);
});
