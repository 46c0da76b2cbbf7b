/**
 * RFC 9162 §2.1 Merkle tree hashing, proof generation and compact proof verification.
 *
 * Hashes: leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right), empty tree =
 * SHA-256(""). Proofs are generated from a {@link HashSource}, a function returning the hash of
 * a *perfect* (complete, aligned) subtree, so a store can serve proofs from tiles or an
 * in-memory index without holding entries. Verification follows the iterative algorithms of
 * RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) and returns a result instead of
 * throwing: proofs come from untrusted parties, so a bad proof is data, not misuse.
 */
import * as crypto from '#crypto';
import { assertBytes, assertInteger, equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { inclusionProofLength, splitPoint } from './pathlength.js';

export { inclusionProofLength, splitPoint };

/** Size of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/**
 * The hash of the perfect subtree at `level` (0 = leaves) with the given `index` at that level,
 * i.e. MTH(D[index·2^level : (index+1)·2^level]). Callers only ask for subtrees that are
 * complete in the tree the proof is for.
 */
export type HashSource = (level: number, index: number) => Uint8Array;

/** The outcome of a proof check: never throws for a bad proof, only for API misuse. */
export type ProofCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED'; readonly reason: string };

/** @internal */
export const OK: ProofCheck = Object.freeze({ ok: true });
/** @internal */
export function bad(code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED', reason: string): ProofCheck {
  return { ok: false, code, reason };
}

const EMPTY_ROOT = crypto.sha256(new Uint8Array(0));
// The hot paths call it through a local name (a loader may make namespace members getters).
const sha256 = crypto.sha256;

/** The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/**
 * The RFC 9162 leaf hash of an entry: SHA-256(0x00 ‖ entry).
 *
 * @example
 * ```ts
 * const h = leafHash(new TextEncoder().encode('one'));
 * ```
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  const e = assertBytes('entry', entry);
  return crypto.createSha256().update(LEAF_PREFIX).update(e).digest();
}
const LEAF_PREFIX = new Uint8Array([0]);

// One scratch buffer for node hashing: hashing is synchronous, so it is never shared.
const nodeBuf = new Uint8Array(1 + 2 * HASH_SIZE);
nodeBuf[0] = 1;

/** The RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) fail('ERR_INVALID_ARGUMENT', 'node children must be 32-byte hashes');
  nodeBuf.set(left, 1);
  nodeBuf.set(right, 1 + HASH_SIZE);
  return crypto.sha256(nodeBuf);
}

/** @internal */
export function isPow2(n: number): boolean {
  if (n <= 0) return false;
  if (n < 0x80000000) return (n & (n - 1)) === 0;
  // Exact for every safe integer: log2 of a power of two is exact in binary floating point.
  return 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * MTH(D[start:end]) from a hash source. `start` must be aligned as RFC 9162's recursion makes
 * it (a multiple of the largest power of two ≤ end − start); perfect aligned ranges are
 * read from the source, others are split at the largest power of two.
 */
export function rangeHash(src: HashSource, start: number, end: number, cache?: RangeCache): Uint8Array {
  const n = end - start;
  if (n <= 0) {
    if (n === 0 && start === 0) return emptyRoot();
    fail('ERR_INVALID_ARGUMENT', `empty or negative range [${start}, ${end})`);
  }
  if (isPow2(n) && start % n === 0) {
    const level = Math.round(Math.log2(n));
    const h = src(level, start / n);
    if (h.length !== HASH_SIZE) fail('ERR_INTERNAL', 'hash source returned a hash of the wrong size');
    return h;
  }
  const key = cache === undefined ? '' : `${start}:${end}`;
  const hit = cache?.get(key);
  if (hit !== undefined) return hit.slice();
  const k = splitPoint(n);
  const h = nodeHash(rangeHash(src, start, start + k, cache), rangeHash(src, start + k, end, cache));
  cache?.set(key, h.slice());
  return h;
}

/**
 * Memo of hashes of non-perfect ranges (the right edge of a tree), keyed `start:end`. Valid for
 * as long as the source's perfect subtrees are (forever, for an append-only tree).
 */
export type RangeCache = Map<string, Uint8Array>;

/** The tree head (root hash) of the first `size` leaves. */
export function treeRoot(src: HashSource, size: number, cache?: RangeCache): Uint8Array {
  assertInteger('size', size);
  return rangeHash(src, 0, size, cache);
}

/** MTH of a list of leaf hashes (small trees, tests, tiles). */
export function rootOfLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  return treeRoot((level, index) => perfectHash(leaves, level, index), leaves.length);
}

function perfectHash(leaves: readonly Uint8Array[], level: number, index: number): Uint8Array {
  if (level === 0) {
    const h = leaves[index];
    if (h === undefined) fail('ERR_INTERNAL', 'leaf index out of range');
    return h;
  }
  return nodeHash(perfectHash(leaves, level - 1, 2 * index), perfectHash(leaves, level - 1, 2 * index + 1));
}

/**
 * The inclusion proof (RFC 9162 §2.1.3.1 PATH) for leaf `index` in the tree of `size` leaves,
 * sibling of the leaf first.
 */
export function inclusionProof(src: HashSource, index: number, size: number, cache?: RangeCache): Uint8Array[] {
  assertInteger('size', size);
  assertInteger('index', index);
  if (index >= size) fail('ERR_INVALID_ARGUMENT', `"index" ${index} is not below the tree size ${size}`);
  const out: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // Walk down from the root, recording the sibling range at each split; reverse at the end.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      out.push(rangeHash(src, start + k, end, cache));
      end = start + k;
    } else {
      out.push(rangeHash(src, start, start + k, cache));
      start += k;
      m -= k;
    }
  }
  return out.reverse();
}

