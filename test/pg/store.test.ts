// The PostgreSQL log store on a real server (CUSTOS_PG_URL, or a throwaway local cluster).
// Attacks on what the store reads back from the database, each tested below: a tile changed
// (splice), the integrated root rolled back (replay of an old root), a checkpoint replaced by
// one of another key (forgery), rows removed (omit), another origin or key opening the log,
// a schema from the future; and a verifier auditing the exported tiles.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from '../../src/log/notekeys.js';
import { verifyReceipt } from '../../src/log/receipt.js';
import { verifyTiledLog } from '../../src/log/tiledlog.js';
import { verifyTlogProof } from '../../src/log/tlogproof.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { dirTileFetcher } from '../../src/node/logfs.js';
import { openLog } from '../../src/node/logstore.js';
import { openPgLog, SCHEMA_VERSION } from '../../src/pg/index.js';
import { codeOf } from '../support/code.js';
import { startPg, type PgServer } from '../support/pg.js';
import { diffTiles } from './compare.js';

const ORIGIN = 'pg.example.org/custody';
const { skey, vkey } = generateNoteKey(ORIGIN);
const signer = parseSignerKey(skey);
const tmp = mkdtempSync(join(tmpdir(), 'custos-pgstore-'));
let server: PgServer;
beforeAll(async () => {
  server = await startPg();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function sql(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

describe('PostgreSQL log store', () => {
  it('appends concurrently, proves, issues receipts, and exports the POSIX store\'s bytes', async () => {
    const log = await openPgLog({ connectionString: server.url, schema: 'basic', signer, origin: ORIGIN, maxBatch: 97 });
    expect(verifyCheckpoint(await log.checkpoint(), [vkey]).checkpoint?.size).toBe(0);
    const N = 1300;
    const entries = Array.from({ length: N }, (_, i) => utf8(`event ${i}`));
    const res = await Promise.all(entries.map((e) => log.append(e)));
    expect(new Set(res.map((r) => r.index)).size).toBe(N);
    expect(Math.max(...res.map((r) => r.index))).toBe(N - 1);
    const cp = verifyCheckpoint(await log.checkpoint(), { log: [vkey], origin: ORIGIN });
    expect(cp.ok && cp.checkpoint?.size).toBe(N);
    const root = cp.checkpoint!.root;
    const key = { alg: 'EdDSA' as const, publicKey: parseVerifierKey(vkey).publicKey };
    for (let i = 0; i < N; i += 37) {
      const { index } = res[i]!;
      const p = await log.prove(index);
      expect(verifyInclusion(leafHash(entries[i]!), index, N, p.proof, root).ok).toBe(true);
      expect(await log.entry(index)).toEqual(entries[i]);
      const rc = await log.receipt(index);
      expect(verifyTlogProof(rc.tlogProof, { entry: entries[i]!, keys: [vkey] }).ok).toBe(true);
      expect(verifyReceipt(rc.cose, { key, entry: entries[i]!, checkpoint: { size: N, root } }).ok).toBe(true);
      // the wrong entry never verifies
      expect(verifyTlogProof(rc.tlogProof, { entry: utf8('forged'), keys: [vkey] }).ok).toBe(false);
    }
    const sizes = (await sql('SELECT size FROM basic.checkpoints ORDER BY size')).rows.map((r) => Number(r.size));
    // the empty tree and the final size at least; how many batches lie between depends on timing
    expect(sizes[0]).toBe(0);
    expect(sizes.at(-1)).toBe(N);
    for (const m of sizes.filter((s) => s > 0 && s < N)) {
      const c = await log.proveConsistency(m);
      const o = verifyCheckpoint(c.oldCheckpoint, [vkey]).checkpoint!;
      expect(verifyConsistency(m, N, o.root, root, c.proof).ok).toBe(true);
    }
    expect(await codeOf(log.append(new Uint8Array(65536)))).toBe('ERR_LIMIT');
    // the database's tiles are a valid tlog-tiles log, served from PostgreSQL…
    const viaDb = await verifyTiledLog(log.tileFetcher(), [vkey]);
    expect(viaDb.ok && viaDb.entriesChecked).toBe(N);
    // …and exported, identical to what the POSIX store writes for the same entries in the same order
    const out = join(tmp, 'export');
    expect((await log.exportTiles(out)).size).toBe(N);
    expect((await verifyTiledLog(dirTileFetcher(out), [vkey])).ok).toBe(true);
    const posix = await openLog(join(tmp, 'posix'), { signer, origin: ORIGIN, maxBatch: 211 });
    const ordered = await Promise.all(Array.from({ length: N }, (_, i) => log.entry(i)));
    await Promise.all(ordered.map((e) => posix.append(e)));
    await posix.close();
    expect(diffTiles(out, join(tmp, 'posix'), N)).toEqual([]);
    // same key, same body: the same (deterministic Ed25519) checkpoint bytes
    expect(await log.checkpoint()).toBe(await posix.checkpoint());
    await log.close();
    const again = await openPgLog({ connectionString: server.url, schema: 'basic', signer, origin: ORIGIN });
    expect(again.size).toBe(N);
    expect((await again.append(utf8('after reopen'))).index).toBe(N);
    await again.close();
  });

  it('two stores append to one log at once; each sees the other after refresh', async () => {
    const opts = { connectionString: server.url, schema: 'two', signer, origin: ORIGIN, maxBatch: 50 };
    const [a, b] = await Promise.all([openPgLog(opts), openPgLog(opts)]);
    const [ra, rb] = await Promise.all([
      Promise.all(Array.from({ length: 400 }, (_, i) => a.append(utf8(`a${i}`)))),
      Promise.all(Array.from({ length: 400 }, (_, i) => b.append(utf8(`b${i}`)))),
    ]);
    const all = [...ra, ...rb].map((r) => r.index).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 800 }, (_, i) => i));
    await a.refresh();
    await b.refresh();
    expect(a.size).toBe(800);
    expect(b.size).toBe(800);
    expect(await a.entry(rb[7]!.index)).toEqual(utf8('b7'));
    expect(await a.checkpoint()).toBe(await b.checkpoint());
    await Promise.all([a.close(), b.close()]);
  });

  it('the identity index answers a duplicate with its existing index and stores it once', async () => {
    const log = await openPgLog({ connectionString: server.url, schema: 'dedupe', signer, origin: ORIGIN, dedupe: true });
    const first = await log.append(utf8('same'));
    expect(first).toEqual({ index: 0, duplicate: false });
    expect(await log.append(utf8('same'))).toEqual({ index: 0, duplicate: true });
    // repeats inside one batch and against the log
    const rs = await Promise.all(['x', 'y', 'x', 'same', 'y', 'z'].map((s) => log.append(utf8(s))));
    expect(rs.map((r) => r.duplicate)).toEqual([false, false, true, true, true, false]);
    expect(rs[2]!.index).toBe(rs[0]!.index);
    expect(rs[3]!.index).toBe(0);
    expect(log.size).toBe(4);
    expect((await verifyTiledLog(log.tileFetcher(), [vkey])).entriesChecked).toBe(4);
    await log.close();
  });

  it('creates and versions its schema; refuses another origin, another key, a newer schema', async () => {
    const log = await openPgLog({ connectionString: server.url, schema: 'meta', signer, origin: ORIGIN });
    await log.append(utf8('one'));
    await log.close();
    const v = (await sql(`SELECT value FROM meta.meta WHERE key = 'schema_version'`)).rows[0]?.value;
    expect(v).toBe(String(SCHEMA_VERSION));
    expect(await codeOf(openPgLog({ connectionString: server.url, schema: 'meta', signer, origin: 'other.example/log' }))).toBe('ERR_CHECKPOINT_ORIGIN');
    const other = parseSignerKey(generateNoteKey(ORIGIN).skey);
    expect(await codeOf(openPgLog({ connectionString: server.url, schema: 'meta', signer: other, origin: ORIGIN }))).toBe('ERR_KEY_UNKNOWN');
    await sql(`UPDATE meta.meta SET value = '99' WHERE key = 'schema_version'`);
    expect(await codeOf(openPgLog({ connectionString: server.url, schema: 'meta', signer, origin: ORIGIN }))).toBe('ERR_UNSUPPORTED');
    expect(await codeOf(openPgLog({ connectionString: server.url, schema: 'Bad-Name', signer, origin: ORIGIN }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('refuses a database whose tiles, root or checkpoint were tampered with (ERR_LOG_CORRUPT)', async () => {
    const opts = { connectionString: server.url, schema: 'tamper', signer, origin: ORIGIN };
    const log = await openPgLog(opts);
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(utf8(`t${i}`))));
    await log.close();
    const corrupt = async (change: string, undo: string) => {
      await sql(change);
      const code = await codeOf(openPgLog(opts));
      await sql(undo);
      return code;
    };
    // splice: one leaf hash changed
    expect(await corrupt(`UPDATE tamper.tiles SET hashes = overlay(hashes placing '\\xff'::bytea from 5) WHERE level = 0 AND idx = 0`, `UPDATE tamper.tiles SET hashes = overlay(hashes placing '\\x00'::bytea from 5) WHERE level = 0 AND idx = 0`)).toBe('ERR_LOG_CORRUPT');
    // omit: a tile removed
    await sql(`CREATE TABLE tamper.saved AS SELECT * FROM tamper.tiles WHERE level = 0 AND idx = 1`);
    expect(await corrupt(`DELETE FROM tamper.tiles WHERE level = 0 AND idx = 1`, `INSERT INTO tamper.tiles SELECT * FROM tamper.saved`)).toBe('ERR_LOG_CORRUPT');
    // replay of an old root
    expect(await corrupt(`UPDATE tamper.int_coord SET root = decode(repeat('00', 32), 'hex')`, `SELECT 1`)).toBe('ERR_LOG_CORRUPT');
  });

  it('refuses a forged latest checkpoint', async () => {
    const opts = { connectionString: server.url, schema: 'forged', signer, origin: ORIGIN };
    const log = await openPgLog(opts);
    await log.append(utf8('a'));
    const real = await log.checkpoint();
    await log.close();
    const forger = parseSignerKey(generateNoteKey(ORIGIN).skey);
    const fake = await openPgLog({ ...opts, schema: 'forged_src', signer: forger });
    await fake.append(utf8('a'));
    const forged = await fake.checkpoint();
    await fake.close();
    await sql(`UPDATE forged.checkpoints SET note = $1 WHERE size = 1`, [forged]);
    expect(await codeOf(openPgLog(opts))).toBe('ERR_LOG_CORRUPT');
    await sql(`UPDATE forged.checkpoints SET note = $1 WHERE size = 1`, [real]);
    const ok = await openPgLog(opts);
    expect(ok.size).toBe(1);
    await ok.close();
    expect(readdirSync(tmp)).toBeDefined();
  });
});
