/**
 * The log verifiers the first adversarial pass left out: RFC 9942 consistency receipts
 * (`verifyConsistencyReceipt`), checkpoint consistency (`verifyCheckpointConsistency`) and
 * subtree proofs (`verifySubtreeInclusion`, `verifySubtreeConsistency`).
 *
 * Valid samples come from our own issuers and provers over a 41-entry log T; a second log F
 * shares T's first 13 entries and then forks, so "real but wrong" roots and checkpoints exist.
 * Inputs are mutated as bytes (harness) and structurally: proof hashes flipped, dropped, added,
 * reordered, duplicated, replaced by a real hash from elsewhere, cut to 31 bytes; sizes and
 * indices set to 0, 1, equal, swapped, ±1, 2^53 − 1, 2^53, 2^64 − 1, negative, non-integers;
 * checkpoints swapped, replaced, forked, edited as text, verified under wrong keys.
 *
 * The oracles are ground truth, not "mutated ⇒ fails" (so a mutation that changes nothing that
 * is verified, such as swapping two equal hashes, may verify):
 *   - only CustosError codes from ERROR_CODES escape (harness), a failed report has a documented
 *     code, and an unmodified sample always verifies;
 *   - when the caller's premise holds (the root it passes is really the root of that tree or
 *     subtree, in T or in F), a report with ok: true states only true facts about that tree;
 *   - when it does not hold, ok: true is allowed only if every hash involved is a real hash of
 *     T or F (RFC 9162 cannot tell some sizes apart, cf. F-3); a fabricated hash never verifies.
 * Finding F-7 (a consistency receipt's new tree size is unauthenticated but was reported as if
 * signed) is fixed: the oracle and a regression test now run by default.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { decode, encode } from '../../src/cbor.js';
import { ERROR_CODES } from '../../src/errors.js';
import { SigningKey } from '../../src/keys/signing.js';
import { formatCheckpoint } from '../../src/log/checkpoint.js';
import { verifyCheckpointConsistency } from '../../src/log/consistency.js';
import { cosign } from '../../src/log/cosignature.js';
import { HashTree } from '../../src/log/hashtree.js';
import { emptyRoot, inclusionProof, isPow2, leafHash, rangeHash, splitPoint, type HashSource } from '../../src/log/merkle.js';
import { signNote } from '../../src/log/note.js';
import { formatVerifierKey, noteSigner, NOTE_TYPE_COSIGNATURE } from '../../src/log/notekeys.js';
import { issueConsistencyReceipt, issueInclusionReceipt, verifyConsistencyReceipt, type ReceiptReport } from '../../src/log/receipt.js';
import type { LogReport } from '../../src/log/report.js';
import { verifySubtreeConsistency, verifySubtreeInclusion } from '../../src/log/subtree.js';
import { openLog } from '../../src/node/logstore.js';
import type { ProofCheck } from '../../src/log/merkle.js';
import { RUNS, counters, fuzz, runCase, type Target } from './harness.js';

/** Replays a failure printed by a property: CUSTOS_FC_SEED=<seed> CUSTOS_FC_PATH=<path> (with -t to pick it). */
const REPLAY = process.env.CUSTOS_FC_SEED === undefined ? {} : { seed: Number(process.env.CUSTOS_FC_SEED), ...(process.env.CUSTOS_FC_PATH ? { path: process.env.CUSTOS_FC_PATH } : {}) };
const N = 41;
const FORK = 13;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const eq = (a: Uint8Array | undefined, b: Uint8Array | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

const T = new HashTree();
const F = new HashTree();
for (let i = 0; i < N; i++) {
  T.appendLeafHash(leafHash(utf8(`log entry ${i}`)));
  F.appendLeafHash(leafHash(utf8(i < FORK ? `log entry ${i}` : `forked entry ${i}`)));
}
const TREES = [T, F] as const;
const EMPTY = emptyRoot();

/** Whether [start, end) is an aligned subtree (start a multiple of the smallest 2^k ≥ end − start). */
function aligned(start: number, end: number): boolean {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) return false;
  const n = end - start;
  const p = n <= 1 ? 1 : isPow2(n) ? n : 2 * splitPoint(n);
  return start % p === 0;
}

/** MTH(tree[start:end]) for an aligned range inside the tree, else undefined. */
function mth(tree: HashTree, start: number, end: number): Uint8Array | undefined {
  if (!aligned(start, end) || end > N) return undefined;
  if (start === end) return EMPTY;
  return rangeHash(tree.hash, start, end);
}

/** Every hash that really occurs in T or F: each node of each tree size, and the empty root. */
const REAL = new Set<string>([hex(EMPTY)]);
for (const tree of TREES) {
  for (let s = 0; s < N; s++) {
    for (let e = s + 1; e <= N; e++) {
      const h = mth(tree, s, e);
      if (h !== undefined) REAL.add(hex(h));
    }
  }
}
const REAL_LIST = [...REAL].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
const isReal = (h: unknown) => h instanceof Uint8Array && REAL.has(hex(h));

/** The "unusual numbers" every size and index is tried with. */
const NUMS = [0, 1, -1, -0, 2 ** 53 - 1, 2 ** 53, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32, 2 ** 31 - 1];

/** A number derived from a real one: one of NUMS, the real one ±1, or another real one. */
function numArb(real: number, other: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(...NUMS, real + 1, real - 1, other, real * 2), fc.nat({ max: N + 3 }));
}

