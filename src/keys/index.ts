export { COSE_ALG, SigningKey, algFromCose, keyId, verifySignature } from './signing.js';
export type { SignatureAlg, Signer } from './signing.js';
export { TrustStore, trustStoreSchema, trustedKeyEntry } from './trust.js';
export type { Authority, KeyLookup, TrustStoreDocument, TrustedKey } from './trust.js';