/**
 * The consistency proof (RFC 9162 §2.1.4.1 PROOF) from the tree of `oldSize` leaves to the tree
 * of `newSize` leaves. 0 < oldSize ≤ newSize; equal sizes give the empty proof.
 */
export function consistencyProof(src: HashSource, oldSize: number, newSize: number, cache?: RangeCache): Uint8Array[] {
  assertInteger('oldSize', oldSize, 1);
  assertInteger('newSize', newSize, 1);
  if (oldSize > newSize) fail('ERR_INVALID_ARGUMENT', `"oldSize" ${oldSize} exceeds "newSize" ${newSize}`);
  const out: Uint8Array[] = [];
  let start = 0;
  let end = newSize;
  let m = oldSize;
  let b = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!b) out.push(rangeHash(src, start, end, cache));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      out.push(rangeHash(src, start + k, end, cache));
      end = start + k;
    } else {
      out.push(rangeHash(src, start, start + k, cache));
      start += k;
      m -= k;
      b = false;
    }
  }
  return out.reverse();
}

/** Sizes and indices come from untrusted proofs: out-of-range numbers are a bad proof, not misuse. */
/** @internal */
export function checkSizes(a: number, b: number): ProofCheck | null {
  if (typeof a !== 'number' || typeof b !== 'number') fail('ERR_INVALID_ARGUMENT', 'tree sizes and indices must be numbers');
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) {
    return bad('ERR_PROOF_MALFORMED', 'tree size or index is not an integer in 0..2^53-1');
  }
  return null;
}