/** Structural mutations of a proof (array of hashes). */
function proofMutation(path: readonly Uint8Array[]): fc.Arbitrary<Uint8Array[]> {
  const L = path.length;
  const at = fc.nat({ max: Math.max(0, L - 1) });
  const ins = fc.nat({ max: L });
  const copy = (): Uint8Array[] => path.map((h) => h.slice());
  const arms: fc.Arbitrary<Uint8Array[]>[] = [
    fc.tuple(at, fc.nat({ max: 255 })).map(([i, bit]) => {
      const p = copy();
      if (p[i]) p[i]![bit % 32]! ^= 1 << (bit % 8);
      return p;
    }),
    at.map((i) => copy().filter((_, k) => k !== i)),
    fc.tuple(ins, fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([i, h]) => {
      const p = copy();
      p.splice(i, 0, h);
      return p;
    }),
    fc.tuple(at, ins).map(([i, j]) => {
      const p = copy();
      if (p[i]) p.splice(j, 0, p[i]!.slice());
      return p;
    }),
    fc.tuple(at, at).map(([i, j]) => {
      const p = copy();
      if (p[i] && p[j]) [p[i], p[j]] = [p[j]!, p[i]!];
      return p;
    }),
    fc.tuple(at, fc.constantFrom(...REAL_LIST)).map(([i, h]) => {
      const p = copy();
      if (p.length > 0) p[i] = h.slice();
      else p.push(h.slice());
      return p;
    }),
    fc.tuple(at, fc.constantFrom(31, 33, 0, 64)).map(([i, n]) => {
      const p = copy();
      if (p[i]) p[i] = n <= 32 ? p[i]!.slice(0, n) : new Uint8Array(n).fill(7);
      return p;
    }),
    // Not a hash at all (misuse for the array APIs: ERR_INVALID_ARGUMENT; malformed CBOR in a receipt).
    fc.tuple(ins, fc.constantFrom<unknown>('hash', 7, null, [1, 2], new DataView(new ArrayBuffer(32)), new ArrayBuffer(32))).map(([i, junk]) => {
      const p = copy();
      p.splice(i, 0, junk as Uint8Array);
      return p;
    }),
    fc.constant([] as Uint8Array[]),
    fc.constant(copy().reverse()),
    fc.constant([...copy(), ...copy()]),
    fc.constant(copy()),
  ];
  return fc.oneof(...arms);
}

/** A documented code on every failed report; an ok report with no failed check. */
function reportShape(r: LogReport | ProofCheck): string | undefined {
  if (r.ok) return 'checks' in r && r.checks.some((c) => !c.ok) ? 'ok report with a failed check' : undefined;
  if (r.code === undefined) return 'failed report without a code';
  return Object.hasOwn(ERROR_CODES, r.code) ? undefined : `undocumented report code ${r.code}`;
}

/** Outcomes per verifier: a property whose cases all fail (or all pass) tests nothing. */
const stats = new Map<string, { ok: number; failed: number; threw: number }>();

/** Runs one structured case through the harness (escaping errors, time, memory) and an oracle. */
async function one<R extends LogReport | ProofCheck>(name: string, run: () => R, oracle: (r: R) => string | undefined): Promise<string | undefined> {
  const st = stats.get(name) ?? { ok: 0, failed: 0, threw: 0 };
  stats.set(name, st);
  const t: Target<R> = {
    name,
    samples: [new Uint8Array(0)],
    run,
    oracle: (_b, r) => {
      if (r.ok) st.ok++;
      else st.failed++;
      return reportShape(r) ?? oracle(r);
    },
  };
  const c = await runCase(t, new Uint8Array(0));
  if (c.threw) st.threw++;
  return c.finding;
}

/**
 * Both outcomes must have occurred for the property to mean something. The floor is low on
 * purpose: the draws are random and some properties verify only ~3% of their cases (≈ 17 of 600
 * in the default run), so a floor near the mean would fail CI by chance; 3 is ~3.5 standard
 * deviations below it.
 */
function expectBothOutcomes(name: string): void {
  if ('path' in REPLAY) return; // a replay runs one case only
  const st = stats.get(name);
  expect(st, name).toBeDefined();
  expect(st!.ok, `${name}: verified cases`).toBeGreaterThanOrEqual(Math.min(3, RUNS / 50));
  expect(st!.failed + st!.threw, `${name}: rejected cases`).toBeGreaterThanOrEqual(Math.min(10, RUNS / 20));
}

