/**
 * Signing keys (Ed25519 by default, ECDSA P-256 for ES256) and their key ids.
 *
 * Key id (kid): the RFC 9679 COSE Key Thumbprint, SHA-256 over the deterministic CBOR encoding
 * of the key's required COSE_Key parameters — for Ed25519 `{1: 1 (OKP), -1: 6 (Ed25519), -2: x}`,
 * for P-256 `{1: 2 (EC2), -1: 1 (P-256), -2: x, -3: y}` — 32 bytes. Anyone holding the public key
 * can recompute it, so a kid never has to be trusted on its own.
 */
import * as crypto from '#crypto';
import { assertBytes, toBase64Url } from '../bytes.js';
import { encode } from '../cbor.js';
import { fail } from '../errors.js';

/** Signature algorithms custos signs and verifies with (COSE names). */
export type SignatureAlg = 'EdDSA' | 'ES256';

/** COSE algorithm identifiers (RFC 9053): EdDSA −8, ES256 −7. */
export const COSE_ALG: { readonly [K in SignatureAlg]: number } = { EdDSA: -8, ES256: -7 };

/** The algorithm name for a COSE algorithm id, or undefined if custos does not support it. */
export function algFromCose(id: unknown): SignatureAlg | undefined {
  return id === -8 ? 'EdDSA' : id === -7 ? 'ES256' : undefined;
}

/** What every signer shares: its algorithm, public key and kid. */
export interface SignerKey {
  readonly alg: SignatureAlg;
  /** RFC 9679 thumbprint of the public key (see {@link keyId}). */
  readonly kid: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A signer that answers at once: an in-memory {@link SigningKey}. */
export interface SyncSigner extends SignerKey {
  sign(message: Uint8Array): Uint8Array;
}

/**
 * A signer that answers later: a PKCS#11 token, a KMS over the network. Every function that
 * signs accepts one and then returns a Promise of what it returns for a {@link SyncSigner}.
 */
export interface AsyncSigner extends SignerKey {
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * Anything that can sign: an in-memory key ({@link SyncSigner}) or an HSM/KMS adapter
 * ({@link AsyncSigner}). A function given a `SyncSigner` returns its result synchronously, as
 * before; given an `AsyncSigner` it returns a Promise of the same result (see {@link Signed}).
 */
export interface Signer extends SignerKey {
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

function publicLength(alg: SignatureAlg): number {
  return alg === 'EdDSA' ? 32 : 65;
}

/**
 * The RFC 9679 COSE Key Thumbprint of a public key: the kid custos uses everywhere.
 *
 * @example
 * ```ts
 * const kid = keyId('EdDSA', publicKey); // 32 bytes
 * ```
 */
export function keyId(alg: SignatureAlg, publicKey: Uint8Array): Uint8Array {
  const pk = assertBytes('publicKey', publicKey, publicLength(alg));
  if (alg === 'EdDSA') return crypto.sha256(encode(new Map<number, unknown>([[1, 1], [-1, 6], [-2, pk]])));
  if (pk[0] !== 4) fail('ERR_KEY_FORMAT', '"publicKey" expected an uncompressed P-256 point');
  return crypto.sha256(
    encode(new Map<number, unknown>([[1, 2], [-1, 1], [-2, pk.subarray(1, 33)], [-3, pk.subarray(33, 65)]])),
  );
}

/** Verifies a raw signature; false on any malformed key or signature (never throws for bad input). */
export function verifySignature(alg: SignatureAlg, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (alg === 'EdDSA') return crypto.ed25519Verify(publicKey, message, signature);
  if (alg === 'ES256') return crypto.p256Verify(publicKey, message, signature);
  return false;
}

/**
 * An in-memory signing key. The secret is held in a private field: it does not appear in
 * `JSON.stringify`, `util.inspect` or error messages; {@link SigningKey.exportSecret} is the only way out.
 */
export class SigningKey implements SyncSigner {
  readonly alg: SignatureAlg;
  readonly publicKey: Uint8Array;
  readonly kid: Uint8Array;
  readonly #secret: Uint8Array;

  private constructor(alg: SignatureAlg, secret: Uint8Array) {
    this.alg = alg;
    this.#secret = secret.slice();
    this.publicKey = alg === 'EdDSA' ? crypto.ed25519PublicKey(secret) : crypto.p256PublicKey(secret);
    this.kid = keyId(alg, this.publicKey);
  }

  /** A new random key (Ed25519 unless `alg` says ES256). */
  static generate(alg: SignatureAlg = 'EdDSA'): SigningKey {
    for (;;) {
      const secret = crypto.randomBytes(32);
      try {
        return new SigningKey(alg, secret);
      } catch (e) {
        if (alg === 'EdDSA') throw e; // only a P-256 scalar ≥ n can be rejected; draw again
      } finally {
        secret.fill(0);
      }
    }
  }

  /** A key from its 32-byte secret (Ed25519 seed or P-256 scalar). */
  static fromSecret(secret: Uint8Array, alg: SignatureAlg = 'EdDSA'): SigningKey {
    return new SigningKey(alg, assertBytes('secret', secret, 32));
  }

  sign(message: Uint8Array): Uint8Array {
    assertBytes('message', message);
    return this.alg === 'EdDSA' ? crypto.ed25519Sign(this.#secret, message) : crypto.p256Sign(this.#secret, message);
  }

  /** The 32-byte secret, for writing a key file (0600). Handle with care. */
  exportSecret(): Uint8Array {
    return this.#secret.slice();
  }

  /** The public part only. */
  toJSON(): { alg: SignatureAlg; publicKey: string; kid: string } {
    return { alg: this.alg, publicKey: toBase64Url(this.publicKey), kid: toBase64Url(this.kid) };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigningKey(${this.alg}, kid ${toBase64Url(this.kid).slice(0, 12)}…)`;
  }
}
