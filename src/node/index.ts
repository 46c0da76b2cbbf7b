/**
 * Node-only adapters: file helpers (atomic writes, streaming) and the fs-backed log store.
 * @packageDocumentation
 */
export { appendEventToFile, lockChainFile, readChainFile, verifyChainFile } from './custody-file.js';
export type { AppendFileOptions } from './custody-file.js';
export { openFile, sealFile, verifySealFile } from './seal-file.js';
export type { SealFileOptions } from './seal-file.js';
export { openLog } from './logstore.js';
export { CustodyLog } from './custody-log.js';
export type { ReceiptFile } from './custody-log.js';
export type { ConsistencyBundle, InclusionBundle, LogSigner, LogStore, OpenLogOptions } from './logstore.js';
export { dirTileFetcher } from './logfs.js';
export { decryptFile, decryptFileRange, encryptFile, rewrapFile } from './envelope.js';
export { AtomicWriter, removeOrphanTemps } from './files.js';
export * from './bundle-api.js';
