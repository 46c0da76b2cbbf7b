/**
 * Shared pieces of the native stanzas: the file-key AEAD with a zero nonce, strict argument
 * decoding, and the body-length check every native identity performs before decrypting
 * (C2SP age: "MUST check that the body length is exactly 32 bytes … partitioning oracle").
 */
import * as crypto from '#crypto';
import { fromBase64NoPad } from '../bytes.js';
import { CustosError, fail } from '../errors.js';

export const FILE_KEY_SIZE = 16;
const ZERO_NONCE = new Uint8Array(12);

/** body = ChaCha20-Poly1305(key = wrap key, nonce = 0¹², plaintext = file key). */
export function sealFileKey(wrapKey: Uint8Array, fileKey: Uint8Array): Uint8Array {
  return crypto.chacha20poly1305Seal(wrapKey, ZERO_NONCE, fileKey);
}

/** Opens a 32-byte stanza body; null if the tag does not verify (a "not mine" stanza). */
export function openFileKey(wrapKey: Uint8Array, body: Uint8Array, nonce: Uint8Array = ZERO_NONCE): Uint8Array | null {
  try {
    return crypto.chacha20poly1305Open(wrapKey, nonce, body);
  } catch {
    return null;
  }
}

/** Rejects a body that is not exactly 16 + 16 bytes before any decryption is tried. */
export function checkBody(type: string, body: Uint8Array): void {
  if (body.length !== FILE_KEY_SIZE + 16) fail('ERR_AGE_STANZA', `${type} stanza body must be 32 bytes, got ${body.length}`);
}

/** Canonical unpadded base64 of exactly `length` bytes, else ERR_AGE_STANZA. */
export function stanzaArgBytes(type: string, arg: string, length: number): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromBase64NoPad(arg);
  } catch (e) {
    throw new CustosError('ERR_AGE_STANZA', `${type} stanza argument is not canonical base64`, { cause: e });
  }
  if (b.length !== length) fail('ERR_AGE_STANZA', `${type} stanza argument must encode ${length} bytes, got ${b.length}`);
  return b;
}
