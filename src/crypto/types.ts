/**
 * The primitives custos needs, as one interface with two implementations:
 * `node.ts` (node:crypto, OpenSSL) and `web.ts` (noble, pure JS, runs anywhere).
 * Modules import the implementation through the `#crypto` subpath import, which package.json
 * maps to the Node backend on Node and to the portable one elsewhere.
 *
 * All functions take and return plain Uint8Array (never Buffer).
 */

/** Incremental SHA-256. */
export interface Sha256Hasher {
  update(data: Uint8Array): Sha256Hasher;
  /** Finishes the hash; the hasher must not be used afterwards. */
  digest(): Uint8Array;
}

/** The digest algorithms of evidence hashes (custody event names): SHA-256, and what imaging tools record. */
export type HashAlg = 'sha-256' | 'sha-1' | 'md5' | 'sha-512';

export interface CryptoBackend {
  readonly backendName: 'node' | 'web';
  sha256(data: Uint8Array): Uint8Array;
  createSha256(): Sha256Hasher;
  /**
   * An incremental hash of `alg`. SHA-1 and MD5 are here only because imaging tools (EWF/E01)
   * record them for acquired media; custos signs and checks with SHA-256.
   */
  createHash(alg: HashAlg): Sha256Hasher;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA-256 (RFC 5869); `length` ≤ 255·32. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439); returns ciphertext ‖ 16-byte tag. */
  chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /**
   * The same as {@link chacha20poly1305Seal} with ciphertext and tag returned separately. On Node
   * this avoids copying the ciphertext into one array (OpenSSL hands out ciphertext and tag
   * apart); a writer that emits them back to back (age STREAM chunks) should prefer it.
   */
  chacha20poly1305SealParts(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  /** Opens ciphertext ‖ tag; throws CustosError ERR_AEAD_AUTH when the tag does not verify. */
  chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** Ed25519 public key (32 bytes) from a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * RFC 8032 verification under custos' strict policy (ed25519-policy.ts: canonical, non-small-order
   * A and R, S < L, cofactorless equation), identical in both backends; false on any invalid input.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  x25519PublicKey(secret: Uint8Array): Uint8Array;
  /** X25519 (RFC 7748); throws ERR_X25519_LOW_ORDER if the shared secret is all zero. */
  x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** P-256 public key (65-byte uncompressed SEC1) from a 32-byte private scalar. */
  p256PublicKey(secret: Uint8Array): Uint8Array;
  /** ECDSA P-256 with SHA-256 over `message`; signature is r ‖ s (64 bytes, IEEE P1363), always low-S (s ≤ n/2). */
  p256Sign(secret: Uint8Array, message: Uint8Array): Uint8Array;
  /** Verifies r ‖ s over SHA-256(message); public key SEC1 (33 or 65 bytes). High-S (s > n/2) is refused: custos policy, see p256-policy.ts. */
  p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** scrypt (RFC 7914) with N = 2^logN; callers bound logN before calling. */
  scrypt(password: Uint8Array, salt: Uint8Array, logN: number, r: number, p: number, dkLen: number): Uint8Array;
  randomBytes(length: number): Uint8Array;
  /** MLKEM768-X25519 (X-Wing) hybrid KEM public key (1216 bytes) from a 32-byte seed. */
  mlkem768x25519PublicKey(seed: Uint8Array): Uint8Array;
  /** Encapsulates to a 1216-byte public key: `enc` 1120 bytes, `sharedSecret` 32 bytes. */
  mlkem768x25519Encapsulate(publicKey: Uint8Array): { enc: Uint8Array; sharedSecret: Uint8Array };
  /** Decapsulates `enc` with the seed; throws ERR_X25519_LOW_ORDER on a low-order X25519 half. */
  mlkem768x25519Decapsulate(enc: Uint8Array, seed: Uint8Array): Uint8Array;
}
