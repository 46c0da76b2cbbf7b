import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustosError } from '../../src/errors.js';
import * as custos from '../../src/index.js';
import { INCLUSION_MEMO_MAX_NODES, createInclusionVerifier, type InclusionVerifier } from '../../src/log/batch.js';
import { HashTree } from '../../src/log/hashtree.js';
import { inclusionProof, inclusionProofLength, leafHash, nodeHash, rootFromInclusion, splitPoint, treeRoot, verifyInclusion, type HashSource } from '../../src/log/merkle.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
/** Long runs (CUSTOS_FC_RUNS in the thousands) outlast the default 60 s timeout. */
const LONG = Math.max(60_000, RUNS * 250);

/** One tree of `n` leaves serves every size ≤ n (roots and proofs of earlier sizes). */
function treeOf(n: number): HashTree {
  const t = new HashTree();
  const b = new Uint8Array(4);
  for (let i = 0; i < n; i++) {
    new DataView(b.buffer).setUint32(0, i);
    t.appendLeafHash(leafHash(b));
  }
  return t;
}
const BIG = treeOf(3000);

type Outcome = { ok: true } | { ok: false; code: string } | { threw: string };
function outcome(f: () => { ok: boolean; code?: string }): Outcome {
  try {
    const r = f();
    return r.ok ? { ok: true } : { ok: false, code: r.code! };
  } catch (e) {
    return { threw: e instanceof CustosError ? e.code : String(e) };
  }
}
/** The verifier's answer must be verifyInclusion's, for every input. */
function same(v: InclusionVerifier, leaf: unknown, index: unknown, proof: unknown): Outcome {
  const want = outcome(() => verifyInclusion(leaf as Uint8Array, index as number, v.size, proof as Uint8Array[], v.root));
  const got = outcome(() => v.verify(leaf as Uint8Array, index as number, proof as Uint8Array[]));
  expect(got).toEqual(want);
  return got;
}
const flip = (h: Uint8Array, at = 0) => {
  const c = h.slice();
  c[at % c.length]! ^= 1;
  return c;
};
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('createInclusionVerifier: every size 1..300, every index', () => {
  it('accepts every valid proof in random order, with verifyInclusion, and hashes each node at most once', () => {
    for (let size = 1; size <= 300; size++) {
      const root = BIG.root(size);
      const v = createInclusionVerifier(size, root);
      for (const i of shuffled(size, size)) {
        expect(same(v, BIG.leafHashAt(i), i, BIG.inclusionProof(i, size))).toEqual({ ok: true });
      }
      // Every internal node is computed at most once (no eviction at this size), and a second
      // pass is free.
      expect(v.stats().hashes).toBeLessThanOrEqual(size - 1);
      const before = v.stats().hashes;
      for (let i = 0; i < size; i++) expect(v.verify(BIG.leafHashAt(i), i, BIG.inclusionProof(i, size)).ok).toBe(true);
      expect(v.stats().hashes).toBe(before);
      expect(v.stats()).toMatchObject({ accepted: 2 * size, rejected: 0, evictions: 0 });
    }
  });

  it('rejects a proof with any one byte changed, whether the good proof came first or after', () => {
    for (let size = 1; size <= 300; size++) {
      const root = BIG.root(size);
      const goodFirst = createInclusionVerifier(size, root);
      const badFirst = createInclusionVerifier(size, root);
      // Exhaustive over the tampered element for small trees, one element per index above.
      for (const i of shuffled(size, 7 * size)) {
        const leaf = BIG.leafHashAt(i);
        const proof = BIG.inclusionProof(i, size);
        // Every element for small trees; above, the leaf or one element, in turn.
        const all = size <= 40;
        const variants: [Uint8Array, Uint8Array[]][] = all || i % 2 === 0 || proof.length === 0 ? [[flip(leaf, i), proof]] : [];
        const which = all ? proof.map((_, k) => k) : i % 2 === 1 && proof.length > 0 ? [(i >> 1) % proof.length] : [];
        for (const k of which) variants.push([leaf, proof.map((p, j) => (j === k ? flip(p, i + k) : p))]);
        same(goodFirst, leaf, i, proof);
        for (const [l, p] of variants) {
          expect(same(goodFirst, l, i, p)).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
          expect(same(badFirst, l, i, p)).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
        }
        expect(same(badFirst, leaf, i, proof)).toEqual({ ok: true });
        // A proof for one index is not a proof for its neighbour.
        if (size > 1) same(goodFirst, leaf, (i + 1) % size, BIG.inclusionProof((i + 1) % size, size));
      }
    }
  });
});

