/**
 * The one Ed25519 verification policy both backends apply, so that OpenSSL (node) and noble
 * (web) accept exactly the same signatures. RFC 8032 leaves room for verifiers to differ
 * (cofactored or not, small-order keys, non-canonical encodings: "Taming the many EdDSAs",
 * Chalkias et al. 2020); for evidence a signature must not be valid for one checker and invalid
 * for another. custos uses the libsodium-style strict rules:
 *
 * - A and R must be canonical encodings (y < p, and no "negative zero" x for y = ±1),
 *   RFC 8032 §5.1.3;
 * - A and R must not be one of the 8 small-order points (a small-order A "signs" every message
 *   with R = identity, S = 0);
 * - S < L (RFC 8032 §5.1.7);
 * - the cofactorless equation [S]B = R + [k]A (what OpenSSL and Go check).
 *
 * This file is pure byte logic (no crypto library), shared by node.ts and web.ts.
 */

// The 8 small-order points of edwards25519 in canonical encoding.
const SMALL_ORDER: readonly Uint8Array[] = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
].map((h) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16)));

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L_LE = Uint8Array.from(
  'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'.match(/../g)!,
  (x) => parseInt(x, 16),
);

function same(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * True when the 32 bytes are a canonical point encoding that is not of small order (the curve
 * equation itself is checked by the backend when it decodes the point).
 */
export function ed25519PointAllowed(p: Uint8Array): boolean {
  if (p.length !== 32) return false;
  // y ≥ p = 2^255 - 19: bytes 1..30 are 0xff, byte 31 (sign bit cleared) is 0x7f, byte 0 ≥ 0xed.
  let high = (p[31]! & 0x7f) === 0x7f;
  for (let i = 1; i < 31 && high; i++) high = p[i] === 0xff;
  if (high && p[0]! >= 0xed) return false;
  // x = 0 only for y = 1 and y = p - 1; with the sign bit set that is a non-canonical encoding.
  if (p[31]! & 0x80) {
    const y = p.slice();
    y[31] = y[31]! & 0x7f;
    if (same(y, SMALL_ORDER[0]!) || same(y, SMALL_ORDER[1]!)) return false;
  }
  for (const s of SMALL_ORDER) if (same(p, s)) return false;
  return true;
}

/** True when the 32-byte little-endian scalar is < L. */
export function ed25519ScalarCanonical(s: Uint8Array): boolean {
  if (s.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L_LE[i]!) return true;
    if (s[i]! > L_LE[i]!) return false;
  }
  return false; // s = L
}

/** The policy checks that need no curve arithmetic; both backends call this first. */
export function ed25519SignatureShapeAllowed(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    publicKey.length === 32 &&
    signature.length === 64 &&
    ed25519PointAllowed(publicKey) &&
    ed25519PointAllowed(signature.subarray(0, 32)) &&
    ed25519ScalarCanonical(signature.subarray(32, 64))
  );
}
