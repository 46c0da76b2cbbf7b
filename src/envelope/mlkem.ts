/**
 * The native hybrid post-quantum recipient type (C2SP age §"mlkem768x25519 recipient stanza"):
 * HPKE SealBase with KEM MLKEM768-X25519 (X-Wing), HKDF-SHA256, ChaCha20Poly1305,
 * info = "age-encryption.org/mlkem768x25519", empty aad; `-> mlkem768x25519 <enc>`, body = ct.
 */
import * as crypto from '#crypto';
import { assertBytes, toBase64NoPad } from '../bytes.js';
import { CustosError, fail, isCustosError } from '../errors.js';
import type { Stanza } from './header.js';
import { KEM_MLKEM768_X25519, hpkeBaseContext } from './hpke.js';
import type { Identity, Recipient } from './types.js';
import { checkBody, openFileKey, stanzaArgBytes } from './wrap.js';

const INFO = new TextEncoder().encode('age-encryption.org/mlkem768x25519');
export const MLKEM768X25519_TYPE = 'mlkem768x25519';
const ENC_SIZE = 1120;

/**
 * A hybrid recipient from its 1216-byte public key (`age1pq1…` decoded).
 *
 * @example
 * ```ts
 * const stanzas = new MlKem768X25519Recipient(publicKey).wrapFileKey(fileKey);
 * ```
 */
export class MlKem768X25519Recipient implements Recipient {
  readonly publicKey: Uint8Array;
  constructor(publicKey: Uint8Array) {
    this.publicKey = assertBytes('publicKey', publicKey, 1216).slice();
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const { enc, sharedSecret } = crypto.mlkem768x25519Encapsulate(this.publicKey);
    const { key, nonce } = hpkeBaseContext(KEM_MLKEM768_X25519, sharedSecret, INFO);
    const body = crypto.chacha20poly1305Seal(key, nonce, fileKey);
    return [{ type: MLKEM768X25519_TYPE, args: [toBase64NoPad(enc)], body }];
  }
}

/**
 * A hybrid identity from its 32-byte seed (`AGE-SECRET-KEY-PQ-1…` decoded).
 *
 * @example
 * ```ts
 * const fileKey = new MlKem768X25519Identity(seed).unwrapFileKey(header.stanzas);
 * ```
 */
export class MlKem768X25519Identity implements Identity {
  readonly #seed: Uint8Array;
  constructor(seed: Uint8Array) {
    this.#seed = assertBytes('seed', seed, 32).slice();
  }
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== MLKEM768X25519_TYPE) continue;
      if (s.args.length !== 1) fail('ERR_AGE_STANZA', 'mlkem768x25519 stanza must have exactly one argument');
      const enc = stanzaArgBytes(MLKEM768X25519_TYPE, s.args[0]!, ENC_SIZE);
      checkBody(MLKEM768X25519_TYPE, s.body);
      let shared: Uint8Array;
      try {
        shared = crypto.mlkem768x25519Decapsulate(enc, this.#seed);
      } catch (e) {
        if (isCustosError(e, 'ERR_X25519_LOW_ORDER')) throw new CustosError('ERR_AGE_STANZA', 'mlkem768x25519 X25519 share is a low-order point', { cause: e });
        throw e;
      }
      const { key, nonce } = hpkeBaseContext(KEM_MLKEM768_X25519, shared, INFO);
      const fileKey = openFileKey(key, s.body, nonce);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}
