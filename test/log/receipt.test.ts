import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBase64, toHex, utf8 } from '../../src/bytes.js';
import { decodeSign1 } from '../../src/cose/sign1.js';
import { flipSign1S, isHighS } from '../support/p256.js';
import { SigningKey } from '../../src/keys/signing.js';
import { HashTree } from '../../src/log/hashtree.js';
import { leafHash } from '../../src/log/merkle.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey, noteSigner, noteVerifier, NOTE_TYPE_COSIGNATURE } from '../../src/log/notekeys.js';
import {
  HEADER_VDS,
  issueConsistencyReceipt,
  issueInclusionReceipt,
  statementEntry,
  verifyConsistencyReceipt,
  verifyReceipt,
  verifyStatementReceipt,
} from '../../src/log/receipt.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../src/log/tlogproof.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { openLog } from '../../src/node/logstore.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const V = new URL('../vectors/cose-receipts/', import.meta.url).pathname;

/** Raw public key from a PEM SPKI (Ed25519: last 32 bytes; P-256: the 65-byte point). */
function pemKey(path: string): { alg: 'EdDSA' | 'ES256'; publicKey: Uint8Array } {
  const der = fromBase64(readFileSync(path, 'utf8').replace(/-----[^-]+-----|\s/g, ''));
  if (der.length === 44) return { alg: 'EdDSA', publicKey: der.subarray(12) };
  if (der.length === 91) return { alg: 'ES256', publicKey: der.subarray(26) };
  throw new Error(`unexpected SPKI length ${der.length}`);
}

