/**
 * Presentations: a committed record plus the chosen disclosures, bound to one recipient and request.
 *
 * The holder signs a COSE_Sign1 (protected `typ` = {@link PRESENTATION_TYP}) whose payload is
 * `{ "v": 1, "aud", "req", "purpose", "nonce", "iat" (ms since the epoch), "rec": SHA-256(committed record bytes),
 *    "sd": SHA-256(CBOR array of the disclosure byte strings) }`,
 * and carries the committed record and the disclosures in its unprotected header under
 * {@link PRESENTATION_LABELS} (like SD-CWT's key-binding token, which embeds the SD-CWT and its
 * `sd_claims`). The signature covers their hashes, so the recipient knows the holder chose exactly
 * these disclosures for exactly this audience, request, purpose and nonce. Disclosures are sorted
 * by digest so their order says nothing about where they sit in the record.
 */
import * as crypto from '#crypto';
import { assertBytes, assertString, equalBytes } from '../bytes.js';
import { encode } from '../cbor.js';
import { signSign1 } from '../cose/sign1.js';
import { fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import type { Signed } from '../keys/signed.js';
import { resolveCommitted, type CommittedRecord, type Disclosure } from './commit.js';
import { encodePayload, toMillis } from './wire.js';

/** `typ` of a presentation. */
export const PRESENTATION_TYP = 'application/custos-presentation+cose';
/** Unprotected header labels carrying the committed record and the disclosures. */
export const PRESENTATION_LABELS = { record: 'custos-rec', disclosures: 'custos-sd' } as const;
/** Longest audience, request id and purpose accepted, in characters. */
export const MAX_BINDING_LENGTH = 1000;

export interface PresentOptions<S extends Signer = Signer> {
  /** Who the presentation is for (e.g. the receiving authority's id). */
  readonly audience: string;
  readonly requestId: string;
  /** Purpose code (as in the disclosure policy). */
  readonly purpose: string;
  /** A fresh value from the recipient, so the presentation cannot be replayed to it. */
  readonly nonce: Uint8Array | string;
  readonly signer: S;
  /** Signing time (default now); ms since the epoch, a Date or an RFC 3339 string. */
  readonly issuedAt?: Date | number | string;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** SHA-256 over the CBOR array of disclosure byte strings, in the order given. */
export function disclosuresHash(disclosures: readonly Uint8Array[]): Uint8Array {
  return crypto.sha256(encode(disclosures));
}

/**
 * Builds a presentation of `committed` revealing only `disclosures`, signed by the holder.
 * Checks first that every disclosure belongs to the record (the codes the verifier would use).
 *
 * @example
 * ```ts
 * const chosen = minimize(committed, policy, request).disclosures;
 * const bytes = presentRecord(committed, chosen, {
 *   audience: 'AT-BMI', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce, signer: holderKey,
 * });
 * ```
 */
export function presentRecord<S extends Signer>(
  committed: CommittedRecord | Uint8Array,
  disclosures: readonly (Disclosure | Uint8Array)[],
  opts: PresentOptions<S>,
): Signed<S, Uint8Array> {
  if (opts === null || typeof opts !== 'object') fail('ERR_INVALID_ARGUMENT', '"opts" expected an object');
  if (typeof opts.signer?.sign !== 'function') fail('ERR_INVALID_ARGUMENT', '"signer" expected a Signer');
  const bytes = committed instanceof Uint8Array ? committed : assertBytes('committed.bytes', committed?.bytes);
  if (!Array.isArray(disclosures)) fail('ERR_INVALID_ARGUMENT', '"disclosures" expected an array');
  const audience = assertString('audience', opts.audience, MAX_BINDING_LENGTH);
  const requestId = assertString('requestId', opts.requestId, MAX_BINDING_LENGTH);
  const purpose = assertString('purpose', opts.purpose, MAX_BINDING_LENGTH);
  const nonce = typeof opts.nonce === 'string' ? assertString('nonce', opts.nonce, MAX_BINDING_LENGTH) : assertBytes('nonce', opts.nonce);
  if (nonce.length === 0) fail('ERR_INVALID_ARGUMENT', '"nonce" must not be empty');
  const { opened, decoded } = resolveCommitted(bytes, disclosures);
  if (opened.holder !== undefined && !equalBytes(opened.holder, opts.signer.kid)) {
    fail('ERR_BINDING_MISMATCH', 'the record names another holder than this signer');
  }
  const list = [...decoded].sort((a, b) => compareBytes(a.digest, b.digest)).map((d) => d.bytes);
  const payload = new Map<string, unknown>([
    ['v', 1],
    ['aud', audience],
    ['req', requestId],
    ['purpose', purpose],
    ['nonce', nonce],
    ['iat', toMillis('issuedAt', opts.issuedAt)],
    ['rec', crypto.sha256(bytes)],
    ['sd', disclosuresHash(list)],
  ]);
  return signSign1(encodePayload(payload), opts.signer, {
    protectedHeaders: new Map([[16, PRESENTATION_TYP]]),
    unprotectedHeaders: new Map<string, unknown>([
      [PRESENTATION_LABELS.record, bytes],
      [PRESENTATION_LABELS.disclosures, list],
    ]),
  });
}
