// Hostile inputs against every public decoder and verifier of the log module: random and
// mutated inputs must give a CustosError with a code (or a failed report), never another
// exception, a hang, or a success.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { CustosError } from '../../src/errors.js';
import { SigningKey } from '../../src/keys/signing.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint.js';
import { verifyCheckpointConsistency } from '../../src/log/consistency.js';
import { HashTree } from '../../src/log/hashtree.js';
import { leafHash } from '../../src/log/merkle.js';
import { parseNote, signNote, verifyNote } from '../../src/log/note.js';
import { noteSigner, noteVerifier, parseSignerKey, parseVerifierKey } from '../../src/log/notekeys.js';
import { issueInclusionReceipt, verifyReceipt } from '../../src/log/receipt.js';
import { decodeBundle } from '../../src/log/tiles.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../src/log/tlogproof.js';
import { verifyCheckpoint } from '../../src/log/witness.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 100);

function onlyCustosErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CustosError)) throw e;
    expect(e.code).toMatch(/^ERR_/);
  }
}

const key = SigningKey.generate();
const signer = noteSigner('log.example/h', key);
const verifier = noteVerifier('log.example/h', key.publicKey);
const tree = new HashTree();
for (let i = 0; i < 9; i++) tree.appendLeafHash(leafHash(utf8(`e${i}`)));
const cpText = signNote(formatCheckpoint({ origin: 'log.example/h', size: 9, root: tree.root() }), [signer]);
const tlogProof = formatTlogProof({ index: 4, proof: tree.inclusionProof(4), checkpoint: cpText });
const receipt = issueInclusionReceipt({ index: 4, size: 9, proof: tree.inclusionProof(4), root: tree.root() }, key);

/** Mutations of a valid input: byte flips, truncations, insertions. */
const mutated = (good: Uint8Array) =>
  fc
    .tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'cut', 'insert'))
    .map(([at, x, op]) => {
      if (op === 'flip') {
        const b = good.slice();
        b[at]! ^= x;
        return b;
      }
      if (op === 'cut') return good.slice(0, at);
      const b = new Uint8Array(good.length + 1);
      b.set(good.subarray(0, at));
      b[at] = x;
      b.set(good.subarray(at), at + 1);
      return b;
    });

