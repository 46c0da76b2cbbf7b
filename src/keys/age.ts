/**
 * age key strings (C2SP age §"Native recipient types"): Bech32 (BIP 173 without the length
 * limit) with HRP `age` / `AGE-SECRET-KEY-` for X25519 and `age1pq` / `AGE-SECRET-KEY-PQ-` for
 * the MLKEM768-X25519 hybrid. Secret keys are written upper-case, recipients lower-case, as age
 * does; parsing accepts either case (the checksum covers the letters, mixed case is rejected).
 */
import * as crypto from '#crypto';
import { assertString, fromBech32, toBech32 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';

export type AgeKeyKind = 'x25519' | 'mlkem768x25519';

/** A decoded age recipient: an X25519 point (32 bytes) or a hybrid public key (1216 bytes). */
export interface AgeRecipientKey {
  readonly kind: AgeKeyKind;
  readonly publicKey: Uint8Array;
}

/** A decoded age identity: the 32-byte X25519 scalar or hybrid seed. */
export interface AgeIdentityKey {
  readonly kind: AgeKeyKind;
  readonly secret: Uint8Array;
}

const HRP = {
  x25519: { recipient: 'age', identity: 'age-secret-key-', pub: 32 },
  mlkem768x25519: { recipient: 'age1pq', identity: 'age-secret-key-pq-', pub: 1216 },
} as const;

function decode(s: string): { hrp: string; data: Uint8Array } {
  if (s.trim() !== s) fail('ERR_KEY_FORMAT', 'age key string has surrounding whitespace');
  try {
    return fromBech32(s);
  } catch (e) {
    throw new CustosError('ERR_KEY_FORMAT', 'age key string is not valid Bech32', { cause: e });
  }
}

/**
 * Decodes an `age1…` (X25519) or `age1pq1…` (MLKEM768-X25519) recipient string.
 *
 * @example
 * ```ts
 * parseAgeRecipient('age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj').kind; // 'x25519'
 * ```
 */
export function parseAgeRecipient(s: string): AgeRecipientKey {
  assertString('recipient', s, 1 << 16);
  const { hrp, data } = decode(s);
  for (const kind of ['x25519', 'mlkem768x25519'] as const) {
    if (hrp === HRP[kind].recipient) {
      if (data.length !== HRP[kind].pub) fail('ERR_KEY_FORMAT', `${kind} recipient must be ${HRP[kind].pub} bytes, got ${data.length}`);
      return { kind, publicKey: data };
    }
  }
  return fail('ERR_KEY_FORMAT', `unknown age recipient type "${hrp}"`);
}

/**
 * Decodes an `AGE-SECRET-KEY-1…` (X25519) or `AGE-SECRET-KEY-PQ-1…` (hybrid) identity string.
 *
 * @example
 * ```ts
 * const { kind, secret } = parseAgeIdentity(identityString); // secret: 32 bytes
 * ```
 */
export function parseAgeIdentity(s: string): AgeIdentityKey {
  assertString('identity', s, 1024);
  const { hrp, data } = decode(s);
  for (const kind of ['x25519', 'mlkem768x25519'] as const) {
    if (hrp === HRP[kind].identity) {
      if (data.length !== 32) fail('ERR_KEY_FORMAT', `${kind} identity must be 32 bytes, got ${data.length}`);
      return { kind, secret: data };
    }
  }
  return fail('ERR_KEY_FORMAT', 'not an age identity string');
}

/** Encodes a recipient string (lower-case Bech32). */
export function encodeAgeRecipient(key: AgeRecipientKey): string {
  if (key.publicKey.length !== HRP[key.kind].pub) fail('ERR_INVALID_ARGUMENT', `"publicKey" expected ${HRP[key.kind].pub} bytes`);
  return toBech32(HRP[key.kind].recipient, key.publicKey);
}

/** Encodes an identity string (upper-case Bech32, as age writes it). */
export function encodeAgeIdentity(key: AgeIdentityKey): string {
  if (key.secret.length !== 32) fail('ERR_INVALID_ARGUMENT', '"secret" expected 32 bytes');
  return toBech32(HRP[key.kind].identity, key.secret, true);
}

/** The public key for a decoded identity. */
export function ageIdentityPublicKey(key: AgeIdentityKey): AgeRecipientKey {
  const publicKey = key.kind === 'x25519' ? crypto.x25519PublicKey(key.secret) : crypto.mlkem768x25519PublicKey(key.secret);
  return { kind: key.kind, publicKey };
}

/**
 * The recipient string (`age1…` or `age1pq1…`) for an identity string.
 *
 * @example
 * ```ts
 * const { identity } = generateIdentity({ pq: true });
 * identityToRecipient(identity).startsWith('age1pq1'); // true
 * ```
 */
export function identityToRecipient(identity: string): string {
  return encodeAgeRecipient(ageIdentityPublicKey(parseAgeIdentity(identity)));
}

/**
 * Generates a fresh identity: X25519 by default, MLKEM768-X25519 with `{ pq: true }` (what
 * evidence that must stay confidential for decades should use).
 *
 * @example
 * ```ts
 * const { identity, recipient } = generateIdentity({ pq: true });
 * // identity: 'AGE-SECRET-KEY-PQ-1…', recipient: 'age1pq1…'
 * ```
 */
export function generateIdentity(options: { pq?: boolean } = {}): { identity: string; recipient: string } {
  const kind: AgeKeyKind = options.pq === true ? 'mlkem768x25519' : 'x25519';
  const key: AgeIdentityKey = { kind, secret: crypto.randomBytes(32) };
  return { identity: encodeAgeIdentity(key), recipient: encodeAgeRecipient(ageIdentityPublicKey(key)) };
}