/** @internal */
export function checkHashes(proof: readonly Uint8Array[]): ProofCheck | null {
  if (!Array.isArray(proof)) fail('ERR_INVALID_ARGUMENT', '"proof" expected an array of hashes');
  for (let i = 0; i < proof.length; i++) {
    const p: unknown = proof[i];
    if (!(p instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', '"proof" expected an array of Uint8Array');
    if (p.length !== HASH_SIZE) return bad('ERR_PROOF_MALFORMED', 'a proof hash is not 32 bytes');
  }
  return null;
}

/**
 * Every check of an inclusion proof that needs no hashing, in the order {@link verifyInclusion}
 * makes them (the batch verifier shares it, so both give the same code for the same input).
 * `leaf` and `root` are already known to be Uint8Array.
 * @internal
 */
export function inclusionShape(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): ProofCheck | null {
  const sizes = checkSizes(index, size);
  if (sizes) return sizes;
  const shape = checkHashes(proof);
  if (shape) return shape;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE) return bad('ERR_PROOF_MALFORMED', 'leaf or root is not a 32-byte hash');
  if (index >= size) return bad('ERR_PROOF_MALFORMED', `index ${index} is not below the tree size ${size}`);
  if (proof.length !== inclusionProofLength(index, size)) return bad('ERR_PROOF_MALFORMED', 'inclusion proof has the wrong length');
  return null;
}

/** @internal The result of an inclusion proof whose root does not match. */
export const NOT_ROOT = 'inclusion proof does not lead to the root';

/**
 * Verifies an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` (a leaf *hash*) is at `index` in
 * the tree of `size` leaves whose root is `root`. To check many proofs against one tree head,
 * {@link createInclusionVerifier} gives the same answers with far fewer hashes.
 *
 * @example
 * ```ts
 * const r = verifyInclusion(leafHash(entry), 3, 8, proof, root);
 * if (!r.ok) console.log(r.code);
 * ```
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofCheck {
  assertBytes('leaf', leaf);
  assertBytes('root', root);
  const shape = inclusionShape(leaf, index, size, proof, root);
  if (shape) return shape;
  return equalBytes(climbInclusion(leaf, index, size, proof), root) ? OK : bad('ERR_PROOF_INVALID', NOT_ROOT);
}

/**
 * RFC 9162 §2.1.3.2 steps 2–5 for a proof already known to have the right shape (32-byte hashes,
 * index < size, exact length): the root it leads to. No checks and no allocation but the hashes.
 */
function climbInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array {
  // Numbers up to 2^53: arithmetic instead of 32-bit bitwise operators.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (let k = 0; k < proof.length; k++) {
    const p = proof[k]!;
    if (fn % 2 === 1 || fn === sn) {
      // On the right edge with no right sibling (fn = sn, even): the node climbs unchanged until
      // it is a right child. The exact length guarantees fn ≠ 0 here, so this ends on odd fn.
      while (fn % 2 === 0) {
        fn /= 2;
        sn = fn;
      }
      r = hashPair(p, r);
    } else {
      r = hashPair(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return r;
}

/** @internal nodeHash without the length checks, for callers that made them once per proof. */
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeBuf.set(left, 1);
  nodeBuf.set(right, 1 + HASH_SIZE);
  return sha256(nodeBuf);
}

/** The root an inclusion proof leads to, or null when the proof has the wrong length. */
export function rootFromInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | null {
  if (index >= size || proof.length !== inclusionProofLength(index, size)) return null;
  if (proof.length > 0 && (leaf.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE))) fail('ERR_INVALID_ARGUMENT', 'node children must be 32-byte hashes');
  return climbInclusion(leaf, index, size, proof);
}

/**
 * Verifies a consistency proof (RFC 9162 §2.1.4.2) between the tree of `oldSize` with root
 * `oldRoot` and the tree of `newSize` with root `newRoot`. Size 0 is rejected (a proof from the
 * empty tree proves nothing); equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[] | null,
): ProofCheck {
  const sizes = checkSizes(oldSize, newSize);
  if (sizes) return sizes;
  assertBytes('oldRoot', oldRoot);
  assertBytes('newRoot', newRoot);
  const path = proof ?? [];
  const shape = checkHashes(path);
  if (shape) return shape;
  if (oldSize === 0) return bad('ERR_PROOF_MALFORMED', 'consistency with the empty tree is not provable');
  if (oldSize > newSize) return bad('ERR_PROOF_MALFORMED', `old size ${oldSize} exceeds new size ${newSize}`);
  if (oldSize === newSize) {
    if (path.length !== 0) return bad('ERR_PROOF_MALFORMED', 'equal sizes need an empty proof');
    return equalBytes(oldRoot, newRoot) ? OK : bad('ERR_PROOF_INVALID', 'equal sizes but different roots');
  }
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) return bad('ERR_PROOF_MALFORMED', 'a root is not a 32-byte hash');
  const r = consistencyRoots(oldSize, newSize, oldRoot, path);
  if ('code' in r) return r;
  const { fr, sr } = r;
  const okOld = equalBytes(fr, oldRoot);
  const okNew = equalBytes(sr, newRoot);
  return okOld && okNew ? OK : bad('ERR_PROOF_INVALID', 'consistency proof does not lead to both roots');
}

/** RFC 9162 §2.1.4.2 steps 1–7 for 0 < oldSize < newSize: the two roots the path leads to. */
function consistencyRoots(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  path: readonly Uint8Array[],
): { fr: Uint8Array; sr: Uint8Array } | { ok: false; code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED'; reason: string } {
  if (path.length === 0) return badC('ERR_PROOF_MALFORMED', 'consistency proof is empty');
  let c: readonly Uint8Array[] = path;
  if (isPow2(oldSize)) c = [oldRoot, ...path];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = c[0]!;
  let sr = c[0]!;
  for (let i = 1; i < c.length; i++) {
    const p = c[i]!;
    if (sn === 0) return badC('ERR_PROOF_MALFORMED', 'consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(p, fr);
      sr = nodeHash(p, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return badC('ERR_PROOF_MALFORMED', 'consistency proof is too short');
  return { fr, sr };
}

function badC(code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED', reason: string): { ok: false; code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED'; reason: string } {
  return { ok: false, code, reason };
}

/**
 * Checks a consistency proof against a trusted old tree (`oldSize`, `oldRoot`) and returns the
 * new root it proves, for verifiers that then check a signature over that root (RFC 9942 §5.3).
 */
export function rootsFromConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  proof: readonly Uint8Array[],
): { ok: true; newRoot: Uint8Array } | { ok: false; code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED'; reason: string } {
  const sizes = checkSizes(oldSize, newSize);
  if (sizes && !sizes.ok) return sizes;
  const shape = checkHashes(proof);
  if (shape && !shape.ok) return shape;
  if (oldRoot.length !== HASH_SIZE) return badC('ERR_PROOF_MALFORMED', 'old root is not a 32-byte hash');
  if (oldSize === 0) return badC('ERR_PROOF_MALFORMED', 'consistency with the empty tree is not provable');
  if (oldSize > newSize) return badC('ERR_PROOF_MALFORMED', `old size ${oldSize} exceeds new size ${newSize}`);
  if (oldSize === newSize) return proof.length === 0 ? { ok: true, newRoot: oldRoot.slice() } : badC('ERR_PROOF_MALFORMED', 'equal sizes need an empty proof');
  const r = consistencyRoots(oldSize, newSize, oldRoot, proof);
  if ('code' in r) return r;
  return equalBytes(r.fr, oldRoot) ? { ok: true, newRoot: r.sr } : badC('ERR_PROOF_INVALID', 'consistency proof does not lead to the old root');
}

