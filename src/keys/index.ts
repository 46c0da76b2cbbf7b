export { COSE_ALG, SigningKey, algFromCose, keyId, verifySignature } from './signing.js';
export type { AsyncSigner, SignatureAlg, Signer, SignerKey, SyncSigner } from './signing.js';
export type { MaybePromise, Signed } from './signed.js';
export { TrustStore, trustStoreSchema, trustedKeyEntry } from './trust.js';
export type { Authority, KeyLookup, TrustStoreDocument, TrustedKey } from './trust.js';
export { signerOf, trustedSignerAt, verifySignedBy } from './verify-signed.js';
export type { FoundSigner, NotSignedBy, SignedBy, SignedByResult, SignedByStep, SignerRules, VerifySignedOptions } from './verify-signed.js';