async function check<A>(name: string, arb: fc.Arbitrary<A>, body: (a: A) => Promise<string | undefined>, runs = RUNS): Promise<void> {
  const d = await fc.check(
    fc.asyncProperty(arb, async (a) => {
      const f = await body(a);
      if (f !== undefined) throw new Error(f);
    }),
    { numRuns: runs, ...REPLAY },
  );
  if (d.failed) {
    const msg = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
    const ce = JSON.stringify(d.counterexample, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    throw new Error(`${name} seed=${d.seed} path=${d.counterexamplePath ?? ''}: ${msg} input=${ce.slice(0, 1500)}`);
  }
}

// ---- RFC 9942 consistency receipts ---------------------------------------------------------------

const logKey = SigningKey.fromSecret(new Uint8Array(32).fill(41));
const KEY = { alg: 'EdDSA' as const, publicKey: logKey.publicKey };
const PAIRS: readonly (readonly [number, number])[] = [[1, 41], [4, 7], [5, 41], [16, 32], [20, 37], [13, 14], [40, 41], [37, 37], [1, 1], [7, 8]];
const receipts = PAIRS.map(([m, n]) => ({ m, n, bytes: issueConsistencyReceipt({ oldSize: m, newSize: n, proof: T.consistencyProof(m, n), newRoot: T.root(n) }, logKey) }));

/** Rewrites the unprotected proof `bstr .cbor [a, b, path]` of a receipt, keeping the signature. */
function withProof(receipt: Uint8Array, proofBytes: Uint8Array): Uint8Array {
  const tagged = decode(receipt, { allowedTags: [18] }) as { value: unknown[] };
  tagged.value[1] = new Map([[396, new Map([[-2, [proofBytes]]])]]);
  return encode(tagged, { allowedTags: [18] });
}

/** CBOR for one number, including the ones our encoder refuses (floats, -0, unsafe integers). */
function cborNumber(v: number | bigint): Uint8Array {
  if (typeof v === 'bigint' || (Number.isSafeInteger(v) && !Object.is(v, -0))) return encode(v);
  const b = new Uint8Array(9);
  b[0] = 0xfb;
  new DataView(b.buffer).setFloat64(1, v);
  return b;
}

function proofCbor(a: number | bigint, b: number | bigint, path: readonly Uint8Array[]): Uint8Array {
  // Items that CBOR cannot carry as such (DataView, ArrayBuffer) become a text string.
  const items = path.map((h: unknown) => (h instanceof Uint8Array || h === null || typeof h === 'string' || typeof h === 'number' || Array.isArray(h) ? h : 'junk'));
  return Uint8Array.from([0x83, ...cborNumber(a), ...cborNumber(b), ...encode(items)]);
}

let f7Hits = 0;

/**
 * Ground truth for a consistency receipt of T from m to n, verified with (oldSize, oldRoot).
 * Returns a finding, or undefined.
 */
function receiptTruth(n: number, oldSize: number, oldRoot: Uint8Array, r: ReceiptReport): string | undefined {
  if (!r.ok) return undefined;
  if (!eq(r.root, T.root(n))) return 'verified with a root the log never signed';
  if (r.oldSize !== oldSize) return `report oldSize ${r.oldSize} differs from the trusted ${oldSize}`;
  const heads = headOf(oldSize, oldRoot);
  if (heads.size > 0) {
    // The caller's trusted old tree is a real tree head (of T or of the fork F): the report may
    // say "extended by the signed tree" only if that is true.
    if (!heads.has(0) || oldSize < 1 || oldSize > n) return `verified from an old tree (${oldSize}) that the signed tree does not extend`;
  } else if (!isReal(oldRoot)) {
    return 'verified from a fabricated old root';
  }
  if (r.treeSize !== n && r.sizeAuthenticated !== false) {
    // F-7 (fixed): RFC 9942 signs only the new root, so a report naming another size must say
    // that the size is unauthenticated.
    f7Hits++;
    return `F-7: ok with treeSize ${r.treeSize} for a receipt signed over the root of size ${n}`;
  }
  return undefined;
}

// ---- checkpoints ------------------------------------------------------------------------------------

const ORIGIN = 'log.example.org/custos-proofs';
const cpSigner = noteSigner(ORIGIN, SigningKey.fromSecret(new Uint8Array(32).fill(42)));
const otherSigner = noteSigner(ORIGIN, SigningKey.fromSecret(new Uint8Array(32).fill(43)));
const witness = noteSigner('witness.example/w', SigningKey.fromSecret(new Uint8Array(32).fill(44)), NOTE_TYPE_COSIGNATURE);
const VKEY = formatVerifierKey(cpSigner);
const POLICY = { log: [VKEY], witnesses: [formatVerifierKey(witness)], quorum: 1, origin: ORIGIN, now: 1_800_000_000 };

interface Cp {
  readonly tree: 0 | 1;
  readonly size: number;
  readonly text: string;
}
const cpCache = new Map<string, string>();
function checkpoint(tree: 0 | 1, size: number, origin = ORIGIN, signer = cpSigner): string {
  const k = `${tree}/${size}/${origin}/${signer === cpSigner ? 1 : 2}`;
  let t = cpCache.get(k);
  if (t === undefined) {
    t = cosign(signNote(formatCheckpoint({ origin, size, root: TREES[tree].root(size) }), [signer]), witness, { time: 1_700_000_000 + size });
    cpCache.set(k, t);
  }
  return t;
}
const CP_SIZES = [0, 1, 2, 4, 7, 12, 13, 14, 20, 32, 37, 41];
const cpArb: fc.Arbitrary<Cp> = fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.constantFrom(...CP_SIZES)).map(([tree, size]) => ({ tree, size, text: checkpoint(tree, size) }));

/** Is (size, root) a real tree head of T or F? Returns the trees it belongs to. */
function headOf(size: number, root: Uint8Array): Set<number> {
  const s = new Set<number>();
  if (!Number.isSafeInteger(size) || size < 0 || size > N) return s;
  TREES.forEach((t, i) => {
    if (eq(t.root(size), root)) s.add(i);
  });
  return s;
}

// ---- subtree provers (draft-ietf-plants-merkle-tree-certs), written here from the draft -----------

/** Inclusion of leaf `index` in the aligned subtree [start, end): the plain inclusion proof inside it. */
function proveSubtreeInclusion(tree: HashTree, index: number, start: number, end: number): Uint8Array[] {
  const shifted: HashSource = (level, i) => tree.hash(level, i + start / 2 ** level);
  return inclusionProof(shifted, index - start, end - start);
}

/** SUBTREE_PROOF(start, end, D[0:size]): the subtree [start, end) within the tree of `size`. */
function proveSubtreeConsistency(tree: HashTree, start: number, end: number, size: number): Uint8Array[] {
  if (start === end) return [];
  const node = (s: number, e: number) => rangeHash(tree.hash, s, e);
  const sub = (lo: number, hi: number, known: boolean): Uint8Array[] => {
    if (start === lo && end === hi) return known ? [] : [node(lo, hi)];
    const k = splitPoint(hi - lo);
    if (end <= lo + k) return [...subIn(lo, lo + k, known), node(lo + k, hi)];
    if (start >= lo + k) return [...subIn(lo + k, hi, known), node(lo, lo + k)];
    // [start, end) straddles the split: it starts at lo (alignment) and contains [lo, lo + k).
    return [...subRight(lo + k, hi), node(lo, lo + k)];
  };
  const subIn = (lo: number, hi: number, known: boolean) => sub(lo, hi, known);
  // The part of the subtree right of the split, [lo, end), whose hash the verifier does not know.
  const subRight = (lo: number, hi: number): Uint8Array[] => {
    if (end === hi) return [node(lo, hi)];
    const k = splitPoint(hi - lo);
    if (end <= lo + k) return [...subRight(lo, lo + k), node(lo + k, hi)];
    return [...subRight(lo + k, hi), node(lo, lo + k)];
  };
  return sub(0, size, true);
}

