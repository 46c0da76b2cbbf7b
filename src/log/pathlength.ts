/**
 * Tree-shape arithmetic of RFC 9162 from sizes and indices alone (no hashing): the split point of
 * a subtree, and the length of an inclusion proof, used to reject a proof of the wrong length
 * before any work, and by the batch verifier. merkle.ts re-exports both.
 */

/** Largest power of two strictly less than n (n ≥ 2); 1 for n ≤ 1. */
export function splitPoint(n: number): number {
  // Fast path for 32-bit sizes: the highest set bit of n − 1.
  if (n <= 0x80000000) return n <= 1 ? 1 : 2 ** (31 - Math.clz32(n - 1));
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The exact number of hashes in an inclusion proof for `index` < `size`: the bits below the
 * highest bit where `index` and `size − 1` differ (the inner path, shared with a perfect tree),
 * plus one per set bit of `index` above them (left siblings on the right border). This is the
 * decomposition transparency-dev/merkle uses; it equals the length of RFC 9162 §2.1.3.1 PATH.
 *
 * @example
 * ```ts
 * inclusionProofLength(5, 7); // 3: leaf 4, leaf 6, then the subtree [0, 4)
 * ```
 */
export function inclusionProofLength(index: number, size: number): number {
  if (!(index >= 0 && index < size)) return lengthByWalk(index, size);
  const inner = bitLength(index, size - 1);
  return inner + popCount(Math.floor(index / 2 ** inner));
}

const TWO32 = 2 ** 32;

/** Bit length of a XOR b for safe integers a, b ≥ 0. */
function bitLength(a: number, b: number): number {
  const hi = (Math.floor(a / TWO32) ^ Math.floor(b / TWO32)) >>> 0;
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32((a ^ b) >>> 0);
}

function popCount(x: number): number {
  let n = 0;
  for (let lo = x >>> 0, hi = Math.floor(x / TWO32) >>> 0; lo !== 0 || hi !== 0; n++) {
    if (lo !== 0) lo &= lo - 1;
    else hi &= hi - 1;
  }
  return n;
}

/** The RFC 9162 §2.1.3.1 walk, for arguments outside 0 ≤ index < size (kept for its old answers). */
function lengthByWalk(index: number, size: number): number {
  let len = 0;
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) end = start + k;
    else {
      start += k;
      m -= k;
    }
    len++;
  }
  return len;
}