describe('scitt-cose receipt vectors', () => {
  const manifest = JSON.parse(readFileSync(V + 'manifest.json', 'utf8')) as {
    vectors: { id: string; dir: string; expected_result: string; failure_code?: string }[];
  };
  const expectedCode: Record<string, string> = {
    TAMPERED_INCLUSION_PATH: 'ERR_RECEIPT_INVALID',
    UNSUPPORTED_VDS: 'ERR_RECEIPT_VDS',
    BAD_STATEMENT_SIGNATURE: 'ERR_SIGNATURE_INVALID',
  };
  for (const v of manifest.vectors.filter((x) => x.id !== 'valid-ccf-vds2' && x.id !== 'valid-es256')) {
    it(v.id, () => {
      const d = V + v.dir + '/';
      const statement = new Uint8Array(readFileSync(d + 'statement.cose'));
      const receipt = new Uint8Array(readFileSync(d + 'receipt.cose'));
      const exp = JSON.parse(readFileSync(d + 'expected.json', 'utf8'));
      expect(toHex(statementEntry(statement))).toBe(exp.leaf_entry);
      const r = verifyStatementReceipt(statement, receipt, { issuerKey: pemKey(d + 'issuer-key.pub'), logKey: pemKey(d + 'log-key.pub') });
      expect(r.ok).toBe(v.expected_result === 'VALID');
      if (v.failure_code) expect(r.code).toBe(expectedCode[v.failure_code]);
      if (exp.reconstructed_root) {
        expect(toHex(r.root!)).toBe(exp.reconstructed_root);
        expect(r.treeSize).toBe(exp.tree_size);
        expect(r.leafIndex).toBe(exp.leaf_index);
      }
      // the receipt alone, for the right entry
      const rr = verifyReceipt(receipt, { key: pemKey(d + 'log-key.pub'), entry: statementEntry(statement) });
      expect(rr.ok).toBe(exp.receipt_valid);
      // and never for another entry
      expect(verifyReceipt(receipt, { key: pemKey(d + 'log-key.pub'), entry: utf8('other') }).ok).toBe(false);
    });
  }
  it('valid-es256: both signatures are high-S, refused by custos policy; the low-S receipt twin verifies', () => {
    // Both ES256 signatures of this vector are high-S (s > n/2): valid plain ECDSA, refused by
    // custos policy (src/crypto/p256-policy.ts: one valid byte string per signed object).
    const d = V + 'v1/valid-es256/';
    const statement = new Uint8Array(readFileSync(d + 'statement.cose'));
    const receipt = new Uint8Array(readFileSync(d + 'receipt.cose'));
    const exp = JSON.parse(readFileSync(d + 'expected.json', 'utf8'));
    const keys = { issuerKey: pemKey(d + 'issuer-key.pub'), logKey: pemKey(d + 'log-key.pub') };
    expect(isHighS(decodeSign1(statement, { strict: false }).signature)).toBe(true);
    expect(isHighS(decodeSign1(receipt, { strict: false }).signature)).toBe(true);
    const entry = statementEntry(statement);
    expect(toHex(entry)).toBe(exp.leaf_entry);
    const asIs = verifyStatementReceipt(statement, receipt, keys);
    expect([asIs.ok, asIs.code]).toEqual([false, 'ERR_SIGNATURE_INVALID']);
    const receiptAsIs = verifyReceipt(receipt, { key: keys.logKey, entry });
    expect([receiptAsIs.ok, receiptAsIs.code]).toEqual([false, 'ERR_RECEIPT_INVALID']);
    // The receipt's low-S twin (its signature covers the root, not the leaf) verifies and
    // reconstructs the vector's tree: only the policy refused it, the proof arithmetic is intact.
    const twin = verifyReceipt(flipSign1S(receipt), { key: keys.logKey, entry });
    expect(twin.ok).toBe(true);
    expect(toHex(twin.root!)).toBe(exp.reconstructed_root);
    expect([twin.treeSize, twin.leafIndex]).toEqual([exp.tree_size, exp.leaf_index]);
    // This is why custos refuses high-S: the statement's twin is a second valid statement with
    // another log entry (the entry hashes the signature bytes), which the receipt does not cover.
    const stmtTwin = flipSign1S(statement);
    expect(toHex(statementEntry(stmtTwin))).not.toBe(exp.leaf_entry);
    expect(verifyStatementReceipt(stmtTwin, flipSign1S(receipt), keys).ok).toBe(false);
  });

  it('the CCF vds=2 receipt is refused as unsupported, not mis-verified', () => {
    const d = V + 'v1/valid-ccf-vds2/';
    const receipt = new Uint8Array(readFileSync(d + 'receipt.cose'));
    const r = verifyReceipt(receipt, { key: { alg: 'EdDSA', publicKey: new Uint8Array(32) }, entry: utf8('x') });
    expect(r.ok).toBe(false);
    expect(['ERR_RECEIPT_VDS', 'ERR_COSE_ALG', 'ERR_RECEIPT_MALFORMED', 'ERR_COSE_MALFORMED']).toContain(r.code);
  });
});