/** A proof, valid or broken in one of many ways, for the property below. */
const mutation = fc.constantFrom(
  'none', 'none', 'none', 'leaf', 'element', 'swap', 'otherLeaf', 'otherProof', 'short', 'long', 'elemLength', 'indexPlus', 'indexTooBig', 'indexNegative', 'indexFraction', 'indexNaN', 'rootOfOther',
);

function mutate(kind: string, size: number, i: number, pick: number): { leaf: Uint8Array; index: number; proof: Uint8Array[] } {
  const leaf = BIG.leafHashAt(i);
  const proof = BIG.inclusionProof(i, size);
  const k = proof.length === 0 ? 0 : pick % proof.length;
  const other = (i + 1 + (pick % Math.max(1, size - 1))) % size;
  switch (kind) {
    case 'leaf': return { leaf: flip(leaf, pick), index: i, proof };
    case 'element': return { leaf, index: i, proof: proof.map((p, j) => (j === k ? flip(p, pick) : p)) };
    case 'swap': return { leaf, index: i, proof: proof.length > 1 ? [proof[1]!, proof[0]!, ...proof.slice(2)] : proof };
    case 'otherLeaf': return { leaf: BIG.leafHashAt(other), index: i, proof };
    case 'otherProof': return { leaf, index: i, proof: BIG.inclusionProof(other, size) };
    case 'short': return { leaf, index: i, proof: proof.slice(0, -1) };
    case 'long': return { leaf, index: i, proof: [...proof, leaf] };
    case 'elemLength': return { leaf, index: i, proof: proof.map((p, j) => (j === k ? p.subarray(0, 31) : p)) };
    case 'indexPlus': return { leaf, index: i + 1, proof };
    case 'indexTooBig': return { leaf, index: size + pick, proof };
    case 'indexNegative': return { leaf, index: -1 - pick, proof };
    case 'indexFraction': return { leaf, index: i + 0.5, proof };
    case 'indexNaN': return { leaf, index: Number.NaN, proof };
    case 'rootOfOther': return { leaf, index: i, proof: i < size - 1 ? BIG.inclusionProof(i, size - 1) : proof };
    default: return { leaf, index: i, proof };
  }
}

