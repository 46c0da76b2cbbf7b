/** The Node bundle API (re-exports only). */
export { createBundle, inspectBundle, nodePassHash, openBundleItem, verifyBundle } from './bundle.js';
export type { BundleInfo, BundleItemInput, CreateBundleOptions, OpenBundleItemOptions, OpenedBundleItem, VerifyBundleOptions } from './bundle.js';
export type { OpenExpectation } from '../bundle/open.js';
export { AtomicFile, TAR_READ_CHUNK, TarFile, TarWriter, iterateStream, openBundleFile, writeFileAtomic } from './bundle-fs.js';
export type { ByteSink, FileSource } from './bundle-fs.js';
export { agePayloadSize, sealForBundle } from './seal-bundle.js';
export type { SealingItem } from './seal-bundle.js';
