/**
 * Batch verification of inclusion proofs against one tree head (RFC 9162 §2.1.3.2): the
 * auditor's workflow, where every receipt of a case, or every entry of a log, is checked against
 * one checkpoint.
 *
 * Why it is sound. A proof that verified fixes the value of every node on its path and of every
 * sibling it supplied: any other value at one of those positions could lead to the same root only
 * through a SHA-256 collision. The verifier keeps these proven values (the memo) and, for each new
 * proof, walks up from the leaf exactly as RFC 9162 does, but
 * - when a node it holds is at the current position, the computed node (or the supplied sibling)
 *   must equal it byte for byte: if it does not, the full computation could only reach the root
 *   through a collision, so the proof is rejected (ERR_PROOF_INVALID) without hashing further;
 * - when the current node and its sibling both equal proven values and their parent is proven
 *   too, the parent is taken from the memo instead of hashed.
 * So every remaining proof hash is still compared (a byte comparison), and a proof is accepted
 * only if it reaches the root. The answer is the one {@link verifyInclusion} gives for every input
 * (a shared shape check gives the same codes for malformed input), except where SHA-256 collides.
 *
 * Positions. The compact algorithm tracks (level ℓ, fn, sn = (size − 1) >> ℓ). Every node is
 * keyed by its height h = ⌈log2(leaves under it)⌉ and j = its first leaf / 2^h: a perfect subtree
 * (ℓ, fn) with fn < sn is (ℓ, fn); the last node of a level covers [fn·2^ℓ, size), may be
 * imperfect, and is the same node on every level the algorithm climbs through unchanged, so its
 * key comes from its range. A key names one range, so a proven value is only ever compared at
 * the position it was proven for.
 *
 * Memory. The memo holds at most `maxNodes` hashes (default {@link INCLUSION_MEMO_MAX_NODES}),
 * allocated at creation: 32 bytes a node in the upper levels, 41 in the cache, so at most 10.25 MiB
 * at the default (measured: 7.95 MiB for 1,000,000 entries, 9.1 MiB at worst, 60 KiB for 1,000
 * entries). The upper levels, from the lowest level at which all of them fit in the budget less
 * 1/64 of it (at least 1,024 nodes), have a fixed place each and are never dropped: every proof
 * passes through them. The lower levels share a direct-mapped cache of the rest (a power of two),
 * where a new node replaces the one at its place: it serves proofs of nearby leaves, as in an
 * audit in index order; at random positions the lower levels are rarely shared anyway.
 * Only proofs that verified store nodes. Losing a proven node never changes an answer, only how
 * many hashes later proofs compute, so hostile input can cost time but not memory.
 */
