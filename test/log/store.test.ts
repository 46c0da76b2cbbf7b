import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { SigningKey } from '../../src/keys/signing.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { NOTE_TYPE_COSIGNATURE, generateNoteKey, noteSigner, noteVerifier, parseSignerKey } from '../../src/log/notekeys.js';
import { verifyTiledLog } from '../../src/log/tiledlog.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { dirTileFetcher } from '../../src/node/logfs.js';
import { openLog } from '../../src/node/logstore.js';

const tmp = mkdtempSync(join(tmpdir(), 'custos-log-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ORIGIN = 'log.example.org/custody';
const { skey, vkey } = generateNoteKey(ORIGIN);
const signer = parseSignerKey(skey);

describe('fs log store', () => {
  it('appends concurrently in batches, proves, and writes a tiles layout the reader verifies', async () => {
    const dir = join(tmp, 'a');
    const log = await openLog(dir, { signer, origin: ORIGIN, maxBatch: 100 });
    expect(verifyCheckpoint(await log.checkpoint(), [vkey]).checkpoint?.size).toBe(0);
    const N = 700;
    // a checkpoint handed out now and then (kept as history: see the retention tests)
    const handedOut = new Set<number>([0]);
    const res = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        log.append(utf8(`event ${i}`)).then(async (r) => {
          if (i % 100 === 99) handedOut.add(verifyCheckpoint(await log.checkpoint(), [vkey]).checkpoint!.size);
          return r;
        }),
      ),
    );
    expect(res.map((r) => r.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    const r = verifyCheckpoint(await log.checkpoint(), { log: [vkey], origin: ORIGIN });
    expect(r.ok).toBe(true);
    expect(r.checkpoint!.size).toBe(N);
    for (let i = 0; i < N; i += 13) {
      const p = await log.prove(i);
      expect(verifyInclusion(leafHash(utf8(`event ${i}`)), i, N, p.proof, r.checkpoint!.root).ok).toBe(true);
      expect(await log.entry(i)).toEqual(utf8(`event ${i}`));
    }
    // history: the newest and every checkpoint handed out; consistency from each verifies
    const sizes = readdirSync(join(dir, 'checkpoints')).map(Number).sort((a, b) => a - b);
    expect(sizes).toEqual([...new Set([...handedOut, N])].sort((a, b) => a - b));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    for (const m of sizes.filter((s) => s > 0)) {
      const c = await log.proveConsistency(m);
      const o = verifyCheckpoint(c.oldCheckpoint, [vkey]).checkpoint!;
      expect(verifyConsistency(m, N, o.root, r.checkpoint!.root, c.proof).ok).toBe(true);
      const p = await log.prove(m - 1, m);
      expect(verifyInclusion(leafHash(utf8(`event ${m - 1}`)), m - 1, m, p.proof, o.root).ok).toBe(true);
    }
    // the directory is a valid tlog-tiles log; partial tiles of full tiles were removed
    const audit = await verifyTiledLog(dirTileFetcher(dir), [vkey]);
    expect(audit.ok).toBe(true);
    expect(audit.entriesChecked).toBe(N);
    expect(existsSync(join(dir, 'tile/0/000'))).toBe(true);
    expect(existsSync(join(dir, 'tile/0/000.p'))).toBe(false);
    expect(existsSync(join(dir, 'tile/1/000.p/2'))).toBe(true);
    await expect(log.append(new Uint8Array(65536))).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    await log.close();
    // reopen: same state, appends continue
    const again = await openLog(dir, { signer, origin: ORIGIN });
    expect(again.size).toBe(N);
    expect((await again.append(utf8('after reopen'))).index).toBe(N);
    expect((await verifyTiledLog(dirTileFetcher(dir), [vkey])).ok).toBe(true);
    await again.close();
  });

  it('a second writer is refused with ERR_LOG_LOCKED and nothing is corrupted', async () => {
    const dir = join(tmp, 'b');
    const one = await openLog(dir, { signer, origin: ORIGIN });
    await one.append(utf8('x'));
    await expect(openLog(dir, { signer, origin: ORIGIN })).rejects.toMatchObject({ code: 'ERR_LOG_LOCKED' });
    // another process is refused too
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'store-child.ts'), dir, skey, ORIGIN, '1'], { encoding: 'utf8' });
    expect(child.stdout.trim(), `child stderr: ${child.stderr}`).toBe('ERR_LOG_LOCKED');
    await one.append(utf8('y'));
    await one.close();
    const audit = await verifyTiledLog(dirTileFetcher(dir), [vkey]);
    expect(audit.ok && audit.checkpoint?.size).toBe(2);
  });

  it('breaks a stale lock left by a dead process', async () => {
    const dir = join(tmp, 'c');
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const log0 = await openLog(dir, { signer, origin: ORIGIN });
    await log0.close();
    writeFileSync(join(dir, 'lock'), `${child.stdout}\n`);
    const log = await openLog(dir, { signer, origin: ORIGIN });
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    await log.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('refuses a directory whose tiles were tampered with, or another key / origin', async () => {
    const dir = join(tmp, 'd');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(utf8(`e${i}`))));
    await log.close();
    const other = noteSigner(ORIGIN, SigningKey.generate());
    await expect(openLog(dir, { signer: other, origin: ORIGIN })).rejects.toMatchObject({ code: 'ERR_LOG_CORRUPT' });
    await expect(openLog(dir, { signer, origin: 'other.example' })).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_ORIGIN' });
    const tile = join(dir, 'tile/0/000.p/10');
    const b = readFileSync(tile);
    b[5]! ^= 1;
    writeFileSync(tile, b);
    await expect(openLog(dir, { signer, origin: ORIGIN })).rejects.toMatchObject({ code: 'ERR_LOG_CORRUPT' });
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('co-located witnesses cosign every checkpoint', async () => {
    const dir = join(tmp, 'e');
    const wk = SigningKey.generate();
    const w = noteSigner('witness.example/w1', wk, NOTE_TYPE_COSIGNATURE);
    const log = await openLog(dir, { signer: SigningKey.fromSecret(new Uint8Array(32).fill(9)), origin: ORIGIN, witnesses: [w] });
    await log.append(utf8('a'));
    const logV = noteVerifier(ORIGIN, SigningKey.fromSecret(new Uint8Array(32).fill(9)).publicKey);
    const r = verifyCheckpoint(await log.checkpoint(), { log: [logV], witnesses: [noteVerifier('witness.example/w1', wk.publicKey, NOTE_TYPE_COSIGNATURE)], quorum: 1 });
    expect(r.ok).toBe(true);
    await log.close();
  });
});

describe('foreign log directories', () => {
  it('refuses (and leaves untouched) a tiled log written by another key', async () => {
    const { cpSync, readdirSync: ls } = await import('node:fs');
    const src = new URL('../vectors/tessera-log/log', import.meta.url).pathname;
    const dir = join(tmp, 'foreign');
    cpSync(src, dir, { recursive: true });
    const before = ls(join(dir, 'tile/0/000.p')).sort();
    await expect(openLog(dir, { signer, origin: 'example.com/log/testdata' })).rejects.toMatchObject({ code: 'ERR_LOG_CORRUPT' });
    expect(ls(join(dir, 'tile/0/000.p')).sort()).toEqual(before);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('adopts a log whose checkpoint verifies under our key when history is missing', async () => {
    const dir = join(tmp, 'adopt');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(utf8(`a${i}`))));
    await log.close();
    rmSync(join(dir, 'checkpoints'), { recursive: true });
    const again = await openLog(dir, { signer, origin: ORIGIN });
    expect(again.size).toBe(300);
    expect((await again.append(utf8('more'))).index).toBe(300);
    await again.close();
    expect((await verifyTiledLog(dirTileFetcher(dir), [vkey])).ok).toBe(true);
  });
});

describe('recovery from interrupted batches (deterministic)', () => {
  it('discards files a crashed batch left beyond the last checkpoint and restores the latest checkpoint file', async () => {
    const dir = join(tmp, 'recover');
    const log = await openLog(dir, { signer, origin: ORIGIN, maxBatch: 1000 });
    const cp0 = await log.checkpoint();
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(utf8(`r${i}`))));
    await log.close();
    // The state a batch 300 → 600 would leave if killed before its checkpoint was written:
    const junk = ['tile/0/001.p/99', 'tile/0/001', 'tile/0/002.p/88', 'tile/entries/001.p/99', 'tile/entries/001', 'tile/1/000.p/2', '.tmp-1-abc', 'checkpoints/.tmp-1-def'];
    for (const j of junk) {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, j, '..'), { recursive: true });
      writeFileSync(join(dir, j), 'garbage');
    }
    // … and a crash between checkpoints/300 and the `checkpoint` copy:
    writeFileSync(join(dir, 'checkpoint'), cp0);
    const again = await openLog(dir, { signer, origin: ORIGIN });
    expect(again.size).toBe(300);
    for (const j of junk) expect(existsSync(join(dir, j))).toBe(false);
    expect(existsSync(join(dir, 'tile/0/001.p/44'))).toBe(true);
    expect(readFileSync(join(dir, 'checkpoint'))).toEqual(readFileSync(join(dir, 'checkpoints/300')));
    await Promise.all(Array.from({ length: 300 }, (_, i) => again.append(utf8(`s${i}`))));
    await again.close();
    const audit = await verifyTiledLog(dirTileFetcher(dir), [vkey]);
    expect(audit.ok).toBe(true);
    expect(audit.entriesChecked).toBe(600);
  });

  it('a missing committed tile is corruption, not silently repaired', async () => {
    const dir = join(tmp, 'missing');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(utf8(`m${i}`))));
    await log.close();
    rmSync(join(dir, 'tile/0/000.p/20'));
    await expect(openLog(dir, { signer, origin: ORIGIN })).rejects.toMatchObject({ code: 'ERR_LOG_CORRUPT' });
  });
});
