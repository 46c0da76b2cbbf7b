/**
 * The native X25519 recipient type (C2SP age §"X25519 recipient stanza"):
 * `-> X25519 <ephemeral share>`, body = ChaCha20-Poly1305(HKDF(shared, share ‖ recipient,
 * "age-encryption.org/v1/X25519"), file key).
 */
import * as crypto from '#crypto';
import { assertBytes, concatBytes, toBase64NoPad } from '../bytes.js';
import { CustosError, fail, isCustosError } from '../errors.js';
import type { Stanza } from './header.js';
import type { Identity, Recipient } from './types.js';
import { checkBody, openFileKey, sealFileKey, stanzaArgBytes } from './wrap.js';

const LABEL = new TextEncoder().encode('age-encryption.org/v1/X25519');
export const X25519_TYPE = 'X25519';

function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  return crypto.hkdfSha256(shared, concatBytes(share, recipient), LABEL, 32);
}

/**
 * An X25519 recipient from its 32-byte public key (use `recipientFromString` for `age1…`).
 *
 * @example
 * ```ts
 * const r = new X25519Recipient(publicKey);
 * const stanzas = r.wrapFileKey(fileKey); // [{ type: 'X25519', args: [share], body }]
 * ```
 */
export class X25519Recipient implements Recipient {
  readonly publicKey: Uint8Array;
  constructor(publicKey: Uint8Array) {
    this.publicKey = assertBytes('publicKey', publicKey, 32).slice();
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = crypto.randomBytes(32);
    const share = crypto.x25519PublicKey(ephemeral);
    const shared = crypto.x25519(ephemeral, this.publicKey);
    ephemeral.fill(0);
    const body = sealFileKey(wrapKey(shared, share, this.publicKey), fileKey);
    return [{ type: X25519_TYPE, args: [toBase64NoPad(share)], body }];
  }
}

/**
 * An X25519 identity from its 32-byte scalar (use `identitiesFromString` for `AGE-SECRET-KEY-1…`).
 *
 * @example
 * ```ts
 * const fileKey = new X25519Identity(secret).unwrapFileKey(header.stanzas); // null if not ours
 * ```
 */
export class X25519Identity implements Identity {
  readonly #secret: Uint8Array;
  readonly publicKey: Uint8Array;
  constructor(secret: Uint8Array) {
    this.#secret = assertBytes('secret', secret, 32).slice();
    this.publicKey = crypto.x25519PublicKey(this.#secret);
  }
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== X25519_TYPE) continue;
      if (s.args.length !== 1) fail('ERR_AGE_STANZA', 'X25519 stanza must have exactly one argument');
      const share = stanzaArgBytes(X25519_TYPE, s.args[0]!, 32);
      checkBody(X25519_TYPE, s.body);
      let shared: Uint8Array;
      try {
        shared = crypto.x25519(this.#secret, share);
      } catch (e) {
        // An all-zero shared secret (low-order share) MUST abort (C2SP age).
        if (isCustosError(e, 'ERR_X25519_LOW_ORDER')) throw new CustosError('ERR_AGE_STANZA', 'X25519 share is a low-order point', { cause: e });
        throw e;
      }
      const fileKey = openFileKey(wrapKey(shared, share, this.publicKey), s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}
