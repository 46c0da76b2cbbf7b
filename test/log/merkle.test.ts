import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, utf8 } from '../../src/bytes.js';
import { HashTree } from '../../src/log/hashtree.js';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOfLeafHashes,
  splitPoint,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/merkle.js';
import { verifySubtreeConsistency, verifySubtreeInclusion } from '../../src/log/subtree.js';

const VEC = new URL('../vectors/merkle/testdata/', import.meta.url).pathname;
const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 20);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}
const b64 = (s: string | null | undefined) => (s == null ? new Uint8Array(0) : fromBase64(s));
const proofOf = (p: string[] | null) => (p ?? []).map((x) => fromBase64(x));

describe('transparency-dev/merkle vectors', () => {
  const inc = walk(join(VEC, 'inclusion'));
  const cons = walk(join(VEC, 'consistency'));
  it('has the expected number of vectors', () => {
    expect(inc.length).toBe(98);
    expect(cons.length).toBe(98);
  });
  it.each(inc.map((f) => [f.slice(VEC.length), f]))('inclusion %s', (_n, f) => {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    const r = verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proofOf(v.proof), b64(v.root));
    expect(r.ok).toBe(!v.wantErr);
    if (!r.ok) expect(['ERR_PROOF_INVALID', 'ERR_PROOF_MALFORMED']).toContain(r.code);
  });
  const sub = walk(join(VEC, 'subtreeinclusion'));
  it('has all subtree inclusion vectors', () => expect(sub.length).toBe(204));
  it.each(sub.map((f) => [f.slice(VEC.length), f]))('subtree inclusion %s', (_n, f) => {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    const r = verifySubtreeInclusion(b64(v.leafHash), v.leafIdx, v.start, v.end, v.proof === null ? null : proofOf(v.proof), b64(v.root));
    expect(r.ok).toBe(!v.wantErr);
  });
  const subc = walk(join(VEC, 'subtreeconsistency'));
  it('has all subtree consistency vectors', () => expect(subc.length).toBe(118));
  it.each(subc.map((f) => [f.slice(VEC.length), f]))('subtree consistency %s', (_n, f) => {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    const r = verifySubtreeConsistency(v.start, v.end, v.size, v.proof === null ? null : proofOf(v.proof), b64(v.root1), b64(v.root2));
    expect(r.ok).toBe(!v.wantErr);
  });
  it.each(cons.map((f) => [f.slice(VEC.length), f]))('consistency %s', (_n, f) => {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    const r = verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), v.proof === null ? null : proofOf(v.proof));
    expect(r.ok).toBe(!v.wantErr);
  });
});

