export { TAR_BLOCK, TAR_END, TAR_MAX_ENTRIES, TAR_MAX_ENTRY_SIZE, TAR_MAX_NAME, TAR_MAX_PAX_SIZE, checkTarName, readTarIndex, tarHeader, tarPadding } from './tar.js';
export type { TarEntry, TarEntryOptions, TarRead } from './tar.js';
export { ITEM_ID, MANIFEST_CONTENT_TYPE, MANIFEST_MAX_BYTES, MANIFEST_NAME, decodeManifest, signManifest } from './manifest.js';
export type { BundleManifest, BundleManifestItem } from './manifest.js';
export { EVIDENCE_FILE_MAX_BYTES } from './checks.js';
export type { BundlePolicy } from './checks.js';
export type { BundleCheck, BundleReport } from './report.js';
