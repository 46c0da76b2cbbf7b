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
 * Positions. The compact algorithm tracks (level ℓ, fn, sn = (size − 1) >> ℓ). A node with
 * fn < sn is the perfect subtree (ℓ, fn); the last node of a level (fn = sn) covers
 * [fn·2^ℓ, size), which may be imperfect and is the same node on every level the algorithm climbs
 * through unchanged, so it is keyed by its start alone. The two key spaces cannot meet: a perfect
 * node ending at `size` is the last node of its level.
 *
 * Memory. The memo holds at most `maxNodes` hashes (default {@link INCLUSION_MEMO_MAX_NODES}) in
 * one buffer of 32 bytes per node plus one map entry each. Only proofs that verified add nodes.
 * When it is full, every node below a level chosen at creation is dropped; the levels above it
 * (at most half the budget) and the right edge stay. Dropping proven nodes never changes an answer,
 * only how many hashes later proofs compute, so hostile input can cost time but not memory.
 */
import { assertBytes, assertInteger, equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { HASH_SIZE, NOT_ROOT, OK, bad, hashPair, inclusionShape, type ProofCheck } from './merkle.js';

/** Default bound on the nodes an {@link InclusionVerifier} keeps: 262,144 (8 MiB of hashes). */
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
  /** Nodes held now (the root included). */
  readonly nodes: number;
  /** Times the lower levels were dropped because the memo was full. */
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

const EDGE = -1;
const NO_SLOT = -1;
/** Longest proof for a safe-integer size: 53 inner levels at most, plus border nodes. */
const MAX_PENDING = 2 * 64 + 2;

class BatchVerifier implements InclusionVerifier {
  readonly size: number;
  readonly #root: Uint8Array;
  readonly #max: number;
  /** Levels below this are dropped when the memo is full. */
  readonly #keepLevel: number;
  #slab: Uint8Array;
  #used = 0;
  readonly #free: number[] = [];
  /** Perfect subtrees: levels[ℓ] maps the index at level ℓ to a slot. */
  readonly #levels: Map<number, number>[] = Array.from({ length: 64 }, () => new Map());
  /** Last node of each level ([start, size)), by start. */
  readonly #edge = new Map<number, number>();
  // Nodes of the proof being checked that the memo lacks; stored only if it verifies.
  readonly #pendLevel = new Array<number>(MAX_PENDING).fill(0);
  readonly #pendKey = new Array<number>(MAX_PENDING).fill(0);
  readonly #pendVal = new Array<Uint8Array>(MAX_PENDING);
  #pending = 0;
  #accepted = 0;
  #rejected = 0;
  #hashes = 0;
  #evictions = 0;

  constructor(size: number, root: Uint8Array, maxNodes: number) {
    this.size = size;
    this.#root = root;
    this.#max = maxNodes;
    this.#slab = new Uint8Array(Math.min(maxNodes, 4096) * HASH_SIZE);
    this.#keepLevel = keepLevel(size, maxNodes);
    // The root is the last node of the top level: proven by definition.
    if (root.length === HASH_SIZE && Number.isSafeInteger(size) && size > 0) this.#store(EDGE, 0, root);
  }

  get root(): Uint8Array {
    return this.#root.slice();
  }

  stats(): InclusionVerifierStats {
    return { accepted: this.#accepted, rejected: this.#rejected, hashes: this.#hashes, nodes: this.#used - this.#free.length, evictions: this.#evictions };
  }

  verify(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): ProofCheck {
    assertBytes('leaf', leaf);
    const shape = inclusionShape(leaf, index, this.size, proof, this.#root);
    if (shape) {
      this.#rejected++;
      return shape;
    }
    this.#pending = 0;
    const r = this.#walk(leaf, index, proof);
    if (!r) {
      this.#rejected++;
      return bad('ERR_PROOF_INVALID', NOT_ROOT);
    }
    for (let i = 0; i < this.#pending; i++) this.#store(this.#pendLevel[i]!, this.#pendKey[i]!, this.#pendVal[i]!);
    this.#pendVal.fill(undefined as never, 0, this.#pending);
    this.#accepted++;
    return OK;
  }

  /** RFC 9162 §2.1.3.2 over a proof of the right shape, short-cut by the memo; true if it reaches the root. */
  #walk(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): boolean {
    const slab = this.#slab;
    let fn = index;
    let sn = this.size - 1;
    let level = 0;
    let scale = 1; // 2^level, so fn·scale is the first leaf under the current node
    let r: Uint8Array | null = leaf; // the current node's bytes, null while it is a memo slot
    let rSlot = NO_SLOT; // the memo slot holding the current node's proven value, if any
    let rLooked = false; // the current position was already looked up (and missed)
    for (let k = 0; k < proof.length; k++) {
      const p = proof[k]!;
      if (rSlot === NO_SLOT) {
        const s = rLooked ? NO_SLOT : this.#find(level, fn, sn, scale);
        if (s !== NO_SLOT) {
          if (!equalAt(r!, slab, s)) return false;
          rSlot = s;
        } else this.#pend(fn === sn ? EDGE : level, fn === sn ? fn * scale : fn, r!);
      }
      let pSlot: number;
      let pLeft: boolean;
      if (fn % 2 === 1 || fn === sn) {
        // Last node of its level and a left child: it climbs unchanged until it is a right child
        // (the exact proof length guarantees fn ≠ 0 here). Its key, the start, does not change.
        while (fn % 2 === 0) {
          fn /= 2;
          sn = fn;
          level++;
          scale *= 2;
        }
        pSlot = this.#levels[level]!.get(fn - 1) ?? NO_SLOT;
        if (pSlot === NO_SLOT) this.#pend(level, fn - 1, p);
        pLeft = true;
      } else {
        pSlot = this.#find(level, fn + 1, sn, scale);
        if (pSlot === NO_SLOT) this.#pend(fn + 1 === sn ? EDGE : level, fn + 1 === sn ? (fn + 1) * scale : fn + 1, p);
        pLeft = false;
      }
      if (pSlot !== NO_SLOT && !equalAt(p, slab, pSlot)) return false;
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      level++;
      scale *= 2;
      rLooked = false;
      if (rSlot !== NO_SLOT && pSlot !== NO_SLOT) {
        // Both children proven: so is their parent, if the memo still holds it.
        const s = this.#find(level, fn, sn, scale);
        if (s !== NO_SLOT) {
          rSlot = s;
          r = null;
          continue;
        }
        rLooked = true;
      }
      const rb: Uint8Array = r ?? slab.subarray(rSlot * HASH_SIZE, (rSlot + 1) * HASH_SIZE);
      r = pLeft ? hashPair(p, rb) : hashPair(rb, p);
      this.#hashes++;
      rSlot = NO_SLOT;
    }
    // The last position is the root's ([0, size)): a slot found there is the root's own.
    return rSlot !== NO_SLOT || equalBytes(r!, this.#root);
  }

  #find(level: number, j: number, last: number, scale: number): number {
    return (j === last ? this.#edge.get(j * scale) : this.#levels[level]!.get(j)) ?? NO_SLOT;
  }

  #pend(level: number, key: number, value: Uint8Array): void {
    const i = this.#pending++;
    this.#pendLevel[i] = level;
    this.#pendKey[i] = key;
    this.#pendVal[i] = value;
  }

  /** Copies a proven node into the memo (never a reference to the caller's array). */
  #store(level: number, key: number, value: Uint8Array): void {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#used === this.#max) {
        this.#evict();
        slot = this.#free.pop();
        if (slot === undefined) return; // nothing below the kept levels: keep the memo as it is
      } else {
        slot = this.#used++;
        if ((slot + 1) * HASH_SIZE > this.#slab.length) {
          const next = new Uint8Array(Math.min(this.#max, 2 * (this.#slab.length / HASH_SIZE)) * HASH_SIZE);
          next.set(this.#slab);
          this.#slab = next;
        }
      }
    }
    this.#slab.set(value, slot * HASH_SIZE);
    (level === EDGE ? this.#edge : this.#levels[level]!).set(key, slot);
  }

  /** Drops every perfect node below the kept levels (at least half the budget: see keepLevel). */
  #evict(): void {
    this.#evictions++;
    for (let l = 0; l < this.#keepLevel; l++) {
      const m = this.#levels[l]!;
      for (const s of m.values()) this.#free.push(s);
      m.clear();
    }
  }
}

/**
 * The lowest level L such that every perfect node at levels ≥ L, plus the right edge (one node a
 * level), fits in half of `maxNodes`: those survive eviction, and an eviction frees the other half.
 */
function keepLevel(size: number, maxNodes: number): number {
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  for (let l = 0; l < 64; l++) {
    let nodes = 64; // the right edge
    for (let n = Math.floor(size / 2 ** l); n >= 1; n = Math.floor(n / 2)) nodes += n;
    if (nodes <= maxNodes / 2) return l;
  }
  return 64;
}

/** Constant-time comparison of a 32-byte hash with the slab's slot (as equalBytes, without a view). */
function equalAt(a: Uint8Array, slab: Uint8Array, slot: number): boolean {
  const o = slot * HASH_SIZE;
  let d = 0;
  for (let i = 0; i < HASH_SIZE; i++) d |= a[i]! ^ slab[o + i]!;
  return d === 0;
}
