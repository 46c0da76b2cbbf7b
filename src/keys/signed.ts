/**
 * Synchronous or asynchronous signing, implemented once.
 *
 * A signer's `sign` returns either the signature (an in-memory key) or a Promise of it (a
 * PKCS#11 token, a KMS). Every function that signs is written once over {@link signWith}: it
 * computes what is to be signed synchronously, hands it to the signer, and finishes in a
 * continuation that runs at once for a synchronous signer and after the Promise settles for an
 * asynchronous one. The return type follows the signer ({@link Signed}), so a caller holding a
 * `SigningKey` keeps getting plain values, and a caller holding an `AsyncSigner` gets Promises.
 *
 * Whatever the signer returns is checked before it is used: it must be a byte string of the
 * algorithm's length, and a signer that is not a custos in-memory key must produce a signature
 * that verifies under the public key it announced. A token or KMS configured with another key
 * would otherwise label events with a kid that did not sign them.
 */
import { CustosError, fail } from '../errors.js';
import { SigningKey, verifySignature, type SignatureAlg } from './signing.js';
import { p256NormalizeLowS } from '../crypto/p256-policy.js';

/** A value or a Promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** Anything with a `sign` method over bytes: a `Signer`, a note signer, a cosigner. */
export interface SignsBytes {
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * What a signing function returns for signer type `S`: `T` for a synchronous signer, a
 * `Promise<T>` for an asynchronous one, and `T | Promise<T>` when the type does not say which.
 *
 * @example
 * ```ts
 * const a: Signed<SigningKey, Uint8Array> = signSign1(payload, SigningKey.generate()); // Uint8Array
 * const b: Signed<AsyncSigner, Uint8Array> = signSign1(payload, kms);                  // Promise<Uint8Array>
 * ```
 */
export type Signed<S, T> = S extends { sign(message: Uint8Array): Promise<Uint8Array> }
  ? Promise<T>
  : S extends { sign(message: Uint8Array): Uint8Array }
    ? T
    : MaybePromise<T>;

/** True for a Promise or any other thenable. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs `f` on `v` now if it is a value, after it settles if it is a Promise. */
export function andThen<T, R>(v: MaybePromise<T>, f: (t: T) => MaybePromise<R>): MaybePromise<R> {
  return isThenable(v) ? Promise.resolve(v).then(f) : f(v as T);
}

/**
 * Runs `f` over each item in order, each step after the previous one settled; synchronous as
 * long as every step is. Used where one result feeds the next (cosignatures on a checkpoint).
 */
export function inSequence<I, A>(items: readonly I[], init: A, f: (acc: A, item: I) => MaybePromise<A>): MaybePromise<A> {
  let acc: MaybePromise<A> = init;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as I;
    acc = andThen(acc, (a) => f(a, item));
  }
  return acc;
}

const SIGNATURE_LENGTH: { readonly [K in SignatureAlg]: number } = { EdDSA: 64, ES256: 64 };

function checkSignature(signer: SignsBytes, message: Uint8Array, returned: unknown): Uint8Array {
  if (!(returned instanceof Uint8Array)) fail('ERR_SIGNER', 'the signer returned something other than a byte string');
  let sig: Uint8Array = returned;
  const s = signer as Partial<{ alg: SignatureAlg; publicKey: Uint8Array }>;
  if (s.alg !== undefined) {
    const want = SIGNATURE_LENGTH[s.alg];
    if (sig.length !== want) fail('ERR_SIGNER', `the signer returned ${sig.length} bytes, ${s.alg} signatures have ${want}`);
    // ES256 is produced low-S only, whatever the signer (an HSM or KMS may return either form);
    // verification refuses the high-S twin (crypto/p256-policy.ts), so normalise before checking.
    if (s.alg === 'ES256') sig = p256NormalizeLowS(sig);
    // An in-memory SigningKey signs with the very secret its public key was derived from.
    if (!(signer instanceof SigningKey)) {
      if (!(s.publicKey instanceof Uint8Array) || !verifySignature(s.alg, s.publicKey, message, sig)) {
        fail('ERR_SIGNER', 'the signer returned a signature that does not verify under its public key');
      }
    }
  }
  // A copy: a signer that reuses its output buffer must not change what was signed into the result.
  return sig.slice();
}

/**
 * Signs `message` with `signer` and passes the checked signature to `after`; returns its result
 * directly for a synchronous signer and as a Promise for an asynchronous one. A signer that
 * throws (or rejects) passes its error on; a CustosError keeps its code, anything else becomes
 * ERR_SIGNER with the original as cause.
 *
 * @example
 * ```ts
 * const out = signWith(key, tbs, (sig) => concatBytes(tbs, sig)); // Uint8Array for a SigningKey
 * ```
 */
export function signWith<S extends SignsBytes, T>(signer: S, message: Uint8Array, after: (signature: Uint8Array) => MaybePromise<T>): Signed<S, T> {
  let r: Uint8Array | Promise<Uint8Array>;
  try {
    r = signer.sign(message);
  } catch (e) {
    throw wrapSignerError(e);
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      (sig) => after(checkSignature(signer, message, sig)),
      (e: unknown) => {
        throw wrapSignerError(e);
      },
    ) as Signed<S, T>;
  }
  return after(checkSignature(signer, message, r)) as Signed<S, T>;
}

function wrapSignerError(e: unknown): CustosError {
  if (e instanceof CustosError) return e;
  return new CustosError('ERR_SIGNER', 'the signer failed', { cause: e });
}
