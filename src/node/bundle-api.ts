/** The Node bundle API (re-exports only). */
export { createBundle, verifyBundle } from './bundle.js';
export type { BundleItemInput, CreateBundleOptions, VerifyBundleOptions } from './bundle.js';
export { openBundleItem } from './bundle-open.js';
export type { OpenBundleItemOptions, OpenExpectation, OpenedBundleItem } from './bundle-open.js';
export { inspectBundle } from './bundle-inspect.js';
export type { BundleInfo } from './bundle-inspect.js';
export { AtomicFile, TAR_READ_CHUNK, TarFile, TarWriter, iterateStream, writeFileAtomic } from './bundle-fs.js';
export type { ByteSink } from './bundle-fs.js';