describe('hostile inputs', () => {
  it('text decoders throw only CustosErrors on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        for (const f of [parseNote, parseCheckpoint, parseTlogProof, parseVerifierKey, parseSignerKey] as ((x: string) => unknown)[]) onlyCustosErrors(() => f(s));
        expect(verifyNote(s, [verifier]).ok).toBe(false);
        expect(verifyCheckpoint(s, [verifier]).ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('a mutated signed checkpoint never verifies as something else', () => {
    const good = utf8(cpText);
    fc.assert(
      fc.property(mutated(good), (b) => {
        const r = verifyCheckpoint(b, [verifier]);
        if (r.ok) expect(r.checkpoint!.root).toEqual(tree.root()); // only harmless changes (none expected)
        else expect(r.code).toMatch(/^ERR_/);
      }),
      { numRuns: RUNS },
    );
  });

  it('a mutated tlog-proof or COSE receipt never verifies for the entry unless unchanged in meaning', () => {
    const tp = utf8(tlogProof);
    fc.assert(
      fc.property(mutated(tp), mutated(receipt), (t, rc) => {
        const a = verifyTlogProof(t, { entry: utf8('e4'), keys: [verifier] });
        if (a.ok) expect(a.index).toBe(4);
        const b = verifyReceipt(rc, { key, entry: utf8('e4') });
        if (b.ok) expect([b.treeSize, b.leafIndex]).toEqual([9, 4]);
        else expect(b.code).toMatch(/^ERR_/);
      }),
      { numRuns: RUNS },
    );
  });

  it('bundles and consistency reports handle garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 5 }), (b, proof) => {
        onlyCustosErrors(() => decodeBundle(b));
        const r = verifyCheckpointConsistency(cpText, cpText, proof, [verifier]);
        expect(r.ok).toBe(proof.length === 0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('split views', () => {
  it('a fork signed by the same key is caught by verifyCheckpointConsistency', () => {
    const forkTree = new HashTree();
    for (let i = 0; i < 12; i++) forkTree.appendLeafHash(leafHash(utf8(i === 2 ? 'rewritten' : `e${i}`)));
    const honest = new HashTree();
    for (let i = 0; i < 12; i++) honest.appendLeafHash(leafHash(utf8(`e${i}`)));
    const fork12 = signNote(formatCheckpoint({ origin: 'log.example/h', size: 12, root: forkTree.root() }), [signer]);
    const honest12 = signNote(formatCheckpoint({ origin: 'log.example/h', size: 12, root: honest.root() }), [signer]);
    expect(verifyCheckpointConsistency(cpText, honest12, honest.consistencyProof(9, 12), [verifier]).ok).toBe(true);
    const r = verifyCheckpointConsistency(cpText, fork12, forkTree.consistencyProof(9, 12), [verifier]);
    expect(r.ok).toBe(false);
    expect(r.code).toBe('ERR_CONSISTENCY');
    // same size, different roots: a fork
    expect(verifyCheckpointConsistency(honest12, fork12, [], [verifier]).code).toBe('ERR_CONSISTENCY');
    // other log
    const other = signNote(formatCheckpoint({ origin: 'other.example', size: 12, root: honest.root() }), [noteSigner('log.example/h', key)]);
    expect(verifyCheckpointConsistency(cpText, other, honest.consistencyProof(9, 12), [verifier]).code).toBe('ERR_CHECKPOINT_ORIGIN');
  });
});

describe('witnessCosign', () => {
  it('cosigns consistent growth, refuses forks, rollbacks and unsigned checkpoints', async () => {
    const { witnessCosign } = await import('../../src/log/witnessing.js');
    const { NOTE_TYPE_COSIGNATURE } = await import('../../src/log/notekeys.js');
    const wk = SigningKey.generate();
    const w = noteSigner('w.example', wk, NOTE_TYPE_COSIGNATURE);
    const wv = noteVerifier('w.example', wk.publicKey, NOTE_TYPE_COSIGNATURE);
    const opts = { logKeys: [verifier], origin: 'log.example/h' };
    const first = witnessCosign(cpText, w, opts);
    expect(verifyCheckpoint(first.cosigned, { log: [verifier], witnesses: [wv], quorum: 1 }).ok).toBe(true);
    const t12 = new HashTree();
    for (let i = 0; i < 12; i++) t12.appendLeafHash(leafHash(utf8(`e${i}`)));
    const cp12 = signNote(formatCheckpoint({ origin: 'log.example/h', size: 12, root: t12.root() }), [signer]);
    const second = witnessCosign(cp12, w, { ...opts, previous: first.state, proof: t12.consistencyProof(9, 12) });
    expect(second.state.size).toBe(12);
    expect(() => witnessCosign(cpText, w, { ...opts, previous: second.state })).toThrow(expect.objectContaining({ code: 'ERR_CONSISTENCY' }));
    const fork = new HashTree();
    for (let i = 0; i < 12; i++) fork.appendLeafHash(leafHash(utf8(i === 0 ? 'x' : `e${i}`)));
    const cpFork = signNote(formatCheckpoint({ origin: 'log.example/h', size: 12, root: fork.root() }), [signer]);
    expect(() => witnessCosign(cpFork, w, { ...opts, previous: first.state, proof: fork.consistencyProof(9, 12) })).toThrow(expect.objectContaining({ code: 'ERR_CONSISTENCY' }));
    expect(() => witnessCosign(cpFork, w, { ...opts, previous: second.state, proof: [] })).toThrow(expect.objectContaining({ code: 'ERR_CONSISTENCY' }));
    const stranger = signNote(formatCheckpoint({ origin: 'log.example/h', size: 12, root: fork.root() }), [noteSigner('log.example/h', SigningKey.generate())]);
    expect(() => witnessCosign(stranger, w, opts)).toThrow(expect.objectContaining({ code: 'ERR_NOTE_UNVERIFIED' }));
  });
});
