/**
 * The portable backend: noble (audited pure JS). Runs in browsers, Deno, Bun and workers.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 as nx25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scrypt as nscrypt } from '@noble/hashes/scrypt.js';
import { md5 as nmd5, sha1 as nsha1 } from '@noble/hashes/legacy.js';
import { sha256 as nsha256, sha512 as nsha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nrandom } from '@noble/hashes/utils.js';
import { CustosError } from '../errors.js';
import { mlkem768x25519Decapsulate, mlkem768x25519Encapsulate, mlkem768x25519PublicKey } from './mlkem.js';
import { ed25519SignatureShapeAllowed } from './ed25519-policy.js';
import { p256NormalizeLowS, p256SignatureLowS } from './p256-policy.js';
import type { CryptoBackend, HashAlg, Sha256Hasher } from './types.js';

export { mlkem768x25519Decapsulate, mlkem768x25519Encapsulate, mlkem768x25519PublicKey };

export const backendName = 'web' as const;

export function sha256(data: Uint8Array): Uint8Array {
  return nsha256(data);
}

export function createSha256(): Sha256Hasher {
  return createHash('sha-256');
}

const NOBLE_HASH = { 'sha-256': nsha256, 'sha-1': nsha1, md5: nmd5, 'sha-512': nsha512 } as const;

export function createHash(alg: HashAlg): Sha256Hasher {
  const f = Object.hasOwn(NOBLE_HASH, alg) ? NOBLE_HASH[alg] : undefined;
  if (f === undefined) throw new CustosError('ERR_UNSUPPORTED', `hash algorithm ${JSON.stringify(alg)} is not supported`);
  const h = f.create();
  const w: Sha256Hasher = {
    update(data) {
      h.update(data);
      return w;
    },
    digest: () => h.digest(),
  };
  return w;
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nsha256, key, data);
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  try {
    return hkdf(nsha256, ikm, salt, info, length);
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'HKDF-SHA-256 rejected its parameters', { cause: e });
  }
}

function checkAead(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CustosError('ERR_CRYPTO', `ChaCha20-Poly1305 key must be 32 bytes, got ${key.length}`);
  if (nonce.length !== 12) throw new CustosError('ERR_CRYPTO', `ChaCha20-Poly1305 nonce must be 12 bytes, got ${nonce.length}`);
}

export function chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkAead(key, nonce);
  return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
}

export function chacha20poly1305SealParts(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  const sealed = chacha20poly1305Seal(key, nonce, plaintext, aad);
  return { ciphertext: sealed.subarray(0, plaintext.length), tag: sealed.subarray(plaintext.length) };
}

export function chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkAead(key, nonce);
  if (sealed.length < 16) throw new CustosError('ERR_AEAD_AUTH', 'ciphertext shorter than the tag');
  try {
    return chacha20poly1305(key, nonce, aad).decrypt(sealed);
  } catch {
    throw new CustosError('ERR_AEAD_AUTH', 'ChaCha20-Poly1305 authentication failed');
  }
}

function seed32(name: string, b: Uint8Array): void {
  if (b.length !== 32) throw new CustosError('ERR_CRYPTO', `${name} must be 32 bytes, got ${b.length}`);
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  seed32('Ed25519 seed', seed);
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  seed32('Ed25519 seed', seed);
  return ed25519.sign(message, seed);
}

const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBigInt(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/**
 * RFC 8032 verification with the shared custos policy (see ed25519-policy.ts): canonical,
 * non-small-order A and R, S < L, and the cofactorless equation [S]B = R + [k]A, which is what
 * OpenSSL checks. noble's own verify is cofactored, so it would accept signatures that OpenSSL
 * rejects; hence the equation is written out here on noble's point arithmetic.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!ed25519SignatureShapeAllowed(publicKey, signature)) return false;
  try {
    const Point = ed25519.Point;
    const rBytes = signature.subarray(0, 32);
    const A = Point.fromBytes(publicKey, false);
    const R = Point.fromBytes(rBytes, false);
    const s = leToBigInt(signature.subarray(32, 64));
    const h = nsha512.create().update(rBytes).update(publicKey).update(message).digest();
    const k = leToBigInt(h) % ED_L;
    const sB = Point.BASE.multiplyUnsafe(s);
    return sB.equals(R.add(A.multiplyUnsafe(k)));
  } catch {
    return false;
  }
}

export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  seed32('X25519 secret', secret);
  return nx25519.getPublicKey(secret);
}

export function x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  seed32('X25519 secret', secret);
  seed32('X25519 public key', publicKey);
  let out: Uint8Array;
  try {
    out = nx25519.getSharedSecret(secret, publicKey);
  } catch (e) {
    throw new CustosError('ERR_X25519_LOW_ORDER', 'X25519 produced the all-zero shared secret', { cause: e });
  }
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new CustosError('ERR_X25519_LOW_ORDER', 'X25519 produced the all-zero shared secret');
  return out;
}

export function p256PublicKey(secret: Uint8Array): Uint8Array {
  seed32('P-256 private key', secret);
  try {
    return p256.getPublicKey(secret, false);
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'invalid P-256 private key', { cause: e });
  }
}

export function p256Sign(secret: Uint8Array, message: Uint8Array): Uint8Array {
  seed32('P-256 private key', secret);
  // Low-S only (p256-policy.ts); noble normalises when lowS is true.
  return p256NormalizeLowS(p256.sign(message, secret, { prehash: true, lowS: true, format: 'compact' }));
}

export function p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || (publicKey.length !== 65 && publicKey.length !== 33)) return false;
  // The shared policy decides low-S (p256-policy.ts), the same check node.ts applies before OpenSSL.
  if (!p256SignatureLowS(signature)) return false;
  try {
    return p256.verify(signature, message, publicKey, { prehash: true, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}

export function scrypt(password: Uint8Array, salt: Uint8Array, logN: number, r: number, p: number, dkLen: number): Uint8Array {
  try {
    return nscrypt(password, salt, { N: 2 ** logN, r, p, dkLen, maxmem: 256 * 2 ** logN * r + 64 * 1024 * 1024 });
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'scrypt rejected its parameters', { cause: e });
  }
}

const RANDOM_CHUNK = 65536; // crypto.getRandomValues fills at most 64 KiB per call

export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new CustosError('ERR_INVALID_ARGUMENT', '"length" expected a non-negative integer');
  if (length <= RANDOM_CHUNK) return nrandom(length);
  const out = new Uint8Array(length);
  for (let o = 0; o < length; o += RANDOM_CHUNK) out.set(nrandom(Math.min(RANDOM_CHUNK, length - o)), o);
  return out;
}

export const backend: CryptoBackend = {
  backendName,
  sha256,
  createSha256,
  createHash,
  hmacSha256,
  hkdfSha256,
  chacha20poly1305Seal,
  chacha20poly1305SealParts,
  chacha20poly1305Open,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  x25519PublicKey,
  x25519,
  p256PublicKey,
  p256Sign,
  p256Verify,
  scrypt,
  randomBytes,
  mlkem768x25519PublicKey,
  mlkem768x25519Encapsulate,
  mlkem768x25519Decapsulate,
};
