/**
 * The one ECDSA P-256 signature policy both backends apply: **low-S only**.
 *
 * ECDSA signatures are malleable: if (r, s) verifies, so does (r, n − s), a second valid byte
 * string over the same message. custos identifies events, chain links and log entries by the
 * hash of their bytes, so a second valid encoding of one signed event would be a second event
 * identity that nobody signed as such. Like Bitcoin (BIP 146 LOW_S) and noble's default, custos
 * accepts only s ≤ n/2 and normalises every signature it produces to that form. RFC 9053 §2.1
 * does not require it; this is custos policy, applied by verification in both backends and by
 * the COSE signing path (so an HSM/KMS signer that returns high-S is normalised too).
 *
 * Pure byte logic (no crypto library), shared by node.ts, web.ts and the signing path.
 */

/** The order n of the P-256 base point. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N >> 1n;

function toBig(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

function be32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** True when a 64-byte r ‖ s signature has 0 < s ≤ n/2 (the low-S form custos accepts). */
export function p256SignatureLowS(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const s = toBig(signature.subarray(32));
  return s > 0n && s <= HALF_N;
}

/**
 * The low-S form of a 64-byte r ‖ s signature: unchanged when s ≤ n/2, else (r, n − s), which
 * verifies for the same message and key. A signature that is not 64 bytes or has s outside
 * (0, n) is returned as is (verification will refuse it).
 */
export function p256NormalizeLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) return signature;
  const s = toBig(signature.subarray(32));
  if (s <= HALF_N || s >= N) return signature;
  const out = new Uint8Array(64);
  out.set(signature.subarray(0, 32), 0);
  out.set(be32(N - s), 32);
  return out;
}
