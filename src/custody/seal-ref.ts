/**
 * The reference a custody event records for a custos seal (in its `seals` list, beside the
 * numbers of tamper-evident bags): `seal-sha256:` and the first 128 bits of the SHA-256 of the
 * seal's COSE_Sign1 bytes, in lower-case hex. The demo and `custos custody append --seal FILE`
 * compute it the same way, so a verifier can match an event to the seal in a bundle.
 */
import { assertBytes, toHex } from '../bytes.js';
import * as crypto from '#crypto';

/**
 * @example
 * ```ts
 * appendEvent(chain, { type: 'sealed', actor, seals: [sealReference(sealBytes)] }, key);
 * ```
 */
export function sealReference(seal: Uint8Array): string {
  return `seal-sha256:${toHex(crypto.sha256(assertBytes('seal', seal))).slice(0, 32)}`;
}
