/** The crypto backend in use (Node's OpenSSL or noble), re-exported for modules that want a name. */
export * from '#crypto';
export type { CryptoBackend, HashAlg, Sha256Hasher } from './types.js';
