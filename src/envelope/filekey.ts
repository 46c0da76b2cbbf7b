/**
 * Wrapping the file key for recipients and unwrapping it with identities, with the header-wide
 * rules: an scrypt stanza stands alone, the file key is 16 bytes, and the header MAC must verify
 * under the unwrapped key before a single payload byte is touched.
 */
import { CustosError, fail, isCustosError } from '../errors.js';
import type { AgeHeader, Stanza } from './header.js';
import { verifyHeaderMac } from './header.js';
import { SCRYPT_TYPE } from './scrypt.js';
import type { Identity, Recipient } from './types.js';
import { FILE_KEY_SIZE } from './wrap.js';

/** C2SP age: "The identity implementation MUST reject headers where an scrypt stanza is present alongside any other stanza." */
export function checkScryptAlone(stanzas: readonly Stanza[]): void {
  if (stanzas.length > 1 && stanzas.some((s) => s.type === SCRYPT_TYPE)) {
    fail('ERR_SCRYPT_NOT_ALONE', 'an scrypt stanza must be the only stanza in the header');
  }
}

/** Wraps `fileKey` for every recipient, in order. */
export async function wrapFileKey(recipients: readonly Recipient[], fileKey: Uint8Array): Promise<Stanza[]> {
  const stanzas: Stanza[] = [];
  for (const r of recipients) {
    const out = await r.wrapFileKey(fileKey.slice());
    if (!Array.isArray(out) || out.length === 0) fail('ERR_INVALID_ARGUMENT', 'a recipient returned no stanza');
    stanzas.push(...(out as Stanza[]));
  }
  checkScryptAlone(stanzas);
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
