export { COSE_ALG, SigningKey, algFromCose, keyId, verifySignature } from './signing.js';
export type { AsyncSigner, SignatureAlg, Signer, SignerKey, SyncSigner } from './signing.js';
export type { MaybePromise, Signed } from './signed.js';
export { TrustStore, trustStoreSchema, trustedKeyEntry } from './trust.js';
export type { Authority, KeyLookup, TrustStoreDocument, TrustedKey } from './trust.js';
