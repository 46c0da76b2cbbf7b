/**
 * Checkpoint history retention of the fs log store (src/node/logstore.ts, "Retention"): the
 * newest checkpoint, every checkpoint handed out, and whatever was on disk at open are kept; a
 * batch's checkpoint nobody was given goes once the next one is durable.
 *
 * Attacks and failure modes, each tested below:
 * - omit: a checkpoint handed out (by any of the six calls) must survive later batches, with the
 *   same bytes, and still serve proofs and consistency from its size;
 * - a checkpoint never handed out must not be served later (no proof against a size nobody was
 *   given, no undefined-looking success): checkpointAt is undefined, prove/proveConsistency fail
 *   with ERR_INVALID_ARGUMENT;
 * - swap between reads: while batches commit, checkpointAt(size) never returns the checkpoint of
 *   another size (the tree grows before its checkpoint is written);
 * - a crash between the new checkpoint and the removal of the old one, and a history written by
 *   an earlier version (every batch kept): reopening keeps all of it and starts from the newest;
 * - growth: one append per batch, nothing handed out, leaves one history file, not one per append.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { generateNoteKey, parseSignerKey } from '../../src/log/notekeys.js';
import { parseTlogProof } from '../../src/log/tlogproof.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { openLog } from '../../src/node/logstore.js';

const tmp = mkdtempSync(join(tmpdir(), 'custos-retention-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ORIGIN = 'log.example.org/retention';
const { skey, vkey } = generateNoteKey(ORIGIN);
const signer = parseSignerKey(skey);
const history = (dir: string) => readdirSync(join(dir, 'checkpoints')).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
/** The `checkpoint` file (what a static file server serves), read without going through the store. */
const one = (dir: string) => readFileSync(join(dir, 'checkpoint'), 'utf8');
const sizeOf = (text: string) => verifyCheckpoint(text, [vkey]).checkpoint!.size;

describe('checkpoint history retention', () => {
  it('one append per batch, nothing handed out: one history file (the newest), not one per append', async () => {
    const dir = join(tmp, 'single');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    for (let i = 0; i < 40; i++) {
      await log.append(utf8(`s${i}`));
      expect(history(dir)).toEqual([i + 1]);
    }
    await log.close();
    const again = await openLog(dir, { signer, origin: ORIGIN });
    expect(again.size).toBe(40);
    await again.close();
  });

  it('every way of handing a checkpoint out keeps it; the others go', async () => {
    const dir = join(tmp, 'handed');
    const log = await openLog(dir, { signer, origin: ORIGIN });
    const add = async (n: number) => {
      for (let i = 0; i < n; i++) await log.append(utf8(`e${log.size}`));
    };
    const kept = new Map<number, string>();
    const handOuts: Array<[string, () => Promise<string>]> = [
      ['checkpoint', () => log.checkpoint()],
      ['checkpointAt', async () => (await log.checkpointAt(log.size))!],
      ['prove', async () => (await log.prove(0)).checkpoint],
      ['receipt', async () => parseTlogProof((await log.receipt(0)).tlogProof).checkpoint],
      ['proveConsistency', async () => (await log.proveConsistency(log.size)).newCheckpoint],
      // the COSE receipt carries no checkpoint text: the one it was issued against is the newest
      ['consistencyReceipt', async () => (await log.consistencyReceipt(log.size), one(dir))],
    ];
    for (const [name, handOut] of handOuts) {
      await add(3); // two checkpoints nobody sees, then one handed out
      const text = await handOut();
      expect(sizeOf(text), name).toBe(log.size);
      kept.set(log.size, text);
    }
    await add(3);
    const latest = log.size;
    expect(history(dir)).toEqual([...kept.keys(), latest]);
    const root = verifyCheckpoint(await log.checkpoint(), [vkey]).checkpoint!.root;
    for (const [size, text] of kept) {
      expect(await log.checkpointAt(size)).toBe(text);
      const old = verifyCheckpoint(text, [vkey]).checkpoint!;
      const c = await log.proveConsistency(size);
      expect(c.oldCheckpoint).toBe(text);
      expect(verifyConsistency(size, latest, old.root, root, c.proof).ok).toBe(true);
      const p = await log.prove(size - 1, size);
      expect(p.checkpoint).toBe(text);
      expect(verifyInclusion(leafHash(utf8(`e${size - 1}`)), size - 1, size, p.proof, old.root).ok).toBe(true);
    }
    // sizes never handed out: nothing to serve, and a failure, not a bundle
    for (const size of [1, 2, 4, 5]) {
      expect(await log.checkpointAt(size)).toBeUndefined();
      await expect(log.prove(0, size)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(log.proveConsistency(size)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    await log.close();
  });

  it('while batches commit, checkpointAt(size) is the checkpoint of that size or nothing', async () => {
    const dir = join(tmp, 'racing');
    const log = await openLog(dir, { signer, origin: ORIGIN, maxBatch: 7 });
    let done = false;
    const seen: Array<[number, string | undefined]> = [];
    const poll = (async () => {
      while (!done) {
        const size = log.size;
        seen.push([size, await log.checkpointAt(size)]);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(utf8(`r${i}`))));
    done = true;
    await poll;
    expect(seen.length).toBeGreaterThan(3);
    for (const [size, text] of seen) if (text !== undefined) expect(sizeOf(text)).toBe(size);
    // whatever was handed out while racing is still there
    for (const [size, text] of seen) if (text !== undefined) expect(await log.checkpointAt(size)).toBe(text);
    await log.close();
  });

  it('reopening keeps the history on disk (perhaps handed out by the previous process, or left by a crash before a removal) and starts from the newest', async () => {
    const dir = join(tmp, 'reopen');
    const one = await openLog(dir, { signer, origin: ORIGIN });
    await one.append(utf8('a'));
    await one.close(); // recovered below: kept, since the previous process may have handed it out
    const two = await openLog(dir, { signer, origin: ORIGIN });
    await two.append(utf8('b'));
    await two.append(utf8('c'));
    expect(history(dir)).toEqual([1, 3]);
    await two.close();
    const three = await openLog(dir, { signer, origin: ORIGIN });
    await three.append(utf8('d'));
    const cp4 = await three.checkpoint();
    await three.close();
    expect(history(dir)).toEqual([1, 3, 4]);
    const four = await openLog(dir, { signer, origin: ORIGIN });
    expect(four.size).toBe(4);
    expect(await four.checkpointAt(3)).toBeDefined();
    await four.append(utf8('e'));
    await four.append(utf8('f'));
    expect(history(dir)).toEqual([1, 3, 4, 6]);
    expect(await four.checkpointAt(4)).toBe(cp4);
    expect(await four.checkpointAt(5)).toBeUndefined();
    await four.close();
  });
});
