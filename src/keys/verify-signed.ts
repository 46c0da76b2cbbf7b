/**
 * "Was this COSE_Sign1 signed, at time t, by a key the trust store holds for authority a?",
 * answered once for every verifier (seals, custody events, presentations, status events,
 * bundle manifests) and for the signer check a chain makes before it signs.
 *
 * The steps, in this order, each a stable failure:
 * 1. `decode` (bytes only): the message is a strict COSE_Sign1;
 * 2. `kid`: the protected header names a kid (an unprotected kid is not covered by the
 *    signature and is not used);
 * 3. `key`: the trust store has a key with that kid and it was valid at `at` (notBefore ≤ at <
 *    notAfter, at < revokedAt): ERR_KEY_UNKNOWN / ERR_KEY_NOT_VALID;
 * 4. `signature`: the signature verifies under that key (the algorithm must be the key's:
 *    ERR_COSE_ALG; ES256 signatures must be low-S; a payload must be where the caller expects
 *    it, attached or detached): ERR_SIGNATURE_INVALID;
 * 5. `authority`: the key belongs to the authority the payload claims (the caller's code, as
 *    each format names this failure its own way);
 * 6. `revoked`: with `revocation: 'any'`, a key with any `revokedAt` fails (ERR_KEY_NOT_VALID):
 *    for objects that nothing logs, the signer's own date cannot show they were made before
 *    the revocation (src/bundle/timeanchor.ts).
 *
 * The signature is checked before any claim of the payload is believed. Nothing here throws
 * for a bad message; only misuse throws (a `trust` that is not a TrustStore, an invalid `at`).
 */
import { decodeSign1, HEADER, verifySign1, type Sign1 } from '../cose/sign1.js';
import { CustosError, fail, type ErrorCode } from '../errors.js';
import type { Authority, TrustedKey, TrustStore } from './trust.js';

/** The step of {@link verifySignedBy} that failed. */
export type SignedByStep = 'decode' | 'kid' | 'key' | 'signature' | 'authority' | 'revoked';

/** What a signature is judged against: the time it was made and what the payload claims. */
export interface SignerRules {
  /** When the signature was made (as the signed object states it, or a witnessed time). */
  readonly at: Date | string | number;
  /** The authority id the payload says signed it; the key must be one of that authority's. */
  readonly authority?: string;
  /** The code of the `authority` failure (default ERR_SIGNATURE_INVALID). */
  readonly authorityCode?: ErrorCode;
  /**
   * `'at-time'` (default): a key revoked after `at` still counts. `'any'`: a key with any
   * `revokedAt` fails, for objects whose date nothing but the signer vouches for.
   */
  readonly revocation?: 'at-time' | 'any';
}

export interface VerifySignedOptions extends SignerRules {
  /** The payload of a detached message; a message that carries one then fails. */
  readonly detachedPayload?: Uint8Array;
  readonly externalAad?: Uint8Array;
}

/** The signer of a message that passed every step. */
export interface SignedBy {
  readonly ok: true;
  readonly authority: Authority;
  readonly key: TrustedKey;
}

/** The key a message names, when the trust store has it. */
export interface FoundSigner {
  readonly authority: Authority;
  readonly key: TrustedKey;
}

/**
 * Why a message is not signed by whom it claims. From the `signature` step on, the key was
 * found: `signer` names it (for reports: "the key belongs to …", "revoked at …").
 */
export type NotSignedBy =
  | { readonly ok: false; readonly step: 'decode' | 'kid' | 'key'; readonly code: ErrorCode; readonly reason: string }
  | { readonly ok: false; readonly step: 'signature' | 'authority' | 'revoked'; readonly code: ErrorCode; readonly reason: string; readonly signer: FoundSigner };

export type SignedByResult = SignedBy | NotSignedBy;

/**
 * The key a result names: the signer when it passed, the key found when a later step failed,
 * undefined when no trusted key was found.
 *
 * @example
 * ```ts
 * const who = signerOf(verifySignedBy(msg, trust, { at }))?.authority.id;
 * ```
 */
export function signerOf(r: SignedByResult): FoundSigner | undefined {
  return r.ok ? r : 'signer' in r ? r.signer : undefined;
}

function refused(step: 'decode' | 'kid' | 'key', code: ErrorCode, reason: string): NotSignedBy {
  return { ok: false, step, code, reason };
}

function refusedSigner(step: 'signature' | 'authority' | 'revoked', code: ErrorCode, reason: string, signer: FoundSigner): NotSignedBy {
  return { ok: false, step, code, reason, signer };
}

