/**
 * custos: seal, exchange and verify digital evidence across borders.
 *
 * This file only re-exports; each pillar lives in its own folder.
 * @packageDocumentation
 * @module custos
 */
export * from './errors.js';
export * from './report.js';
export * as bytes from './bytes.js';
export * as cbor from './cbor.js';
export { sha256 } from './digest.js';
export * from './keys/index.js';
export * from './envelope/index.js';
export * from './cose/index.js';
export * from './custody/index.js';
export * from './seal/index.js';
export * from './request/index.js';
export * from './log/index.js';
export * from './bundle/index.js';
export * from './redact/index.js';
export * as limits from './limits.js';
