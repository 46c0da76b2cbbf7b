/**
 * Node-only adapters: file helpers (atomic writes, streaming) and the fs-backed log store.
 * @packageDocumentation
 */
export { appendEventToFile, lockChainFile, readChainFile, verifyChainFile } from './custody-file.js';
export type { AppendFileOptions } from './custody-file.js';
