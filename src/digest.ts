/** The forensic digest, for callers: what custody events and seals record as `sha-256`. */
import { assertBytes } from './bytes.js';
import * as crypto from '#crypto';

/**
 * SHA-256 of `data` (FIPS 180-4), on the fastest backend of the platform (OpenSSL on Node, the
 * portable implementation elsewhere): the digest custody events carry as `digests['sha-256']`.
 *
 * @example
 * ```ts
 * import { bytes, sha256 } from 'custos';
 * bytes.toHex(sha256(new TextEncoder().encode('abc'))); // 'ba7816bf…f20015ad'
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  return crypto.sha256(assertBytes('data', data));
}