describe('custos receipts round trip', () => {
  const key = SigningKey.generate();
  const t = new HashTree();
  const entries = Array.from({ length: 37 }, (_, i) => utf8(`custody event ${i}`));
  for (const e of entries) t.appendLeafHash(leafHash(e));

  it('inclusion receipts verify for every entry and fail for others', () => {
    // RFC 9942 CDDL: inclusion-path = [ + bstr ]; a one-entry tree would need an empty one
    expect(() => issueInclusionReceipt({ index: 0, size: 1, proof: [], root: t.root(1) }, key)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    for (let n of [2, 5, 36, 37]) {
      for (let i = 0; i < n; i++) {
        const receipt = issueInclusionReceipt({ index: i, size: n, proof: t.inclusionProof(i, n), root: t.root(n) }, key);
        const m = decodeSign1(receipt);
        expect(m.protectedHeaders.get(HEADER_VDS)).toBe(1);
        expect(m.payload).toBeNull();
        const r = verifyReceipt(receipt, { key, entry: entries[i]! });
        expect(r.ok).toBe(true);
        expect(r.root).toEqual(t.root(n));
        if (n > 1) expect(verifyReceipt(receipt, { key, entry: entries[(i + 1) % n]! }).code).toBe('ERR_RECEIPT_INVALID');
        expect(verifyReceipt(receipt, { key: SigningKey.generate(), entry: entries[i]! }).code).toBe('ERR_RECEIPT_INVALID');
      }
    }
  });
  it('consistency receipts verify from a trusted old root', () => {
    for (const [m, n] of [[1, 37], [4, 37], [20, 37], [37, 37]] as const) {
      const receipt = issueConsistencyReceipt({ oldSize: m, newSize: n, proof: t.consistencyProof(m, n), newRoot: t.root(n) }, key);
      const r = verifyConsistencyReceipt(receipt, { key, oldSize: m, oldRoot: t.root(m) });
      expect(r.ok).toBe(true);
      expect(r.root).toEqual(t.root(n));
      if (m > 1 && m < n) expect(verifyConsistencyReceipt(receipt, { key, oldSize: m, oldRoot: t.root(m - 1) }).ok).toBe(false);
      expect(verifyConsistencyReceipt(receipt, { key, oldSize: m === 1 ? 2 : 1, oldRoot: t.root(m) }).code).toBe('ERR_CONSISTENCY');
    }
    // an inclusion receipt is not a consistency receipt
    const inc = issueInclusionReceipt({ index: 0, size: 2, proof: t.inclusionProof(0, 2), root: t.root(2) }, key);
    expect(verifyConsistencyReceipt(inc, { key, oldSize: 1, oldRoot: t.root(1) }).code).toBe('ERR_RECEIPT_MALFORMED');
  });
  it('the new tree size of a consistency receipt is authenticated only against a checkpoint (F-7)', () => {
    // RFC 9942 signs only the new root: the path 4 → 7 (one hash, MTH of leaves 4..6) hashes to
    // root(7) under new sizes 5, 6 and 8 as well. The size in the unprotected proof is editable.
    const proof = t.consistencyProof(4, 7);
    const genuine = issueConsistencyReceipt({ oldSize: 4, newSize: 7, proof, newRoot: t.root(7) }, key);
    const plain = verifyConsistencyReceipt(genuine, { key, oldSize: 4, oldRoot: t.root(4) });
    expect(plain).toMatchObject({ ok: true, treeSize: 7, sizeAuthenticated: false });
    const pinned = verifyConsistencyReceipt(genuine, { key, oldSize: 4, oldRoot: t.root(4), checkpoint: { size: 7, root: t.root(7) } });
    expect(pinned).toMatchObject({ ok: true, treeSize: 7, sizeAuthenticated: true });
    let misleading = 0;
    for (const size of [5, 6, 8]) {
      const edited = issueConsistencyReceipt({ oldSize: 4, newSize: size, proof, newRoot: t.root(7) }, key);
      const r = verifyConsistencyReceipt(edited, { key, oldSize: 4, oldRoot: t.root(4) });
      if (r.ok) {
        misleading++;
        expect(r.sizeAuthenticated).toBe(false); // never presented as authenticated
      }
      const c = verifyConsistencyReceipt(edited, { key, oldSize: 4, oldRoot: t.root(4), checkpoint: { size: 7, root: t.root(7) } });
      expect(c.ok).toBe(false);
      expect(c.sizeAuthenticated).toBe(false);
      expect(c.checks.find((k) => !k.ok)?.code).toBeDefined();
    }
    expect(misleading).toBeGreaterThan(0); // the ambiguity is real, so the flag matters
    // a checkpoint of another tree fails even for the genuine receipt
    expect(verifyConsistencyReceipt(genuine, { key, oldSize: 4, oldRoot: t.root(4), checkpoint: { size: 8, root: t.root(8) } }).ok).toBe(false);
  });
  it('hostile receipts fail with a code, never throw', () => {
    const good = issueInclusionReceipt({ index: 3, size: 37, proof: t.inclusionProof(3, 37), root: t.root(37) }, key);
    for (let i = 0; i < good.length; i += 3) {
      const bad = good.slice();
      bad[i]! ^= 0x40;
      const r = verifyReceipt(bad, { key, entry: entries[3]! });
      expect(r.ok).toBe(false);
      expect(r.code).toBeTruthy();
    }
    for (const junk of [new Uint8Array(0), utf8('not cbor'), good.subarray(0, 20)]) expect(verifyReceipt(junk, { key, entry: entries[3]! }).ok).toBe(false);
  });
});

describe('tlog-proof', () => {
  it('the spec example parses (layout), but its elided signatures do not', () => {
    const text = readFileSync(new URL('../vectors/c2sp-notes/tlog-proof_fancylog-ELIDED.tlog-proof.txt', import.meta.url), 'utf8');
    const p = parseTlogProof(text);
    expect(p.index).toBe(73894);
    expect(p.proof).toHaveLength(5);
    expect(p.extra).toBeDefined();
    const r = verifyTlogProof(text, { entry: utf8('x'), keys: [generateNoteKey('example.com/fancylog').vkey] });
    expect(r.ok).toBe(false);
    expect(r.code).toBe('ERR_NOTE_MALFORMED');
  });

  it('issued from the store with witness cosignatures, verified offline with a quorum', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'custos-tp-'));
    try {
      const { skey, vkey } = generateNoteKey('log.example/tp');
      const wkeys = [SigningKey.generate(), SigningKey.generate()];
      const ws = wkeys.map((k, i) => noteSigner(`w${i}.example`, k, NOTE_TYPE_COSIGNATURE));
      const log = await openLog(join(tmp, 'log'), { signer: parseSignerKey(skey), origin: 'log.example/tp', witnesses: ws });
      const idx = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(utf8(`e${i}`))));
      const policy = { log: [vkey], witnesses: wkeys.map((k, i) => noteVerifier(`w${i}.example`, k.publicKey, NOTE_TYPE_COSIGNATURE)), quorum: 2 };
      for (const { index } of idx) {
        const b = await log.prove(index);
        const text = formatTlogProof({ index, proof: b.proof, checkpoint: b.checkpoint, extra: utf8('ctx') });
        const r = verifyTlogProof(text, { entry: utf8(`e${index}`), keys: policy });
        expect(r.ok).toBe(true);
        expect(r.cosignedBy).toHaveLength(2);
        expect(verifyTlogProof(text, { entry: utf8('forged'), keys: policy }).code).toBe('ERR_PROOF_INVALID');
        expect(verifyTlogProof(text, { entry: utf8(`e${index}`), keys: { ...policy, witnesses: [...policy.witnesses, noteVerifier('w9.example', SigningKey.generate().publicKey, NOTE_TYPE_COSIGNATURE)], quorum: 3 } }).code).toBe('ERR_WITNESS_QUORUM');
        expect(parseTlogProof(text).extra).toEqual(utf8('ctx'));
      }
      expect(verifyCheckpoint(await log.checkpoint(), policy).ok).toBe(true);
      // the store issues both receipt forms; the COSE one verifies with the vkey's public key
      const logKey = { alg: 'EdDSA' as const, publicKey: parseVerifierKey(vkey).publicKey };
      const rc = await log.receipt(7);
      expect(verifyReceipt(rc.cose, { key: logKey, entry: utf8('e7') }).ok).toBe(true);
      expect(verifyTlogProof(rc.tlogProof, { entry: utf8('e7'), keys: policy }).ok).toBe(true);
      const old = verifyCheckpoint((await log.checkpointAt(20))!, policy).checkpoint!;
      await log.append(utf8('e20'));
      const cr = await log.consistencyReceipt(20);
      expect(verifyConsistencyReceipt(cr, { key: logKey, oldSize: 20, oldRoot: old.root }).ok).toBe(true);
      await log.close();
      expect(parseVerifierKey(vkey).name).toBe('log.example/tp');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
