/**
 * The slice of HPKE (RFC 9180) that age's `mlkem768x25519` stanza uses: base mode, one
 * message, KEM MLKEM768-X25519 (0x647a), KDF HKDF-SHA256 (0x0001), AEAD ChaCha20Poly1305
 * (0x0003). Written from RFC 9180 §4 (LabeledExtract/Expand) and §5.1 (KeySchedule); with a
 * single message the AEAD nonce is the base nonce (sequence number 0).
 */
import * as crypto from '#crypto';
import { concatBytes } from '../bytes.js';

const te = new TextEncoder();
const HPKE_V1 = te.encode('HPKE-v1');
const ZERO_SALT = new Uint8Array(32);

export const KEM_MLKEM768_X25519 = 0x647a;

function suiteId(kemId: number): Uint8Array {
  // "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id = 1, 2) ‖ I2OSP(aead_id = 3, 2)
  return concatBytes(te.encode('HPKE'), new Uint8Array([kemId >> 8, kemId & 0xff, 0, 1, 0, 3]));
}

/** HKDF-Extract(salt, ikm) = HMAC-SHA-256(salt, ikm); an empty salt is HashLen zeros (RFC 5869 §2.2). */
function extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return crypto.hmacSha256(salt.length === 0 ? ZERO_SALT : salt, ikm);
}

/** HKDF-Expand for L ≤ 32: T(1) = HMAC(prk, info ‖ 0x01), truncated. */
function expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return crypto.hmacSha256(prk, concatBytes(info, new Uint8Array([1]))).slice(0, length);
}

function labeledExtract(suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
  return extract(salt, concatBytes(HPKE_V1, suite, te.encode(label), ikm));
}

function labeledExpand(suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
  return expand(prk, concatBytes(new Uint8Array([length >> 8, length & 0xff]), HPKE_V1, suite, te.encode(label), info), length);
}

/** KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "") → AEAD key and nonce. */
export function hpkeBaseContext(kemId: number, sharedSecret: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const suite = suiteId(kemId);
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(suite, empty, 'psk_id_hash', empty);
  const infoHash = labeledExtract(suite, empty, 'info_hash', info);
  const context = concatBytes(new Uint8Array([0]), pskIdHash, infoHash);
  const secret = labeledExtract(suite, sharedSecret, 'secret', empty);
  return { key: labeledExpand(suite, secret, 'key', context, 32), nonce: labeledExpand(suite, secret, 'base_nonce', context, 12) };
}
