/**
 * Wrapping the file key for recipients and unwrapping it with identities, with the header-wide
 * rules: an scrypt stanza stands alone, the file key is 16 bytes, and the header MAC must verify
 * under the unwrapped key before a single payload byte is touched.
 */
import { CustosError, fail, isCustosError } from '../errors.js';
import type { AgeHeader, Stanza } from './header.js';
import { verifyHeaderMac } from './header.js';
import { MLKEM768X25519_TYPE } from './mlkem.js';
import { SCRYPT_TYPE } from './scrypt.js';
import type { Identity, Recipient } from './types.js';
import { FILE_KEY_SIZE } from './wrap.js';

/** C2SP age: "The identity implementation MUST reject headers where an scrypt stanza is present alongside any other stanza." */
export function checkScryptAlone(stanzas: readonly Stanza[]): void {
  if (stanzas.length > 1 && stanzas.some((s) => s.type === SCRYPT_TYPE)) {
    fail('ERR_SCRYPT_NOT_ALONE', 'an scrypt stanza must be the only stanza in the header');
  }
}

/** Stanza types whose wrapping resists a quantum adversary (the hybrid ML-KEM-768 + X25519). */
const PQ_STANZA_TYPES: ReadonlySet<string> = new Set([MLKEM768X25519_TYPE]);

/** Options of the header-wide recipient rules. */
export interface RecipientRules {
  /**
   * Allow a post-quantum recipient (`mlkem768x25519`) in the same file as a classic one
   * (X25519, scrypt, or a plug-in stanza custos cannot classify). Off by default: breaking the
   * classic stanza recovers the file key, so such a file is not quantum-resistant (C2SP age:
   * a file SHOULD NOT mix them). Opting in is a decision a seal records in its context.
   */
  readonly allowMixedPostQuantum?: boolean;
}

/** True when the stanzas include a post-quantum one and any other (the file is only as strong as the weakest). */
export function mixesPostQuantum(stanzas: readonly Stanza[]): boolean {
  const pq = stanzas.some((s) => PQ_STANZA_TYPES.has(s.type));
  return pq && stanzas.some((s) => !PQ_STANZA_TYPES.has(s.type));
}

/** Refuses (ERR_PQ_MIXED) a header that mixes post-quantum and classic stanzas, unless allowed. */
export function checkPostQuantumNotMixed(stanzas: readonly Stanza[], rules: RecipientRules = {}): void {
  if (rules.allowMixedPostQuantum === true || !mixesPostQuantum(stanzas)) return;
  const classic = [...new Set(stanzas.filter((s) => !PQ_STANZA_TYPES.has(s.type)).map((s) => s.type))].join(', ');
  fail('ERR_PQ_MIXED', `a post-quantum recipient is mixed with classic ones (${classic}): breaking those recovers the file key; encrypt to post-quantum recipients only, or pass allowMixedPostQuantum`);
}

/** Wraps `fileKey` for every recipient, in order, and applies the header-wide rules. */
export async function wrapFileKey(recipients: readonly Recipient[], fileKey: Uint8Array, rules: RecipientRules = {}): Promise<Stanza[]> {
  const stanzas: Stanza[] = [];
  for (const r of recipients) {
    const out = await r.wrapFileKey(fileKey.slice());
    if (!Array.isArray(out) || out.length === 0) fail('ERR_INVALID_ARGUMENT', 'a recipient returned no stanza');
    stanzas.push(...(out as Stanza[]));
  }
  checkScryptAlone(stanzas);
  checkPostQuantumNotMixed(stanzas, rules);
  return stanzas;
}

/**
 * Tries each identity in turn and returns the file key of the first that recognises a stanza;
 * then verifies the header MAC with it. ERR_NO_IDENTITY if none matches, ERR_HEADER_MAC if the
 * MAC fails; an identity's own error ("mine but broken") propagates.
 */
export async function unwrapFileKey(header: AgeHeader, identities: readonly Identity[]): Promise<Uint8Array> {
  checkScryptAlone(header.stanzas);
  for (const id of identities) {
    let key: Uint8Array | null;
    try {
      key = await id.unwrapFileKey(header.stanzas);
    } catch (e) {
      if (isCustosError(e)) throw e;
      throw new CustosError('ERR_AGE_STANZA', 'an identity rejected a stanza addressed to it', { cause: e });
    }
    if (key === null || key === undefined) continue;
    if (!(key instanceof Uint8Array) || key.length !== FILE_KEY_SIZE) fail('ERR_AGE_STANZA', 'an identity returned a file key that is not 16 bytes');
    if (!verifyHeaderMac(header, key)) fail('ERR_HEADER_MAC', 'the header MAC does not verify');
    return key;
  }
  return fail('ERR_NO_IDENTITY', 'none of the identities can unwrap the file key');
}