/** Every aligned subtree [s, e) of the tree of `size` (e ≤ size), and the empty ones at 0. */
function alignedSubtrees(size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < size; s++) for (let e = s + 1; e <= size; e++) if (aligned(s, e)) out.push([s, e]);
  return out;
}

// ---- the tests -------------------------------------------------------------------------------------

describe('fuzz: consistency receipts, checkpoint consistency, subtree proofs', () => {
  afterAll(() =>
    console.log(
      `[adversarial] log proofs: ${counters.cases} cases; F-7 (unauthenticated new size) hit ${f7Hits} times; ` +
        [...stats].map(([k, v]) => `${k} ok ${v.ok} / failed ${v.failed} / threw ${v.threw}`).join('; '),
    ),
  );

  it('valid samples verify: receipts, checkpoint pairs, every aligned subtree (provers checked against the verifiers)', () => {
    for (const { m, n, bytes } of receipts) {
      const r = verifyConsistencyReceipt(bytes, { key: KEY, oldSize: m, oldRoot: T.root(m) });
      expect(r.ok, `${m}->${n}`).toBe(true);
      expect(r.treeSize).toBe(n);
      expect(r.root).toEqual(T.root(n));
    }
    for (const m of CP_SIZES) {
      for (const n of CP_SIZES.filter((x) => x >= m)) {
        for (const tree of [0, 1] as const) {
          const r = verifyCheckpointConsistency(checkpoint(tree, m), checkpoint(tree, n), m === 0 ? [] : TREES[tree].consistencyProof(m, n), POLICY);
          expect(r.ok, `${tree}: ${m}->${n}`).toBe(true);
        }
      }
    }
    let subtrees = 0;
    for (const tree of TREES) {
      for (const size of [1, 2, 3, 7, 8, 13, 16, 33, 41]) {
        for (const [s, e] of alignedSubtrees(size)) {
          const h = mth(tree, s, e)!;
          expect(verifySubtreeConsistency(s, e, size, proveSubtreeConsistency(tree, s, e, size), h, tree.root(size)).ok, `[${s},${e}) in ${size}`).toBe(true);
          if (size === 41) for (let i = s; i < e; i++) expect(verifySubtreeInclusion(tree.leafHashAt(i), i, s, e, proveSubtreeInclusion(tree, i, s, e), h).ok).toBe(true);
          subtrees++;
        }
        expect(verifySubtreeConsistency(size, size, size, [], EMPTY, tree.root(size)).ok).toBe(true);
      }
    }
    expect(subtrees).toBeGreaterThan(300);
  });

  it('the oracles flag what they must', () => {
    const good = verifyConsistencyReceipt(receipts[1]!.bytes, { key: KEY, oldSize: 4, oldRoot: T.root(4) });
    expect(receiptTruth(7, 4, T.root(4), good)).toBeUndefined();
    expect(receiptTruth(8, 4, T.root(4), good)).toMatch(/never signed/);
    expect(receiptTruth(7, 4, F.root(4).map((b) => b ^ 1), good)).toMatch(/fabricated/);
    expect(receiptTruth(41, 20, F.root(20), { ...good, oldSize: 20, root: T.root(41) })).toMatch(/does not extend/);
    expect(receiptTruth(7, 8, T.root(8), { ...good, oldSize: 8 })).toMatch(/does not extend/);
    expect(receiptTruth(7, 3, T.root(3), good)).toMatch(/does not extend|oldSize/);
    expect(reportShape({ ok: false, checks: [] })).toMatch(/without a code/);
    expect(reportShape({ ok: false, code: 'ERR_X' as 'ERR_IO', checks: [] })).toMatch(/undocumented/);
    expect(headOf(20, F.root(20))).toEqual(new Set([1]));
    expect(headOf(12, F.root(12))).toEqual(new Set([0, 1]));
    expect(isReal(new Uint8Array(32))).toBe(false);
    expect(isReal(T.root(41))).toBe(true);
  });

  it('consistency receipts: byte-level mutations (harness)', async () => {
    for (const { m, n, bytes } of receipts.slice(0, 6)) {
      const t: Target<ReceiptReport> = {
        name: `verifyConsistencyReceipt ${m}->${n}`,
        samples: [bytes],
        run: (b) => verifyConsistencyReceipt(b, { key: KEY, oldSize: m, oldRoot: T.root(m) }),
        oracle: (b, r) => reportShape(r) ?? (eq(b, bytes) && !r.ok ? 'the genuine receipt failed' : receiptTruth(n, m, T.root(m), r)),
      };
      await fuzz(t, { runs: Math.max(10, Math.floor(RUNS / 2)) });
    }
  });

  it('consistency receipts: proof, size and trusted-state mutations', async () => {
    const arb = fc.constantFrom(...receipts).chain((s) => {
      const [a, b] = [s.m, s.n];
      const path = T.consistencyProof(a, b);
      return fc.record({
        s: fc.constant(s),
        path: fc.oneof({ weight: 1, arbitrary: fc.constant(path) }, { weight: 3, arbitrary: proofMutation(path) }),
        a: fc.oneof({ weight: 3, arbitrary: fc.constant<number | bigint>(a) }, { weight: 1, arbitrary: numArb(a, b) }, { weight: 1, arbitrary: fc.constantFrom<number | bigint>(2n ** 64n - 1n, 2n ** 53n, -(2n ** 64n)) }),
        b: fc.oneof({ weight: 2, arbitrary: fc.constant<number | bigint>(b) }, { weight: 2, arbitrary: numArb(b, a) }, { weight: 1, arbitrary: fc.constantFrom<number | bigint>(2n ** 64n - 1n, 2n ** 53n) }),
        swap: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        // The verifier's trusted old tree: the real one, another real one, the fork's, or nonsense.
        old: fc.oneof(
          { weight: 3, arbitrary: fc.constant({ size: a, root: T.root(a) }) },
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 1, max: N })).map(([t, k]) => ({ size: k, root: TREES[t]!.root(k) })) },
          { weight: 1, arbitrary: fc.tuple(numArb(a, b), fc.constantFrom(...REAL_LIST)).map(([k, root]) => ({ size: k, root })) },
        ),
      });
    });
    await check('consistency receipt (structured)', arb, ({ s, path, a: a0, b: b0, swap, old }) => {
      const [a, b] = swap ? [b0, a0] : [a0, b0];
      const bytes = withProof(s.bytes, proofCbor(a, b, path));
      return one(
        'verifyConsistencyReceipt',
        () => verifyConsistencyReceipt(bytes, { key: KEY, oldSize: old.size, oldRoot: old.root }),
        (r) => {
          const pristine = a === s.m && b === s.n && path.length === T.consistencyProof(s.m, s.n).length && path.every((h, i) => eq(h, T.consistencyProof(s.m, s.n)[i])) && old.size === s.m && eq(old.root, T.root(s.m));
          if (pristine && !r.ok) return `the genuine receipt failed: ${r.code}`;
          return receiptTruth(s.n, old.size, old.root, r);
        },
      );
    }, 4 * RUNS);
    expectBothOutcomes('verifyConsistencyReceipt');
  });

  it('F-7 (fixed): a consistency receipt whose unsigned new size was changed never reports that size as authenticated', () => {
    // receipts[1] is 4 -> 7: the one-hash path also hashes to the signed root for sizes 5, 6 and 8.
    const { bytes } = receipts[1]!;
    const forged = withProof(bytes, proofCbor(4, 8, T.consistencyProof(4, 7)));
    const r = verifyConsistencyReceipt(forged, { key: KEY, oldSize: 4, oldRoot: T.root(4) });
    // What a fix must give: no ok report that names size 8 as if the log had signed it (an
    // `ok: false`, or a flag saying the size is unauthenticated, as F-3's `sizeAuthenticated`).
    expect(r.ok && r.treeSize === 8 && r.sizeAuthenticated !== false).toBe(false);
  });

  it('checkpoint consistency: checkpoints, proofs and keys mutated', async () => {
    const pairArb = fc.tuple(cpArb, cpArb).map(([x, y]) => (x.size <= y.size ? [x, y] : [y, x]) as [Cp, Cp]);
    const textMut = (t: string) =>
      fc.oneof(
        fc.constant(t),
        fc.tuple(fc.nat({ max: t.length - 1 }), fc.integer({ min: 1, max: 127 })).map(([i, c]) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ c) + t.slice(i + 1)),
        fc.nat({ max: t.length }).map((i) => t.slice(0, i)),
        fc.constantFrom(t.replace(/\n\n[\s\S]*$/, '\n\n'), t + t, t.replace(`\n${ORIGIN}\n`, '\n'), t.split('\n').reverse().join('\n')),
      );
    const arb = pairArb.chain(([o, n]) => {
      const real = o.tree === n.tree && o.size > 0 ? TREES[o.tree].consistencyProof(o.size, n.size) : o.size > 0 ? T.consistencyProof(o.size, n.size) : [];
      return fc.record({
        o: fc.constant(o),
        n: fc.constant(n),
        oldText: fc.oneof({ weight: 4, arbitrary: fc.constant(o.text) }, { weight: 1, arbitrary: textMut(o.text) }),
        newText: fc.oneof({ weight: 4, arbitrary: fc.constant(n.text) }, { weight: 1, arbitrary: textMut(n.text) }),
        swap: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        real: fc.constant(real),
        proof: fc.oneof({ weight: 2, arbitrary: fc.constant(real) }, { weight: 3, arbitrary: proofMutation(real) }),
        keys: fc.constantFrom<'policy' | 'vkey' | 'wrong' | 'quorum2'>('policy', 'policy', 'vkey', 'wrong', 'quorum2'),
        origin: fc.constantFrom(ORIGIN, ORIGIN, ORIGIN, 'other.example/log'),
      });
    });
    await check('verifyCheckpointConsistency', arb, ({ o, n, oldText, newText, swap, real, proof, keys, origin }) => {
      const newT = origin === ORIGIN ? newText : checkpoint(n.tree, n.size, origin);
      const [x, y] = swap ? [newT, oldText] : [oldText, newT];
      const k =
        keys === 'policy' ? POLICY : keys === 'vkey' ? [VKEY] : keys === 'wrong' ? [formatVerifierKey(otherSigner)] : { ...POLICY, witnesses: [...POLICY.witnesses, formatVerifierKey(noteSigner('w2.example', SigningKey.fromSecret(new Uint8Array(32).fill(45)), NOTE_TYPE_COSIGNATURE))], quorum: 2 };
      return one(
        'verifyCheckpointConsistency',
        () => verifyCheckpointConsistency(x, y, proof, k),
        (r) => {
          if (!r.ok) {
            const pristine = !swap && oldText === o.text && newText === n.text && origin === ORIGIN && (keys === 'policy' || keys === 'vkey') && o.tree === n.tree && proof.length === real.length && proof.every((h, i) => eq(h, real[i]));
            return pristine ? `a genuine pair failed: ${r.code}` : undefined;
          }
          if (keys === 'wrong' || keys === 'quorum2') return 'verified under keys that never signed';
          const a = r.old;
          const b = r.new;
          if (a === undefined || b === undefined) return 'ok report without both checkpoints';
          if (a.origin !== ORIGIN || b.origin !== ORIGIN) return 'verified a checkpoint of another origin';
          if (a.size > b.size) return 'verified an old checkpoint larger than the new one';
          const common = [...headOf(a.size, a.root)].filter((t) => headOf(b.size, b.root).has(t));
          if (common.length === 0) return `verified ${a.size} -> ${b.size} across a fork or with a root that is no tree head`;
          return undefined;
        },
      );
    }, 4 * RUNS);
    expectBothOutcomes('verifyCheckpointConsistency');
  });

  it('checkpoint consistency: a fork at equal size, swapped checkpoints, the empty old tree', () => {
    const p = (t: 0 | 1, s: number) => checkpoint(t, s);
    // Same size, different roots: a fork, ERR_CONSISTENCY (not ok, not a throw).
    expect(verifyCheckpointConsistency(p(0, 20), p(1, 20), [], POLICY).code).toBe('ERR_CONSISTENCY');
    // The fork's later tree with the real proof of T: never consistent.
    expect(verifyCheckpointConsistency(p(0, 14), p(1, 41), T.consistencyProof(14, 41), POLICY).ok).toBe(false);
    expect(verifyCheckpointConsistency(p(1, 14), p(0, 41), F.consistencyProof(14, 41), POLICY).ok).toBe(false);
    // Before the fork both logs agree, so either proof verifies.
    expect(verifyCheckpointConsistency(p(0, 13), p(1, 41), F.consistencyProof(13, 41), POLICY).ok).toBe(true);
    // Swapped: old larger than new.
    expect(verifyCheckpointConsistency(p(0, 41), p(0, 20), T.consistencyProof(20, 41), POLICY).code).toBe('ERR_CONSISTENCY');
    // The empty tree is extended by everything, with no proof needed; a proof given anyway is not
    // looked at (documented: "nothing to prove"), so it cannot make a false claim verify.
    expect(verifyCheckpointConsistency(p(0, 0), p(1, 41), [], POLICY).ok).toBe(true);
    const withJunk = verifyCheckpointConsistency(p(0, 0), p(1, 41), [new Uint8Array(32)], POLICY);
    expect([withJunk.ok, withJunk.old?.size, withJunk.new?.size]).toEqual([true, 0, 41]);
    counters.cases += 7;
  });

  it('subtree inclusion: leaf, index, bounds, proof and root mutated', async () => {
    const base = fc.constantFrom(...alignedSubtrees(N)).chain(([s, e]) => fc.tuple(fc.constant(s), fc.constant(e), fc.integer({ min: s, max: e - 1 }), fc.constantFrom<0 | 1>(0, 1)));
    const arb = base.chain(([s, e, i, t]) => {
      const tree = TREES[t];
      const proof = proveSubtreeInclusion(tree, i, s, e);
      const root = mth(tree, s, e)!;
      return fc.record({
        real: fc.constant({ s, e, i, t }),
        leaf: fc.oneof({ weight: 4, arbitrary: fc.constant(tree.leafHashAt(i)) }, { weight: 1, arbitrary: fc.nat({ max: N - 1 }).map((k) => TREES[(k % 2) as 0 | 1].leafHashAt(k)) }, { weight: 1, arbitrary: fc.constantFrom(...REAL_LIST) }),
        index: fc.oneof({ weight: 4, arbitrary: fc.constant(i) }, { weight: 1, arbitrary: numArb(i, s) }),
        start: fc.oneof({ weight: 4, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: numArb(s, e) }),
        end: fc.oneof({ weight: 4, arbitrary: fc.constant(e) }, { weight: 1, arbitrary: numArb(e, s) }),
        proof: fc.oneof({ weight: 2, arbitrary: fc.constant(proof) }, { weight: 3, arbitrary: proofMutation(proof) }, { weight: 1, arbitrary: fc.constant(null) }),
        // Either the root stays, or the whole claim is moved to another real subtree (premise true).
        root: fc.oneof(
          { weight: 4, arbitrary: fc.constant(root) },
          { weight: 1, arbitrary: fc.constantFrom(...REAL_LIST) },
          { weight: 1, arbitrary: fc.constant(root.slice(0, 31)) },
        ),
        retarget: fc.option(fc.constantFrom(...alignedSubtrees(N)), { freq: 4 }),
        swap: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      });
    });
    await check('verifySubtreeInclusion', arb, (c) => {
      let { start, end, root } = c;
      if (c.swap) [start, end] = [end, start];
      if (c.retarget !== null) {
        [start, end] = c.retarget;
        root = mth(TREES[c.real.t], start, end)!;
      }
      return one(
        'verifySubtreeInclusion',
        () => verifySubtreeInclusion(c.leaf, c.index, start, end, c.proof, root),
        (r) => {
          const pristine = c.retarget === null && c.index === c.real.i && start === c.real.s && end === c.real.e && eq(root, mth(TREES[c.real.t], c.real.s, c.real.e)) && eq(c.leaf, TREES[c.real.t].leafHashAt(c.real.i)) && c.proof !== null && c.proof.length === proveSubtreeInclusion(TREES[c.real.t], c.real.i, c.real.s, c.real.e).length && c.proof.every((h, k) => eq(h, proveSubtreeInclusion(TREES[c.real.t], c.real.i, c.real.s, c.real.e)[k]));
          if (!r.ok) return pristine ? `a genuine subtree inclusion proof failed: ${r.code}` : undefined;
          let premise = false;
          for (const tree of TREES) {
            if (!eq(root, mth(tree, start, end))) continue;
            premise = true;
            if (!(Number.isSafeInteger(c.index) && c.index >= start && c.index < end && eq(c.leaf, tree.leafHashAt(c.index)))) return `verified leaf ${hex(c.leaf).slice(0, 8)} at ${c.index} in [${start}, ${end}) where it is not`;
          }
          if (!premise && !(isReal(root) && isReal(c.leaf))) return 'verified with a fabricated hash';
          return undefined;
        },
      );
    }, 4 * RUNS);
    expectBothOutcomes('verifySubtreeInclusion');
  });

  it('subtree consistency: bounds, size, proof, subtree hash and root mutated', async () => {
    const SIZES = [1, 2, 3, 5, 7, 8, 13, 14, 16, 20, 33, 41];
    const base = fc.constantFrom(...SIZES).chain((size) => fc.tuple(fc.constant(size), fc.constantFrom(...alignedSubtrees(size)), fc.constantFrom<0 | 1>(0, 1)));
    const arb = base.chain(([size, [s, e], t]) => {
      const tree = TREES[t];
      const proof = proveSubtreeConsistency(tree, s, e, size);
      return fc.record({
        real: fc.constant({ size, s, e, t }),
        start: fc.oneof({ weight: 4, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: numArb(s, e) }),
        end: fc.oneof({ weight: 4, arbitrary: fc.constant(e) }, { weight: 1, arbitrary: numArb(e, s) }),
        size: fc.oneof({ weight: 4, arbitrary: fc.constant(size) }, { weight: 1, arbitrary: numArb(size, e) }),
        proof: fc.oneof({ weight: 2, arbitrary: fc.constant(proof) }, { weight: 3, arbitrary: proofMutation(proof) }, { weight: 1, arbitrary: fc.constant(null) }),
        sub: fc.oneof({ weight: 4, arbitrary: fc.constant(mth(tree, s, e)!) }, { weight: 1, arbitrary: fc.constantFrom(...REAL_LIST) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 31, maxLength: 33 }) }),
        root: fc.oneof({ weight: 4, arbitrary: fc.constant(tree.root(size)) }, { weight: 1, arbitrary: fc.constantFrom(...REAL_LIST) }),
        // Move the claim to another real tree head (premise true), keeping the proof.
        retarget: fc.option(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.integer({ min: 1, max: N })), { freq: 4 }),
        swap: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      });
    });
    await check('verifySubtreeConsistency', arb, (c) => {
      let { size, root } = c;
      const [start, end] = c.swap ? [c.end, c.start] : [c.start, c.end];
      if (c.retarget !== null) {
        size = c.retarget[1];
        root = TREES[c.retarget[0]].root(size);
      }
      return one(
        'verifySubtreeConsistency',
        () => verifySubtreeConsistency(start, end, size, c.proof, c.sub, root),
        (r) => {
          const real = c.real;
          const genuine = proveSubtreeConsistency(TREES[real.t], real.s, real.e, real.size);
          const pristine = c.retarget === null && start === real.s && end === real.e && size === real.size && eq(c.sub, mth(TREES[real.t], real.s, real.e)) && eq(root, TREES[real.t].root(real.size)) && c.proof !== null && c.proof.length === genuine.length && c.proof.every((h, k) => eq(h, genuine[k]));
          if (!r.ok) return pristine ? `a genuine subtree consistency proof failed: ${r.code}` : undefined;
          // The empty subtree is part of every tree (as in the Go reference, the root is not looked at).
          if (start === end) return eq(c.sub, EMPTY) && (c.proof ?? []).length === 0 && Number.isSafeInteger(end) && end <= size ? undefined : 'verified an empty subtree with a hash, a proof or a position it cannot have';
          let premise = false;
          for (const tree of TREES) {
            if (!(Number.isSafeInteger(size) && size >= 0 && size <= N && eq(root, tree.root(size)))) continue;
            premise = true;
            if (!(aligned(start, end) && end <= size && eq(c.sub, mth(tree, start, end)))) return `verified [${start}, ${end}) with hash ${hex(c.sub).slice(0, 8)} inside the tree of ${size} where it is not`;
          }
          if (!premise && !(isReal(root) && isReal(c.sub))) return 'verified with a fabricated hash';
          return undefined;
        },
      );
    }, 4 * RUNS);
    expectBothOutcomes('verifySubtreeConsistency');
  });

  it('the valid transparency-dev subtree vectors (Go reference): a changed hash never verifies', async () => {
    const VEC = new URL('../vectors/merkle/testdata/', import.meta.url).pathname;
    const load = (kind: string) =>
      readdirSync(VEC + kind, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(VEC + kind + '/' + f, 'utf8')) as Record<string, unknown>)
        .filter((v) => v.wantErr === false);
    const b64 = (x: unknown) => (typeof x === 'string' ? new Uint8Array(Buffer.from(x, 'base64')) : new Uint8Array(0));
    const proofOf = (p: unknown) => (Array.isArray(p) ? p.map(b64) : []);
    const inc = load('subtreeinclusion');
    const con = load('subtreeconsistency');
    expect(inc.length).toBeGreaterThan(10);
    expect(con.length).toBeGreaterThan(10);
    const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]) => a.length === b.length && a.every((h, i) => h instanceof Uint8Array && eq(h, b[i]));
    const flipOne = (h: Uint8Array) => fc.nat({ max: Math.max(0, h.length * 8 - 1) }).map((bit) => {
      const o = h.slice();
      if (o.length > 0) o[bit >> 3]! ^= 1 << (bit & 7);
      return o;
    });
    // Every valid vector as published first: each must verify, and the outcome counts checked
    // below then never depend on how many unchanged cases the random draws happened to make.
    for (const v of inc) {
      const f = await one('vectors: verifySubtreeInclusion', () => verifySubtreeInclusion(b64(v.leafHash), v.leafIdx as number, v.start as number, v.end as number, proofOf(v.proof), b64(v.root)), (r) => (r.ok ? undefined : `a valid vector failed: ${r.code}`));
      expect(f).toBeUndefined();
    }
    for (const v of con) {
      const f = await one('vectors: verifySubtreeConsistency', () => verifySubtreeConsistency(v.start as number, v.end as number, v.size as number, proofOf(v.proof), b64(v.root1), b64(v.root2)), (r) => (r.ok ? undefined : `a valid vector failed: ${r.code}`));
      expect(f).toBeUndefined();
    }
    const arbInc = fc.constantFrom(...inc).chain((v) => {
      const proof = proofOf(v.proof);
      return fc.record({ v: fc.constant(v), proof: proofMutation(proof), leaf: fc.oneof(fc.constant(b64(v.leafHash)), flipOne(b64(v.leafHash))), root: fc.oneof(fc.constant(b64(v.root)), flipOne(b64(v.root))) });
    });
    await check('transparency-dev subtree inclusion', arbInc, ({ v, proof, leaf, root }) =>
      one(
        'vectors: verifySubtreeInclusion',
        () => verifySubtreeInclusion(leaf, v.leafIdx as number, v.start as number, v.end as number, proof, root),
        (r) => {
          const unchanged = same(proof, proofOf(v.proof)) && eq(leaf, b64(v.leafHash)) && eq(root, b64(v.root));
          if (unchanged && !r.ok) return `a valid vector failed: ${r.code}`;
          // With no proof hash the claim is "this one-leaf subtree hashes to itself": a leaf and a
          // root changed alike still state a true fact (no hashing is involved to break).
          const selfEvident = proof.length === 0 && eq(leaf, root);
          return r.ok && !unchanged && !selfEvident ? 'a changed subtree inclusion proof verified' : undefined;
        },
      ),
    );
    const arbCon = fc.constantFrom(...con).chain((v) => {
      const proof = proofOf(v.proof);
      return fc.record({ v: fc.constant(v), proof: proofMutation(proof), sub: fc.oneof(fc.constant(b64(v.root1)), flipOne(b64(v.root1))), root: fc.oneof(fc.constant(b64(v.root2)), flipOne(b64(v.root2))) });
    });
    await check('transparency-dev subtree consistency', arbCon, ({ v, proof, sub, root }) =>
      one(
        'vectors: verifySubtreeConsistency',
        () => verifySubtreeConsistency(v.start as number, v.end as number, v.size as number, proof, sub, root),
        (r) => {
          // An empty subtree is part of every tree: the reference never looks at the tree root then.
          const unchanged = same(proof, proofOf(v.proof)) && eq(sub, b64(v.root1)) && (eq(root, b64(v.root2)) || v.start === v.end);
          if (unchanged && !r.ok) return `a valid vector failed: ${r.code}`;
          // Likewise the whole tree as its own subtree: subtree hash = root, no proof hash.
          const selfEvident = proof.length === 0 && eq(sub, root) && v.start === 0 && v.end === v.size;
          return r.ok && !unchanged && !selfEvident ? 'a changed subtree consistency proof verified' : undefined;
        },
      ),
    );
    expectBothOutcomes('vectors: verifySubtreeInclusion');
    expectBothOutcomes('vectors: verifySubtreeConsistency');
  });

  it('samples issued by the log store (openLog): its consistency receipt and checkpoint pair under byte and text mutations', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'custos-lp-'));
    try {
      const storeKey = SigningKey.fromSecret(new Uint8Array(32).fill(47));
      const origin = 'store.example/custos-proofs';
      const log = await openLog(join(tmp, 'log'), { signer: storeKey, origin });
      for (let i = 0; i < 11; i++) await log.append(utf8(`store entry ${i}`));
      await log.checkpoint();
      for (let i = 11; i < 29; i++) await log.append(utf8(`store entry ${i}`));
      const b = await log.proveConsistency(11);
      const receipt = await log.consistencyReceipt(11);
      await log.close();
      const vkey = formatVerifierKey(noteSigner(origin, storeKey));
      const key = { alg: 'EdDSA' as const, publicKey: storeKey.publicKey };
      const good = verifyCheckpointConsistency(b.oldCheckpoint, b.newCheckpoint, b.proof, [vkey]);
      expect(good.ok).toBe(true);
      const oldCp = good.old!;
      const newCp = good.new!;
      expect([oldCp.size, newCp.size]).toEqual([11, 29]);
      expect(verifyConsistencyReceipt(receipt, { key, oldSize: 11, oldRoot: oldCp.root }).ok).toBe(true);

      const receiptT: Target<ReceiptReport> = {
        name: 'store consistency receipt 11->29',
        samples: [receipt],
        run: (x) => verifyConsistencyReceipt(x, { key, oldSize: 11, oldRoot: oldCp.root }),
        oracle: (x, r) => {
          const shape = reportShape(r);
          if (shape !== undefined) return shape;
          if (eq(x, receipt)) return r.ok ? undefined : 'the genuine receipt failed';
          if (!r.ok) return undefined;
          if (!eq(r.root, newCp.root)) return 'verified with a root the store never signed';
          if (r.treeSize !== 29 && r.sizeAuthenticated !== false) {
            f7Hits++;
            return `F-7: ok with treeSize ${r.treeSize}`;
          }
          return undefined;
        },
      };
      await fuzz(receiptT, { runs: RUNS });
      // The new checkpoint as hostile text, the old one and the proof genuine.
      const cpT: Target<LogReport & { new?: { size: number; root: Uint8Array } }> = {
        name: 'store checkpoint pair 11->29 (new checkpoint mutated)',
        samples: [utf8(b.newCheckpoint)],
        text: true,
        run: (x) => verifyCheckpointConsistency(b.oldCheckpoint, x, b.proof, [vkey]),
        oracle: (_x, r) => reportShape(r) ?? (r.ok && !(r.new?.size === 29 && eq(r.new.root, newCp.root)) ? 'verified a new checkpoint the store never signed' : undefined),
      };
      await fuzz(cpT, { runs: RUNS });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('an inclusion receipt is never accepted as a consistency receipt, nor one from another key', () => {
    const inc = issueInclusionReceipt({ index: 3, size: 7, proof: T.inclusionProof(3, 7), root: T.root(7) }, logKey);
    expect(verifyConsistencyReceipt(inc, { key: KEY, oldSize: 3, oldRoot: T.root(3) }).code).toBe('ERR_RECEIPT_MALFORMED');
    const other = SigningKey.fromSecret(new Uint8Array(32).fill(46));
    const r = verifyConsistencyReceipt(issueConsistencyReceipt({ oldSize: 4, newSize: 7, proof: T.consistencyProof(4, 7), newRoot: T.root(7) }, other), { key: KEY, oldSize: 4, oldRoot: T.root(4) });
    expect(r.code).toBe('ERR_RECEIPT_INVALID');
    counters.cases += 2;
  });
});