describe('createInclusionVerifier: differential against verifyInclusion', () => {
  it('gives verifyInclusion\'s answer for random valid and broken proofs in any order, any memo bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.oneof(fc.constant(undefined), fc.integer({ min: 256, max: 2048 })),
        fc.array(fc.tuple(fc.nat(), mutation, fc.nat(), fc.boolean()), { minLength: 1, maxLength: 150, size: 'max' }),
        (size, maxNodes, ops) => {
          const v = createInclusionVerifier(size, BIG.root(size), maxNodes === undefined ? {} : { maxNodes });
          const near: number[] = [];
          for (const [n, kind, pick, local] of ops) {
            // Half the indices near earlier ones, so proofs share paths with proven nodes.
            const i = local && near.length > 0 ? (near[n % near.length]! + (pick % 5)) % size : n % size;
            near.push(i);
            const m = mutate(kind, size, i, pick);
            same(v, m.leaf, m.index, m.proof);
            // The same index again, with the valid proof: order must not matter.
            if (kind !== 'none') same(v, BIG.leafHashAt(i), i, BIG.inclusionProof(i, size));
          }
          expect(v.stats().nodes).toBeLessThanOrEqual(maxNodes ?? INCLUSION_MEMO_MAX_NODES);
        },
      ),
      { numRuns: RUNS },
    );
  }, LONG);

  it('gives the same answers for a wrong root, a root of the wrong length and sizes that are not sizes', () => {
    const proof = BIG.inclusionProof(5, 10);
    const leaf = BIG.leafHashAt(5);
    const cases: [number, Uint8Array][] = [
      [10, flip(BIG.root(10))],
      [10, BIG.root(10).subarray(0, 31)],
      [10, new Uint8Array(0)],
      [11, BIG.root(10)],
      [-1, BIG.root(10)],
      [10.5, BIG.root(10)],
      [2 ** 53, BIG.root(10)],
      [Number.NaN, BIG.root(10)],
      [0, BIG.root(10)],
    ];
    for (const [size, root] of cases) {
      const v = createInclusionVerifier(size, root);
      for (let k = 0; k < 3; k++) {
        // (Size 11 accepts this proof from size 10, as RFC 9162 does: off the right edge the path
        // does not depend on the size; the signed checkpoint binds it.)
        expect(same(v, leaf, 5, proof)).toEqual(size === 11 ? { ok: true } : expect.objectContaining({ ok: false }));
        same(v, leaf, 5, 'not an array');
        same(v, leaf, 5, [new Uint16Array(16)]);
        same(v, leaf, 0, []);
        same(v, 'leaf', 5, proof);
      }
    }
  });

  it('throws on misuse as verifyInclusion does, and rejects misuse of proofs per call', () => {
    const root = BIG.root(10);
    expect(() => createInclusionVerifier(10, 'root' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => createInclusionVerifier('10' as never, root)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => createInclusionVerifier(10, root, { maxNodes: 255 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const v = createInclusionVerifier(10, root);
    for (const bad of [null, undefined, {}, [null], [[1, 2]], 'abc']) same(v, BIG.leafHashAt(1), 1, bad);
    same(v, BIG.leafHashAt(1), '1', BIG.inclusionProof(1, 10));
    same(v, null, 1, BIG.inclusionProof(1, 10));
    expect(v.stats().accepted).toBe(0);
  });
});

describe('createInclusionVerifier: trees up to 2^53 − 1 entries', () => {
  it('agrees with verifyInclusion on synthetic proofs, their sibling leaf and broken copies', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.boolean(),
        fc.array(hash, { minLength: 64, maxLength: 64 }),
        hash,
        fc.nat(),
        (size, f, last, hashes, leaf, pick) => {
          const index = last ? size - 1 - (pick % 3) : Math.floor(f * size);
          const proof = hashes.slice(0, inclusionProofLength(index, size));
          const root = rootFromInclusion(leaf, index, size, proof)!;
          const v = createInclusionVerifier(size, root, { maxNodes: 256 + (pick % 4096) });
          expect(same(v, leaf, index, proof)).toEqual({ ok: true });
          expect(same(v, leaf, index, proof)).toEqual({ ok: true });
          // The sibling leaf, when the first step pairs two leaves: its proof starts with our leaf.
          const sib = index % 2 === 0 ? index + 1 : index - 1;
          if (proof.length > 0 && sib < size) expect(same(v, proof[0]!, sib, [leaf, ...proof.slice(1)])).toEqual({ ok: true });
          const k = pick % Math.max(1, proof.length);
          if (proof.length > 0) expect(same(v, leaf, index, proof.map((p, j) => (j === k ? flip(p, pick) : p)))).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
          expect(same(v, flip(leaf, pick), index, proof)).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
          same(v, leaf, index + 1, proof);
          same(v, leaf, index - 2 ** 32, proof);
          same(v, leaf, index, [...proof, leaf]);
          expect(same(v, leaf, index, proof)).toEqual({ ok: true });
        },
      ),
      { numRuns: RUNS * 8 },
    );
  }, LONG);
});

