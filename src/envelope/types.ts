/**
 * The plug-in interface: anything that can wrap a file key into stanzas (a recipient) or unwrap
 * it from them (an identity). The native X25519, MLKEM768-X25519 and scrypt types implement it,
 * and so can an HSM, a KMS or a smart card adapter.
 */
import type { Stanza } from './header.js';

export type { Stanza };

/**
 * Wraps a file key for one recipient.
 *
 * @example
 * ```ts
 * const kmsRecipient: Recipient = {
 *   async wrapFileKey(fileKey) {
 *     const body = await kms.encrypt(keyId, fileKey);
 *     return [{ type: 'example.org/kms', args: [keyId], body }];
 *   },
 * };
 * ```
 */
export interface Recipient {
  /** Returns one or more stanzas carrying `fileKey` (16 bytes). Called once per file. */
  wrapFileKey(fileKey: Uint8Array): readonly Stanza[] | Promise<readonly Stanza[]>;
}

/**
 * Unwraps a file key from the header's stanzas.
 *
 * Contract (as in age): return `null` when no stanza is addressed to this identity ("not
 * mine"); throw a {@link CustosError} when a stanza is addressed to it but is malformed or
 * unusable ("mine but broken"), so a corrupted file is reported instead of looking like a key
 * mismatch. A stanza that fails authentication under this key is "not mine" (null).
 *
 * @example
 * ```ts
 * const kmsIdentity: Identity = {
 *   async unwrapFileKey(stanzas) {
 *     const s = stanzas.find((s) => s.type === 'example.org/kms' && s.args[0] === keyId);
 *     return s === undefined ? null : await kms.decrypt(keyId, s.body);
 *   },
 * };
 * ```
 */
export interface Identity {
  unwrapFileKey(stanzas: readonly Stanza[]): Uint8Array | null | Promise<Uint8Array | null>;
}

/** What `encrypt` accepts as a recipient: an `age1…`/`age1pq1…` string or a {@link Recipient}. */
export type RecipientInput = string | Recipient;

/**
 * What `decrypt` accepts as identities: an identity string, the text of an identity file
 * (comments and several keys allowed), or an {@link Identity} object.
 */
export type IdentityInput = string | Identity;
