export { SEAL_CONTENT_TYPE, contextMismatches, decodeSealManifest, encodeSealManifest, parseSealContext, parseSealManifest, sealContextSchema, sealManifestSchema } from './manifest.js';
export type { SealContext, SealManifest } from './manifest.js';
export { completeSeal, createSealTracker, prepareSeal, sealItem, signSeal } from './seal.js';
export type { PreparedSeal, SealedItem, SealOptions, SealResult, SealTracker } from './seal.js';
export { decodeSeal, payloadDigest, verifySeal } from './verify.js';
export type { DecodedSeal, SealCheck, SealReport, VerifySealOptions } from './verify.js';
export { admitSeal, openItem } from './open.js';
export type { OpenOptions, SealExpectation } from './open.js';