import { assertBytes, assertInteger, equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { NOT_ROOT, OK, bad, hashPair, inclusionShape, type ProofCheck } from './merkle.js';

/** Default bound on the nodes an {@link InclusionVerifier} keeps: 262,144 (at most 10.25 MiB). */
export const INCLUSION_MEMO_MAX_NODES = 1 << 18;

export interface InclusionVerifierOptions {
  /** Most nodes kept (256 … 2^24; default {@link INCLUSION_MEMO_MAX_NODES}). */
  readonly maxNodes?: number;
}

/** Counters of an {@link InclusionVerifier}, for auditing its work and for benchmarks. */
export interface InclusionVerifierStats {
  /** Proofs that verified. */
  readonly accepted: number;
  /** Proofs rejected (any code). */
  readonly rejected: number;
  /** SHA-256 node hashes computed in all. */
  readonly hashes: number;
  /** Proven nodes held now (the root included). */
  readonly nodes: number;
  /** Proven nodes of the lower levels replaced in the cache by newer ones. */
  readonly evictions: number;
}

/** Verifies many inclusion proofs against one tree head; see {@link createInclusionVerifier}. */
export interface InclusionVerifier {
  readonly size: number;
  /** A copy of the root. */
  readonly root: Uint8Array;
  /** The same answer as `verifyInclusion(leaf, index, size, proof, root)`. */
  verify(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): ProofCheck;
  stats(): InclusionVerifierStats;
}

/**
 * A verifier for many inclusion proofs against the tree of `size` leaves with root `root`. Each
 * `verify` gives the result {@link verifyInclusion} gives for the same arguments (same codes, for
 * malformed input too), but re-uses the nodes earlier proofs proved, so proofs of nearby leaves,
 * or of leaves in any order once the upper levels are known, cost far fewer hashes. It throws only
 * on misuse, as verifyInclusion does: a root that is not a Uint8Array or a size that is not a
 * number (here at creation).
 *
 * @example
 * ```ts
 * const v = createInclusionVerifier(checkpoint.size, checkpoint.root);
 * for (const r of receipts) {
 *   const check = v.verify(leafHash(r.entry), r.index, r.proof);
 *   if (!check.ok) console.log(r.index, check.code);
 * }
 * ```
 */
export function createInclusionVerifier(size: number, root: Uint8Array, options: InclusionVerifierOptions = {}): InclusionVerifier {
  assertBytes('root', root);
  if (typeof size !== 'number') fail('ERR_INVALID_ARGUMENT', 'tree sizes and indices must be numbers');
  const maxNodes = assertInteger('maxNodes', options.maxNodes ?? INCLUSION_MEMO_MAX_NODES, 256, 1 << 24);
  return new BatchVerifier(size, root.slice(), maxNodes);
}

// Local names for the hot loop: a loader may turn imported bindings into getter calls (tsx does),
// which cost more than the byte comparisons they guard.
const HS = 32; // HASH_SIZE (SHA-256)
const hash2 = hashPair;
const NO_SLOT = -1;
/** Longest proof for a safe-integer size: 53 inner levels at most, plus border nodes. */
const MAX_PENDING = 2 * 64 + 2;
const TWO32 = 2 ** 32;

class BatchVerifier implements InclusionVerifier {
  readonly size: number;
  readonly #root: Uint8Array;
  /** Levels ≥ this have a fixed place per node (`#base[ℓ] + j`); lower ones use the cache. */
  readonly #dense: number;
  readonly #base: number[] = [];
  readonly #denseCount: number;
  /** Cache of the lower levels: `#cacheLevel[c]` (−1 = empty) and `#cacheIndex[c]` name the node in slot `#denseCount + c`. */
  readonly #cacheLevel: Int8Array;
  readonly #cacheIndex: Float64Array;
  readonly #cacheMask: number;
  readonly #slab: Uint8Array;
  readonly #slab32: Uint32Array;
  #nodes = 0;
  // Nodes of the proof being checked that the memo lacks; stored only if it verifies.
  readonly #pendLevel = new Int8Array(MAX_PENDING);
  readonly #pendIndex = new Float64Array(MAX_PENDING);
  readonly #pendVal = new Array<Uint8Array | undefined>(MAX_PENDING);
  #pending = 0;
  #accepted = 0;
  #rejected = 0;
  #hashes = 0;
  #evictions = 0;

  constructor(size: number, root: Uint8Array, maxNodes: number) {
    this.size = size;
    this.#root = root;
    const valid = root.length === HS && Number.isSafeInteger(size) && size > 0;
    const top = valid ? bitLength(size - 1) : 0; // the root's height
    // The lowest level from which every level up to the root fits in the budget less the cache's
    // share. The cache only needs the recent paths (proofs of nearby leaves), so it gets 1/64.
    const cacheShare = Math.min(maxNodes / 2, Math.max(1024, maxNodes / 64));
    let dense = top;
    let count = 1;
    while (dense > 0 && count + Math.ceil(size / 2 ** (dense - 1)) <= maxNodes - cacheShare) count += Math.ceil(size / 2 ** --dense);
    if (!valid) count = 0;
    this.#dense = dense;
    for (let l = dense, b = 0; valid && l <= top; l++) {
      this.#base[l] = b;
      b += Math.ceil(size / 2 ** l);
    }
    this.#denseCount = count;
    const cache = valid && dense > 0 ? 2 ** Math.floor(Math.log2(maxNodes - count)) : 0;
    this.#cacheMask = cache - 1;
    this.#cacheLevel = new Int8Array(cache).fill(-1);
    this.#cacheIndex = new Float64Array(cache);
    this.#slab = new Uint8Array((count + cache) * HS);
    this.#slab32 = new Uint32Array(this.#slab.buffer);
    // The root is proven by definition.
    if (valid) this.#store(top, 0, root);
  }

  get root(): Uint8Array {
    return this.#root.slice();
  }

  stats(): InclusionVerifierStats {
    return { accepted: this.#accepted, rejected: this.#rejected, hashes: this.#hashes, nodes: this.#nodes, evictions: this.#evictions };
  }

  verify(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): ProofCheck {
    assertBytes('leaf', leaf);
    const shape = inclusionShape(leaf, index, this.size, proof, this.#root);
    if (shape) {
      this.#rejected++;
      return shape;
    }
    this.#pending = 0;
    const ok = this.#walk(leaf, index, proof);
    if (ok) for (let i = 0; i < this.#pending; i++) this.#store(this.#pendLevel[i]!, this.#pendIndex[i]!, this.#pendVal[i]!);
    this.#pendVal.fill(undefined, 0, this.#pending);
    if (!ok) {
      this.#rejected++;
      return bad('ERR_PROOF_INVALID', NOT_ROOT);
    }
    this.#accepted++;
    return OK;
  }

  /** RFC 9162 §2.1.3.2 over a proof of the right shape, short-cut by the memo; true if it reaches the root. */
  #walk(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): boolean {
    const slab = this.#slab;
    const slab32 = this.#slab32;
    let fn = index;
    let sn = this.size - 1;
    let level = 0;
    let scale = 1; // 2^level
    let r: Uint8Array | null = leaf; // the current node's bytes, null while it is a memo slot
    let rSlot = NO_SLOT; // the memo slot holding the current node's proven value, if any
    let rLooked = false; // the current position was already looked up (and missed)
    for (let k = 0; k < proof.length; k++) {
      const p = proof[k]!;
      // A node made by a hash, and the leaf, sit at their own height: (level, fn) is their key.
      if (rSlot === NO_SLOT) {
        const s = rLooked ? NO_SLOT : this.#find(level, fn);
        if (s !== NO_SLOT) {
          if (!equalAt(r!, slab32, s)) return false;
          rSlot = s;
        } else this.#pend(level, fn, r!);
      }
      let pSlot: number;
      let pLeft: boolean;
      if (fn % 2 === 1 || fn === sn) {
        // Last node of its level and a left child: it climbs unchanged until it is a right child
        // (the exact proof length guarantees fn ≠ 0 here).
        while (fn % 2 === 0) {
          fn /= 2;
          sn = fn;
          level++;
          scale *= 2;
        }
        pSlot = this.#find(level, fn - 1);
        if (pSlot === NO_SLOT) this.#pend(level, fn - 1, p);
        pLeft = true;
      } else {
        let pl = level;
        let pj = fn + 1;
        if (pj === sn) {
          // The last node of this level, [pj·2^ℓ, size): keyed at its own height.
          const start = pj * scale;
          pl = bitLength(this.size - start - 1);
          pj = start / 2 ** pl;
        }
        pSlot = this.#find(pl, pj);
        if (pSlot === NO_SLOT) this.#pend(pl, pj, p);
        pLeft = false;
      }
      if (pSlot !== NO_SLOT && !equalAt(p, slab32, pSlot)) return false;
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      level++;
      scale *= 2;
      rLooked = false;
      if (rSlot !== NO_SLOT && pSlot !== NO_SLOT) {
        // Both children proven: so is their parent, if the memo still holds it.
        const s = this.#find(level, fn);
        if (s !== NO_SLOT) {
          rSlot = s;
          r = null;
          continue;
        }
        rLooked = true;
      }
      const rb: Uint8Array = r ?? slab.subarray(rSlot * HS, (rSlot + 1) * HS);
      r = pLeft ? hash2(p, rb) : hash2(rb, p);
      this.#hashes++;
      rSlot = NO_SLOT;
    }
    // The last position is the root's: a slot found there holds the root itself.
    return rSlot !== NO_SLOT || equalBytes(r!, this.#root);
  }

  #find(level: number, j: number): number {
    if (level >= this.#dense) {
      // A fixed place holds its node once it is non-zero (an all-zero hash would only be taken
      // for absent: hashed again, never a different answer).
      const s = this.#base[level]! + j;
      return isZero(this.#slab32, s) ? NO_SLOT : s;
    }
    const c = cacheSlot(level, j, this.#cacheMask);
    return this.#cacheLevel[c] === level && this.#cacheIndex[c] === j ? this.#denseCount + c : NO_SLOT;
  }

  #pend(level: number, j: number, value: Uint8Array): void {
    const i = this.#pending++;
    this.#pendLevel[i] = level;
    this.#pendIndex[i] = j;
    this.#pendVal[i] = value;
  }

  /** Copies a proven node into the memo (never a reference to the caller's array). */
  #store(level: number, j: number, value: Uint8Array): void {
    let s: number;
    if (level >= this.#dense) {
      s = this.#base[level]! + j;
      if (isZero(this.#slab32, s)) this.#nodes++;
    } else {
      const c = cacheSlot(level, j, this.#cacheMask);
      if (this.#cacheLevel[c] === -1) this.#nodes++;
      else this.#evictions++;
      this.#cacheLevel[c] = level;
      this.#cacheIndex[c] = j;
      s = this.#denseCount + c;
    }
    this.#slab.set(value, s * HS);
  }
}

/** The cache place of node (level, j): consecutive nodes of a level get consecutive places. */
function cacheSlot(level: number, j: number, mask: number): number {
  return (Math.imul(level, 0x9e3779b1) + (j >>> 0) + Math.imul(Math.floor(j / TWO32), 0x85ebca77)) & mask;
}

/** Bit length of a safe integer x ≥ 0 (so bitLength(n − 1) = ⌈log2 n⌉ for n ≥ 1). */
function bitLength(x: number): number {
  return x >= TWO32 ? 64 - Math.clz32(Math.floor(x / TWO32)) : 32 - Math.clz32(x);
}

// Comparisons go word by word: the candidate is copied (natively) into an aligned scratch buffer
// and compared with the slab as eight 32-bit words, constant-time as equalBytes is.
const scratch = new Uint32Array(HS / 4);
const scratchBytes = new Uint8Array(scratch.buffer);

function isZero(slab32: Uint32Array, slot: number): boolean {
  const o = slot * (HS / 4);
  return (slab32[o]! | slab32[o + 1]! | slab32[o + 2]! | slab32[o + 3]! | slab32[o + 4]! | slab32[o + 5]! | slab32[o + 6]! | slab32[o + 7]!) === 0;
}

/** Constant-time comparison of a 32-byte hash with the slab's slot (`slab32` views the same memory). */
function equalAt(a: Uint8Array, slab32: Uint32Array, slot: number): boolean {
  scratchBytes.set(a);
  const o = slot * (HS / 4);
  return ((scratch[0]! ^ slab32[o]!) | (scratch[1]! ^ slab32[o + 1]!) | (scratch[2]! ^ slab32[o + 2]!) | (scratch[3]! ^ slab32[o + 3]!) |
    (scratch[4]! ^ slab32[o + 4]!) | (scratch[5]! ^ slab32[o + 5]!) | (scratch[6]! ^ slab32[o + 6]!) | (scratch[7]! ^ slab32[o + 7]!)) === 0;
}