function keyAt(trust: TrustStore, kid: Uint8Array | undefined, at: SignerRules['at']): SignedByResult {
  if (typeof trust?.lookup !== 'function') fail('ERR_INVALID_ARGUMENT', '"trust" expected a TrustStore');
  if (!(kid instanceof Uint8Array)) return refused('kid', 'ERR_KEY_UNKNOWN', 'no kid in the protected header');
  const hit = trust.lookup(kid, at);
  if (!hit.ok) return refused('key', hit.code, hit.reason);
  return { ok: true, authority: hit.authority, key: hit.key };
}

function claims(found: SignedBy, rules: SignerRules): SignedByResult {
  if (rules.authority !== undefined && found.authority.id !== rules.authority) {
    return refusedSigner('authority', rules.authorityCode ?? 'ERR_SIGNATURE_INVALID', `the payload names ${rules.authority}, the key belongs to ${found.authority.id}`, { authority: found.authority, key: found.key });
  }
  const revokedAt = found.key.revokedAt;
  if (rules.revocation === 'any' && revokedAt !== undefined) {
    return refusedSigner('revoked', 'ERR_KEY_NOT_VALID', `the key was revoked at ${new Date(revokedAt).toISOString()}`, { authority: found.authority, key: found.key });
  }
  return found;
}

const NO_OPTIONS = Object.freeze({});

function signatureOf(msg: Sign1, key: TrustedKey, opts: VerifySignedOptions): { code: ErrorCode; reason: string } | undefined {
  if (opts.detachedPayload !== undefined && msg.payload !== null) return { code: 'ERR_SIGNATURE_INVALID', reason: 'the message carries a payload where a detached one is expected' };
  if (opts.detachedPayload === undefined && msg.payload === null) return { code: 'ERR_SIGNATURE_INVALID', reason: 'the payload is detached and none was given' };
  try {
    // (the common case, attached and no AAD, builds no options object: this runs per custody event)
    const vopts = opts.detachedPayload === undefined && opts.externalAad === undefined ? NO_OPTIONS : { ...(opts.detachedPayload !== undefined ? { detachedPayload: opts.detachedPayload } : {}), ...(opts.externalAad !== undefined ? { externalAad: opts.externalAad } : {}) };
    return verifySign1(msg, key, vopts) ? undefined : { code: 'ERR_SIGNATURE_INVALID', reason: 'the signature does not verify' };
  } catch (e) {
    // ERR_COSE_ALG (unsupported, or not the key's algorithm); a non-custos error is a bug
    if (!(e instanceof CustosError)) throw e;
    return { code: e.code, reason: e.message };
  }
}

/**
 * The trust-store half of {@link verifySignedBy}, for a signer about to sign: its kid names a
 * key valid at `at`, of the authority the payload will name. No signature is checked.
 *
 * @example
 * ```ts
 * const r = trustedSignerAt(trust, signer.kid, { at: Date.now(), authority: 'at.lpd-wien' });
 * if (!r.ok) throw new CustosError(r.code, `signer: ${r.reason}`);
 * ```
 */
export function trustedSignerAt(trust: TrustStore, kid: Uint8Array | undefined, rules: SignerRules): SignedByResult {
  const found = keyAt(trust, kid, rules.at);
  return found.ok ? claims(found, rules) : found;
}

/**
 * Verifies a COSE_Sign1 (decoded, or its bytes, decoded strictly) against the trust store at
 * time `at` for the authority its payload claims. Returns the signer, or the step that failed
 * with its code; throws only on misuse.
 *
 * @example
 * ```ts
 * const r = verifySignedBy(decodeSign1(bytes), trust, { at: manifest.created, authority: manifest.issuer });
 * if (!r.ok) report.failed('signature', r.code, r.reason);
 * else console.log(`signed by ${r.authority.name}`);
 * ```
 */
export function verifySignedBy(msg: Sign1 | Uint8Array, trust: TrustStore, opts: VerifySignedOptions): SignedByResult {
  let m: Sign1;
  if (msg instanceof Uint8Array) {
    try {
      m = decodeSign1(msg);
    } catch (e) {
      if (!(e instanceof CustosError)) throw e;
      return refused('decode', e.code, e.message);
    }
  } else m = msg;
  const kid = m.protectedHeaders.get(HEADER.kid);
  const found = keyAt(trust, kid instanceof Uint8Array ? kid : undefined, opts.at);
  if (!found.ok) return found;
  const bad = signatureOf(m, found.key, opts);
  if (bad !== undefined) return refusedSigner('signature', bad.code, bad.reason, { authority: found.authority, key: found.key });
  return claims(found, opts);
}