/**
 * A tree of `size` leaves (up to 2^53 − 1) that is all one leaf except at `special` indices, so any
 * subtree without a special leaf has the hash of its level: roots and proofs cost O(specials × 53).
 */
function sparseTree(size: number, special: readonly number[]) {
  const sorted = [...new Set(special)].sort((x, y) => x - y);
  const uniform = [leafHash(new TextEncoder().encode('common'))];
  for (let l = 1; l <= 53; l++) uniform.push(nodeHash(uniform[l - 1]!, uniform[l - 1]!));
  const any = (lo: number, hi: number) => {
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (sorted[m]! < lo) a = m + 1;
      else b = m;
    }
    return a < sorted.length && sorted[a]! < hi;
  };
  const memo = new Map<string, Uint8Array>();
  const src: HashSource = (level, index) => {
    const lo = index * 2 ** level;
    if (!any(lo, lo + 2 ** level)) return uniform[level]!;
    if (level === 0) return leafHash(new TextEncoder().encode(`leaf ${index}`));
    const key = `${level}:${index}`;
    let h = memo.get(key);
    if (h === undefined) memo.set(key, (h = nodeHash(src(level - 1, 2 * index), src(level - 1, 2 * index + 1))));
    return h;
  };
  return { root: treeRoot(src, size), leaf: (i: number) => src(0, i), proof: (i: number) => inclusionProof(src, i, size) };
}

describe('createInclusionVerifier: real proofs of trees up to 2^53 − 1 entries', () => {
  it('agrees with verifyInclusion where 32-bit keys of the right edge and of nodes 2^32 to its left would meet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2 ** 33, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 256, max: 4096 }), fc.nat(), (size, f, maxNodes, seed) => {
        const a = Math.floor(f * size);
        const idx = new Set([a, a + 1, a - 2 ** 32, size - 1, size - 2].filter((i) => i >= 0 && i < size));
        // Every node of the right edge [s, size), of height h, and the leaves just left of it and
        // 2^32 nodes of its level to its left.
        for (let m = 0; m < 54; m++) {
          const s = Math.floor((size - 1) / 2 ** m) * 2 ** m;
          let h = 0;
          while (2 ** h < size - s) h++;
          for (const i of [s, s - 1, s - 2 ** (32 + h), s - 2 ** (32 + h) - 1, s - 2 ** 32]) if (i >= 0 && i < size) idx.add(i);
        }
        const t = sparseTree(size, [...idx]);
        const order = shuffled(idx.size, seed).map((k) => [...idx][k]!);
        const v = createInclusionVerifier(size, t.root, { maxNodes });
        for (const i of order) expect(same(v, t.leaf(i), i, t.proof(i))).toEqual({ ok: true });
        for (const i of order) {
          const p = t.proof(i);
          if (p.length > 0) expect(same(v, t.leaf(i), i, p.map((x, j) => (j === seed % p.length ? flip(x, seed) : x)))).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
          expect(same(v, t.leaf(i), i, p)).toEqual({ ok: true });
        }
      }),
      { numRuns: RUNS },
    );
  }, LONG);
});

