/**
 * Envelope encryption: the age v1 format, byte for byte (C2SP age).
 * @packageDocumentation
 */
export { encrypt, createEncryptor } from './encrypt.js';
export type { AgeEncryptor, EncryptOptions } from './encrypt.js';
export { decrypt, readHeader } from './decrypt.js';
export type { DecryptOptions } from './decrypt.js';
export { rewrap } from './rewrap.js';
export type { RewrapChanges } from './rewrap.js';
export { decryptRange } from './range.js';
export type { RandomAccessSource, RangeOptions } from './range.js';
export { armor, dearmor } from './armor.js';
export { parseHeader, encodeHeader, AGE_MAX_STANZAS, DEFAULT_MAX_HEADER_BYTES } from './header.js';
export type { AgeHeader, Stanza } from './header.js';
export { CHUNK_SIZE, payloadSize, plaintextSize } from './stream.js';
export { X25519Recipient, X25519Identity } from './x25519.js';
export { MlKem768X25519Recipient, MlKem768X25519Identity } from './mlkem.js';
export { ScryptRecipient, ScryptIdentity, DEFAULT_MAX_SCRYPT_LOG_N, DEFAULT_SCRYPT_LOG_N } from './scrypt.js';
export { recipientFromString, identityFromString, parseIdentityFile, parseRecipientsFile } from './keys.js';
export type { Identity, IdentityInput, Recipient, RecipientInput } from './types.js';
export { generateIdentity, identityToRecipient } from '../keys/age.js';