describe('RFC 9162 hashing', () => {
  it('empty root is SHA-256("")', () => {
    expect(Buffer.from(emptyRoot()).toString('base64')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
  it('matches the RFC 6962 reference tree of 8 leaves', () => {
    // The classic CT test leaves (RFC 6962 reference implementation test data).
    const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const hs = leaves.map((h) => leafHash(Buffer.from(h, 'hex')));
    expect(Buffer.from(rootOfLeafHashes(hs)).toString('hex')).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });
  it('HashTree roots match the recursive definition at every size', () => {
    const t = new HashTree();
    const hs: Uint8Array[] = [];
    for (let i = 0; i < 70; i++) {
      const h = leafHash(utf8(`e${i}`));
      hs.push(h);
      t.appendLeafHash(h);
      for (const s of [1, Math.floor((i + 1) / 2), i + 1]) {
        if (s > 0) expect(t.root(s)).toEqual(rootOfLeafHashes(hs.slice(0, s)));
      }
    }
    expect(t.root(0)).toEqual(emptyRoot());
  });
});

function buildTree(n: number): HashTree {
  const t = new HashTree();
  for (let i = 0; i < n; i++) t.appendLeafHash(leafHash(utf8(`leaf ${i}`)));
  return t;
}

// Oracles from the recursive definitions (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF): the
// side of each sibling. Two (index, size) pairs with the same shape compute the same root from
// the same proof, so a changed size or index is only expected to fail when the shape changes.
function shapeInc(i: number, n: number): string {
  let s = '';
  let [start, end, m] = [0, n, i];
  while (end - start > 1) {
    let k = 1;
    while (k * 2 < end - start) k *= 2;
    if (m < k) (s += 'R'), (end = start + k);
    else (s += 'L'), (start += k), (m -= k);
  }
  return s;
}
function shapeCons(m: number, n: number): string {
  let s = (m & (m - 1)) === 0 ? 'P' : '';
  let [start, end, b] = [0, n, true];
  for (;;) {
    if (m === end - start) return s + (b ? '' : 'X');
    let k = 1;
    while (k * 2 < end - start) k *= 2;
    if (m <= k) (s += 'R'), (end = start + k);
    else (s += 'L'), (start += k), (m -= k), (b = false);
  }
}

function flip(p: Uint8Array[], which: number, bit: number): Uint8Array[] {
  return p.map((h, i) => {
    if (i !== which) return h;
    const c = h.slice();
    c[bit >> 3]! ^= 1 << (bit & 7);
    return c;
  });
}

describe('properties', () => {
  it('every inclusion proof in trees up to 300 verifies; every mutation fails', () => {
    const t = buildTree(300);
    for (let n = 1; n <= 300; n += n < 40 ? 1 : 37) {
      const root = t.root(n);
      for (let i = 0; i < n; i++) {
        const p = t.inclusionProof(i, n);
        const leaf = t.leafHashAt(i);
        expect(verifyInclusion(leaf, i, n, p, root).ok).toBe(true);
        if (i % 7 === 0) {
          expect(verifyInclusion(leaf, i, n + 1, p, root).ok).toBe(shapeInc(i, n) === shapeInc(i, n + 1));
          const j = (i + 1) % n;
          expect(verifyInclusion(leaf, j, n, p, root).ok).toBe(shapeInc(i, n) === shapeInc(j, n));
          expect(verifyInclusion(leaf, i, n, [...p, root], root).ok).toBe(false);
          if (p.length > 0) {
            expect(verifyInclusion(leaf, i, n, p.slice(1), root).ok).toBe(false);
            expect(verifyInclusion(leaf, i, n, flip(p, p.length - 1, 5), root).ok).toBe(false);
          }
          expect(verifyInclusion(leaf, i, n, p, flip([root], 0, 200)[0]!).ok).toBe(false);
        }
      }
    }
  });

  it('every consistency proof m ≤ n verifies; mutations fail', () => {
    const t = buildTree(130);
    for (let n = 1; n <= 130; n++) {
      const rn = t.root(n);
      for (let m = 1; m <= n; m++) {
        const p = t.consistencyProof(m, n);
        const rm = t.root(m);
        expect(verifyConsistency(m, n, rm, rn, p).ok).toBe(true);
        if ((m * 31 + n) % 11 === 0 && m < n) {
          expect(verifyConsistency(m, n, rn, rn, p).ok).toBe(false);
          expect(verifyConsistency(m, n + 1, rm, rn, p).ok).toBe(shapeCons(m, n) === shapeCons(m, n + 1));
          if (m > 1) expect(verifyConsistency(m - 1, n, rm, rn, p).ok).toBe(shapeCons(m, n) === shapeCons(m - 1, n));
          expect(verifyConsistency(m, n, rm, rn, flip(p, 0, 3)).ok).toBe(false);
          expect(verifyConsistency(m, n, rm, rn, p.slice(0, -1)).ok).toBe(false);
          expect(verifyConsistency(0, n, emptyRoot(), rn, p).ok).toBe(false);
        }
      }
    }
  });

  it('random trees up to a few thousand: random inclusion and consistency proofs verify, mutations fail', () => {
    const big = buildTree(4096);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }).chain((n) =>
          fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n }), fc.nat(), fc.nat()),
        ),
        ([n, i, m, which, bit]) => {
          const root = big.root(n);
          const p = big.inclusionProof(i, n);
          const leaf = big.leafHashAt(i);
          expect(verifyInclusion(leaf, i, n, p, root).ok).toBe(true);
          if (p.length > 0) expect(verifyInclusion(leaf, i, n, flip(p, which % p.length, bit % 256), root).ok).toBe(false);
          expect(verifyInclusion(nodeHash(leaf, leaf), i, n, p, root).ok).toBe(false);
          const c = big.consistencyProof(m, n);
          expect(verifyConsistency(m, n, big.root(m), root, c).ok).toBe(true);
          if (c.length > 0) expect(verifyConsistency(m, n, big.root(m), root, flip(c, which % c.length, bit % 256)).ok).toBe(false);
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });

  it('exhaustive: every i < n and every m ≤ n for one random n up to 2000', () => {
    const n = 1 + Math.floor(Math.random() * 2000);
    const t = buildTree(n);
    const root = t.root(n);
    for (let i = 0; i < n; i++) expect(verifyInclusion(t.leafHashAt(i), i, n, inclusionProof(t.hash, i, n), root).ok).toBe(true);
    for (let m = 1; m <= n; m++) expect(verifyConsistency(m, n, t.root(m), root, consistencyProof(t.hash, m, n)).ok).toBe(true);
  });

  it('splitPoint is the largest power of two below n, also beyond 32 bits', () => {
    const slow = (n: number) => {
      let k = 1;
      while (k * 2 < n) k *= 2;
      return k;
    };
    for (let n = 2; n < 3000; n++) expect(splitPoint(n)).toBe(slow(n));
    for (const n of [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 3, 2 ** 53 - 1]) expect(splitPoint(n)).toBe(slow(n));
  });

  it('proofs in trees beyond 2^32 leaves generate and verify (lazily hashed tree)', () => {
    // A tree too big to build: subtrees away from the leaves of interest get arbitrary hashes,
    // subtrees containing one of them are hashed from their children for real, so every hash
    // the algorithms combine is consistent.
    const lazy = (special: number[]) => {
      const memo = new Map<string, Uint8Array>();
      const src = (level: number, index: number): Uint8Array => {
        const key = `${level}/${index}`;
        let h = memo.get(key);
        if (h === undefined) {
          const lo = index * 2 ** level;
          const hi = lo + 2 ** level;
          h =
            level > 0 && special.some((x) => x >= lo && x < hi)
              ? nodeHash(src(level - 1, 2 * index), src(level - 1, 2 * index + 1))
              : leafHash(utf8(key));
          memo.set(key, h);
        }
        return h;
      };
      return src;
    };
    for (const n of [2 ** 32 + 7, 2 ** 40 + 12345, 2 ** 52 + 1]) {
      for (const i of [0, 1, n - 1, Math.floor(n / 3), 2 ** 32 + 1]) {
        const src = lazy([i]);
        const root = treeRoot(src, n);
        const p = inclusionProof(src, i, n);
        expect(verifyInclusion(src(0, i), i, n, p, root).ok).toBe(true);
        expect(verifyInclusion(src(0, i), i, n, flip(p, 0, 1), root).ok).toBe(false);
      }
      for (const m of [1, 2 ** 32, 2 ** 32 + 3, n - 1]) {
        const src = lazy([m - 1, m, n - 1]);
        expect(verifyConsistency(m, n, treeRoot(src, m), treeRoot(src, n), consistencyProof(src, m, n)).ok).toBe(true);
      }
    }
  });

  it('rejects index ≥ size and size-0 consistency with ERR_PROOF_MALFORMED', () => {
    const t = buildTree(4);
    const r = verifyInclusion(t.leafHashAt(0), 4, 4, t.inclusionProof(0), t.root());
    expect(r.ok === false && r.code).toBe('ERR_PROOF_MALFORMED');
    const c = verifyConsistency(0, 4, emptyRoot(), t.root(), []);
    expect(c.ok === false && c.code).toBe('ERR_PROOF_MALFORMED');
    expect(() => inclusionProof(t.hash, 4, 4)).toThrow();
  });
});
