/**
 * ML-KEM-768 + X25519 hybrid KEM (X-Wing; "MLKEM768-X25519" in draft-ietf-hpke-pq and
 * filippo.io/hpke-pq), used by age's `mlkem768x25519` recipients. Node 20 has no ML-KEM in
 * node:crypto, so BOTH backends delegate to @noble/post-quantum (pinned exactly in
 * package.json); this file is the one place that imports it.
 */
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { CustosError } from '../errors.js';

/** Public key (1216 bytes: ML-KEM-768 encapsulation key ‖ X25519 point) from a 32-byte seed. */
export function mlkem768x25519PublicKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new CustosError('ERR_CRYPTO', `MLKEM768-X25519 seed must be 32 bytes, got ${seed.length}`);
  return ml_kem768_x25519.getPublicKey(seed);
}

/** Encapsulates to a 1216-byte public key: `enc` is 1120 bytes, `sharedSecret` 32. */
export function mlkem768x25519Encapsulate(publicKey: Uint8Array): { enc: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== 1216) {
    throw new CustosError('ERR_CRYPTO', `MLKEM768-X25519 public key must be 1216 bytes, got ${publicKey.length}`);
  }
  try {
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey);
    return { enc: cipherText, sharedSecret };
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'MLKEM768-X25519 public key rejected', { cause: e });
  }
}

/**
 * Decapsulates a 1120-byte `enc` with the 32-byte seed. ML-KEM decapsulation never fails
 * (implicit rejection), so a throw from noble means the X25519 half is a low-order point
 * (all-zero shared secret), which draft-ietf-hpke-pq requires us to reject.
 */
export function mlkem768x25519Decapsulate(enc: Uint8Array, seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new CustosError('ERR_CRYPTO', `MLKEM768-X25519 seed must be 32 bytes, got ${seed.length}`);
  if (enc.length !== 1120) throw new CustosError('ERR_CRYPTO', `MLKEM768-X25519 enc must be 1120 bytes, got ${enc.length}`);
  try {
    return ml_kem768_x25519.decapsulate(enc, seed);
  } catch (e) {
    throw new CustosError('ERR_X25519_LOW_ORDER', 'MLKEM768-X25519: X25519 share is a low-order point', { cause: e });
  }
}
