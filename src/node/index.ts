/**
 * Node-only adapters: file helpers (atomic writes, streaming) and the fs-backed log store.
 * @packageDocumentation
 * @module custos/node
 */
export { appendEventToFile, lockChainFile, readChainFile, verifyChainFile } from './custody-file.js';
export type { AppendFileOptions } from './custody-file.js';
export { appendToChainFile, chainIdFile, chainIdOf, initChainFile, readChainIdFile } from './chain-file.js';
export type { AppendChainOptions } from './chain-file.js';
export { handOver, issuePending, logEvent, readHandOverDir, readReceiptsDir, receiptsDirOf, withChainLog } from './chain-receipts.js';
export type { ChainLog, ChainLogOptions, HandOverResult } from './chain-receipts.js';
export { openFile, sealFile, verifySealFile } from './seal-file.js';
export type { SealFileOptions } from './seal-file.js';
export { openLog } from './logstore.js';
export { CustodyLog } from './custody-log.js';
export type { ReceiptFile } from './custody-log.js';
export type { ConsistencyBundle, InclusionBundle, LogSigner, LogStore, OpenLogOptions } from './logstore.js';
export { dirTileFetcher } from './logfs.js';
export { decryptFile, decryptFileRange, encryptFile, rewrapFile } from './envelope.js';
export type { PlainInput } from './envelope.js';
export { AtomicWriter, removeOrphanTemps } from './files.js';
export * from './bundle-api.js';
export * from '../server/index.js';
export { openPkcs11Signer } from './pkcs11/signer.js';
export type { Pkcs11Signer, Pkcs11SignerOptions } from './pkcs11/signer.js';
export { parsePkcs11Uri, isPkcs11Uri, PKCS11_URI_MAX_LENGTH } from '../keys/pkcs11-uri.js';
export type { Pkcs11Uri } from '../keys/pkcs11-uri.js';
