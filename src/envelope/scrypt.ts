/**
 * The native passphrase recipient type (C2SP age §"scrypt recipient stanza"):
 * `-> scrypt <salt> <logN>`, wrap key = scrypt(N = 2^logN, r = 8, p = 1, dkLen = 32,
 * S = "age-encryption.org/v1/scrypt" ‖ salt, P = passphrase).
 *
 * Decryption bound: a hostile file could name any work factor, so the identity refuses
 * logN above `maxLogN` (default {@link DEFAULT_MAX_SCRYPT_LOG_N} = 22, the same bound as the
 * reference `age`; that is up to 4 GiB of memory and several seconds of CPU; lower it where
 * that is too much). Files written by custos and by `age -p` use logN 18.
 */
import * as crypto from '#crypto';
import { assertInteger, assertString, concatBytes, toBase64NoPad, utf8 } from '../bytes.js';
import { fail } from '../errors.js';
import type { Stanza } from './header.js';
import type { Identity, Recipient } from './types.js';
import { checkBody, openFileKey, sealFileKey, stanzaArgBytes } from './wrap.js';

export const SCRYPT_TYPE = 'scrypt';
/** Default work factor when encrypting (the same as `age -p`). */
export const DEFAULT_SCRYPT_LOG_N = 18;
/** Default upper bound on the work factor accepted when decrypting (as in age). */
export const DEFAULT_MAX_SCRYPT_LOG_N = 22;
const LABEL = new TextEncoder().encode('age-encryption.org/v1/scrypt');

function deriveKey(passphrase: Uint8Array, salt: Uint8Array, logN: number): Uint8Array {
  return crypto.scrypt(passphrase, concatBytes(LABEL, salt), logN, 8, 1, 32);
}

/**
 * Encrypts to a passphrase. An scrypt stanza must be the only one in the header, so `encrypt`
 * refuses to mix it with other recipients (ERR_SCRYPT_NOT_ALONE).
 *
 * @example
 * ```ts
 * const file = await encrypt(data, [new ScryptRecipient('correct horse battery staple')]);
 * ```
 */
export class ScryptRecipient implements Recipient {
  readonly #passphrase: Uint8Array;
  readonly logN: number;
  constructor(passphrase: string, options: { logN?: number } = {}) {
    this.#passphrase = utf8(assertString('passphrase', passphrase));
    this.logN = assertInteger('logN', options.logN ?? DEFAULT_SCRYPT_LOG_N, 1, 30);
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const salt = crypto.randomBytes(16);
    const body = sealFileKey(deriveKey(this.#passphrase, salt, this.logN), fileKey);
    return [{ type: SCRYPT_TYPE, args: [toBase64NoPad(salt), String(this.logN)], body }];
  }
}

/**
 * Decrypts with a passphrase, refusing work factors above `maxLogN` (ERR_SCRYPT_WORK_FACTOR).
 *
 * @example
 * ```ts
 * const plain = await decrypt(file, [new ScryptIdentity('correct horse battery staple', { maxLogN: 20 })]);
 * ```
 */
export class ScryptIdentity implements Identity {
  readonly #passphrase: Uint8Array;
  readonly maxLogN: number;
  constructor(passphrase: string, options: { maxLogN?: number } = {}) {
    this.#passphrase = utf8(assertString('passphrase', passphrase));
    this.maxLogN = assertInteger('maxLogN', options.maxLogN ?? DEFAULT_MAX_SCRYPT_LOG_N, 1, 30);
  }
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== SCRYPT_TYPE) continue;
      if (stanzas.length !== 1) fail('ERR_SCRYPT_NOT_ALONE', 'an scrypt stanza must be the only stanza in the header');
      if (s.args.length !== 2) fail('ERR_AGE_STANZA', 'scrypt stanza must have exactly two arguments');
      const salt = stanzaArgBytes(SCRYPT_TYPE, s.args[0]!, 16);
      const w = s.args[1]!;
      if (!/^[1-9][0-9]*$/.test(w)) fail('ERR_AGE_STANZA', 'scrypt work factor must be a decimal without leading zeros');
      const logN = w.length > 3 ? Infinity : Number(w);
      if (logN > this.maxLogN) fail('ERR_SCRYPT_WORK_FACTOR', `scrypt work factor 2^${w.length > 3 ? '…' : w} exceeds the bound 2^${this.maxLogN}`);
      checkBody(SCRYPT_TYPE, s.body);
      const fileKey = openFileKey(deriveKey(this.#passphrase, salt, logN), s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}
