/**
 * Subtree proofs (draft-ietf-plants-merkle-tree-certs, used by subtree cosignatures):
 * inclusion in, and consistency of, an aligned subtree [start, end) of an RFC 9162 tree.
 */
import { assertBytes, equalBytes } from '../bytes.js';
import { HASH_SIZE, OK, bad, checkHashes, checkSizes, emptyRoot, isPow2, nodeHash, splitPoint, verifyInclusion, type ProofCheck } from './merkle.js';

const EMPTY_ROOT = emptyRoot();

/**
 * Verifies the inclusion of `leaf` at `index` in the subtree [start, end) whose hash is `root`
 * (the "subtree" proofs of draft-ietf-plants-merkle-tree-certs, used by subtree cosignatures).
 * The subtree must be aligned: `start` a multiple of the smallest power of two ≥ end − start,
 * which makes it shaped like a tree of end − start leaves.
 */
export function verifySubtreeInclusion(
  leaf: Uint8Array,
  index: number,
  start: number,
  end: number,
  proof: readonly Uint8Array[] | null,
  root: Uint8Array,
): ProofCheck {
  const sizes = checkSizes(start, end) ?? checkSizes(index, 0);
  if (sizes) return sizes;
  if (start >= end) return bad('ERR_PROOF_MALFORMED', 'empty or inverted subtree');
  if (index < start || index >= end) return bad('ERR_PROOF_MALFORMED', 'leaf index outside the subtree');
  const n = end - start;
  const p = isPow2(n) ? n : 2 * splitPoint(n);
  if (start % p !== 0) return bad('ERR_PROOF_MALFORMED', 'subtree is not aligned');
  return verifyInclusion(leaf, index - start, n, proof ?? [], root);
}

/**
 * Verifies a subtree consistency proof (draft-ietf-plants-merkle-tree-certs, "Verifying a
 * Subtree Consistency Proof"): that the aligned subtree [start, end) with hash `nodeHash` is
 * part of the tree of `size` leaves with root `root`.
 */
export function verifySubtreeConsistency(
  start: number,
  end: number,
  size: number,
  proof: readonly Uint8Array[] | null,
  subtreeHash: Uint8Array,
  root: Uint8Array,
): ProofCheck {
  const sizes = checkSizes(start, end) ?? checkSizes(size, 0);
  if (sizes) return sizes;
  assertBytes('subtreeHash', subtreeHash);
  assertBytes('root', root);
  const path = proof ?? [];
  const shape = checkHashes(path);
  if (shape) return shape;
  const n = end - start;
  const align = n <= 1 ? 1 : isPow2(n) ? n : 2 * splitPoint(n);
  if (start > end || start % align !== 0 || end > size) return bad('ERR_PROOF_MALFORMED', 'not an aligned subtree of the tree');
  if (start === end) {
    return path.length === 0 && equalBytes(subtreeHash, EMPTY_ROOT) ? OK : bad('ERR_PROOF_INVALID', 'empty subtree needs an empty proof and the empty hash');
  }
  const half = (x: number) => Math.floor(x / 2);
  let fn = start;
  let sn = end - 1;
  let tn = size - 1;
  if (sn === tn) {
    while (fn !== sn) [fn, sn, tn] = [half(fn), half(sn), half(tn)];
  } else {
    while (fn !== sn && sn % 2 === 1) [fn, sn, tn] = [half(fn), half(sn), half(tn)];
  }
  let fr: Uint8Array;
  let sr: Uint8Array;
  let i = 0;
  if (fn === sn) {
    fr = subtreeHash;
    sr = subtreeHash;
  } else {
    if (path.length === 0) return bad('ERR_PROOF_MALFORMED', 'subtree consistency proof is empty');
    fr = path[0]!;
    sr = path[0]!;
    i = 1;
  }
  // Hashes that are never combined may have any length (they are only compared), as in the Go reference.
  if (i < path.length && fr.length !== HASH_SIZE) return bad('ERR_PROOF_MALFORMED', 'subtree hash is not 32 bytes');
  for (; i < path.length; i++) {
    const c = path[i]!;
    if (tn === 0) return bad('ERR_PROOF_MALFORMED', 'subtree consistency proof is too long');
    if (sn % 2 === 1 || sn === tn) {
      if (fn < sn) fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (sn % 2 === 0 && sn !== 0) [fn, sn, tn] = [half(fn), half(sn), half(tn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn, tn] = [half(fn), half(sn), half(tn)];
  }
  if (tn !== 0) return bad('ERR_PROOF_MALFORMED', 'subtree consistency proof is too short');
  return equalBytes(fr, subtreeHash) && equalBytes(sr, root) ? OK : bad('ERR_PROOF_INVALID', 'subtree consistency proof does not lead to both hashes');
}
