/**
 * The digest that binds a status chain to its request document: SHA-256 over the document's
 * deterministic CBOR (RFC 8949 §4.2.1, custos' profile in `cbor.ts`), so any edit of the document
 * after issue (an emergency flag, a data category, the instrument) changes it.
 */
import * as crypto from '#crypto';
import { encode } from '../cbor.js';
import type { EvidenceRequest } from './schema.js';
import { validateRequest } from './validate.js';

/**
 * SHA-256 of the request's deterministic CBOR encoding (the request is validated first).
 *
 * @example
 * ```ts
 * const d = requestDigest(validateRequest(json)); // 32 bytes; `issued` carries it as `document`
 * ```
 */
export function requestDigest(request: EvidenceRequest): Uint8Array {
  return crypto.sha256(encode(validateRequest(request)));
}
