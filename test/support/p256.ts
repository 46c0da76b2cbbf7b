/**
 * Test helpers for the low-S ECDSA policy (src/crypto/p256-policy.ts), written independently of
 * it: plain bigint arithmetic on r ‖ s.
 */
import { decodeSign1 } from '../../src/cose/sign1.js';
import { encode, Tag } from '../../src/cbor.js';

/** The order n of the P-256 base point. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const be32 = (x: bigint) => Uint8Array.from(x.toString(16).padStart(64, '0').match(/../g)!, (h) => parseInt(h, 16));

/** s of a 64-byte r ‖ s signature. */
export function sOf(sig: Uint8Array): bigint {
  return BigInt(`0x${hex(sig.subarray(32, 64)) || '0'}`);
}

/** True when s > n/2 (the form custos refuses). */
export function isHighS(sig: Uint8Array): boolean {
  return sOf(sig) > P256_N / 2n;
}

/** (r, n − s): the other valid encoding of the same ECDSA signature. */
export function flipS(sig: Uint8Array): Uint8Array {
  const out = sig.slice();
  out.set(be32(P256_N - sOf(sig)), 32);
  return out;
}

/**
 * The same COSE_Sign1 with its signature replaced by (r, n − s). The protected bytes and the
 * payload are kept as they were signed; the unprotected header is re-encoded (it is not signed).
 */
export function flipSign1S(bytes: Uint8Array): Uint8Array {
  const m = decodeSign1(bytes, { strict: false });
  return encode(new Tag([m.protectedBytes, m.unprotectedHeaders, m.payload, flipS(m.signature)], 18), { allowedTags: [18] });
}
