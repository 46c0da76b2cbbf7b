/**
 * ECDSA P-256 signatures from a token, in COSE's form: raw r‖s (RFC 9053 §2.1, 32 bytes each)
 * with s in the lower half of the group order.
 *
 * PKCS#11's CKM_ECDSA already returns r‖s (PKCS#11 v2.40 §2.3.1), but a token may return either
 * s or n − s: both verify under plain ECDSA. custos signs only low-S (so a signature has one
 * encoding and a verifier that refuses high-S accepts it), so a high s is replaced by n − s here.
 * Kept apart from src/crypto's own low-S code on purpose: this one only normalises what a token
 * returned, it never signs.
 */
import { fail } from '../../errors.js';

/** The order n of the P-256 group (SEC 2 §2.4.2). */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N >> 1n;

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function toBytes32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Checks a raw P-256 r‖s signature from a token and returns it with s ≤ n/2.
 * Throws ERR_SIGNER for a wrong length or r, s outside [1, n − 1].
 *
 * @example
 * ```ts
 * const cose = p256LowS(await session.sign(digest)); // 64 bytes, low-S
 * ```
 */
export function p256LowS(sig: Uint8Array): Uint8Array {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) fail('ERR_SIGNER', `a P-256 signature from the token must be 64 bytes (r‖s), got ${sig?.length}`);
  const r = toBig(sig.subarray(0, 32));
  const s = toBig(sig.subarray(32));
  if (r === 0n || r >= N || s === 0n || s >= N) fail('ERR_SIGNER', 'the token returned an ECDSA signature with r or s out of range');
  if (s <= HALF_N) return sig.slice();
  const out = new Uint8Array(64);
  out.set(sig.subarray(0, 32), 0);
  out.set(toBytes32(N - s), 32);
  return out;
}

/** True when the raw r‖s signature has s ≤ n/2. */
export function isP256LowS(sig: Uint8Array): boolean {
  return sig.length === 64 && toBig(sig.subarray(32)) <= HALF_N;
}