describe('createInclusionVerifier: memo', () => {
  it('keeps copies: changing the caller\'s arrays after a proof verified changes nothing proven', () => {
    const size = 1000;
    const root = BIG.root(size);
    const v = createInclusionVerifier(size, root);
    const leaf = BIG.leafHashAt(500);
    const proof = BIG.inclusionProof(500, size);
    expect(v.verify(leaf, 500, proof).ok).toBe(true);
    leaf[0]! ^= 1;
    for (const p of proof) p[3]! ^= 1;
    expect(same(v, leaf, 500, proof)).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
    expect(same(v, BIG.leafHashAt(501), 501, BIG.inclusionProof(501, size))).toEqual({ ok: true });
    const r = v.root;
    r[0]! ^= 1;
    expect(v.root).toEqual(root);
  });

  it('compares hashes held at any byte offset (views into larger buffers)', () => {
    const size = 777;
    const v = createInclusionVerifier(size, BIG.root(size));
    const at = (h: Uint8Array, off: number) => {
      const big = new Uint8Array(h.length + 7);
      big.set(h, off);
      return big.subarray(off, off + h.length);
    };
    for (let i = 0; i < size; i += 7) {
      const off = 1 + (i % 5);
      const proof = BIG.inclusionProof(i, size).map((p) => at(p, off));
      expect(same(v, at(BIG.leafHashAt(i), off), i, proof)).toEqual({ ok: true });
      expect(same(v, at(flip(BIG.leafHashAt(i), i), off), i, proof)).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
      if (proof.length > 0) expect(same(v, BIG.leafHashAt(i), i, proof.map((p, k) => (k === i % proof.length ? at(flip(p, 31), 3) : p)))).toEqual({ ok: false, code: 'ERR_PROOF_INVALID' });
    }
  });

  it('only proofs that verified add nodes; hostile proofs add none', () => {
    const size = 2000;
    const v = createInclusionVerifier(size, BIG.root(size));
    for (let i = 0; i < 500; i++) v.verify(flip(BIG.leafHashAt(i)), i, BIG.inclusionProof(i, size));
    expect(v.stats()).toMatchObject({ nodes: 1, accepted: 0, rejected: 500 });
  });

  it('stays within maxNodes, evicts the lower levels and still verifies in any order', () => {
    const size = 3000;
    const v = createInclusionVerifier(size, BIG.root(size), { maxNodes: 256 });
    for (const i of shuffled(size, 99)) expect(v.verify(BIG.leafHashAt(i), i, BIG.inclusionProof(i, size)).ok).toBe(true);
    const s = v.stats();
    expect(s.nodes).toBeLessThanOrEqual(256);
    expect(s.evictions).toBeGreaterThan(0);
    // Still cheaper than 12 hashes a proof (verifyInclusion's cost here), thanks to the kept levels.
    expect(s.hashes / size).toBeLessThan(8);
  });

  it('in index order costs about one hash a proof', () => {
    const size = 3000;
    const v = createInclusionVerifier(size, BIG.root(size), { maxNodes: 256 });
    for (let i = 0; i < size; i++) expect(v.verify(BIG.leafHashAt(i), i, BIG.inclusionProof(i, size)).ok).toBe(true);
    expect(v.stats().hashes / size).toBeLessThan(1.5);
  });

  it('is exported from custos', () => {
    expect(typeof (custos as Record<string, unknown>).createInclusionVerifier).toBe('function');
    expect((custos as Record<string, unknown>).INCLUSION_MEMO_MAX_NODES).toBe(INCLUSION_MEMO_MAX_NODES);
  });
});

/** RFC 9162 §2.1.3.1 PATH length by its recursion, as the reference for the closed form. */
function pathLength(m: number, n: number): number {
  if (n <= 1) return 0;
  const k = splitPoint(n);
  return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k));
}

describe('inclusionProofLength', () => {
  it('equals the PATH recursion for every index of every size up to 600', () => {
    for (let n = 1; n <= 600; n++) for (let m = 0; m < n; m++) expect(inclusionProofLength(m, n)).toBe(pathLength(m, n));
  });
  it('equals the PATH recursion for sizes up to 2^53 − 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, f) => {
        const m = Math.min(n - 1, Math.floor(f * n));
        expect(inclusionProofLength(m, n)).toBe(pathLength(m, n));
        expect(inclusionProofLength(n - 1, n)).toBe(pathLength(n - 1, n));
        expect(inclusionProofLength(0, n)).toBe(pathLength(0, n));
      }),
      { numRuns: RUNS * 40 },
    );
  }, LONG);
});
