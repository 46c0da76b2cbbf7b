/**
 * Signed-note keys and their text forms.
 *
 * - Key ID (signed-note "Signatures"): the first four bytes, big-endian, of
 *   SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key).
 * - Verifier key (vkey, signed-note "Verifier keys"): `<name>+<hex key ID>+<base64(type ‖ public key)>`.
 *   The base64 part can itself contain '+', so it is split on the first two '+' only.
 * - Signer key (as golang.org/x/mod/sumdb/note writes it): `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ seed)>`.
 *
 * Types: 0x01 Ed25519 note signatures (log keys), 0x04 timestamped Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature, witness keys).
 */
import * as crypto from '#crypto';
import { assertBytes, assertString, concatBytes, fromBase64, toBase64, utf8 } from '../bytes.js';
import { fail } from '../errors.js';
import { SigningKey, type Signer } from '../keys/signing.js';
import { signWith, type Signed } from '../keys/signed.js';
import { cosignatureMessage, splitTimestampedSignature } from './cosignature.js';
import { hex8, isValidKeyName, type NoteSigner, type NoteVerifier } from './note.js';

/** Signature type byte of plain Ed25519 note signatures. */
export const NOTE_TYPE_ED25519 = 0x01;
/** Signature type byte of timestamped Ed25519 witness cosignatures (tlog-cosignature). */
export const NOTE_TYPE_COSIGNATURE = 0x04;

/** SHA-256(name ‖ 0x0A ‖ type ‖ publicKey)[:4] as a uint32. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = crypto.sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

function checkName(name: string): void {
  assertString('name', name, 1024);
  if (!isValidKeyName(name)) fail('ERR_INVALID_ARGUMENT', '"name" must be non-empty without spaces or "+"');
}

/** A verifier for an Ed25519 public key of the given signature type (0x01 or 0x04). */
export function noteVerifier(name: string, publicKey: Uint8Array, type: number = NOTE_TYPE_ED25519): NoteVerifier {
  checkName(name);
  const pk = assertBytes('publicKey', publicKey, 32).slice();
  if (type !== NOTE_TYPE_ED25519 && type !== NOTE_TYPE_COSIGNATURE) fail('ERR_UNSUPPORTED', `note signature type 0x${type.toString(16)} is not supported`);
  const keyId = noteKeyId(name, type, pk);
  const verify =
    type === NOTE_TYPE_ED25519
      ? (text: Uint8Array, sig: Uint8Array) => crypto.ed25519Verify(pk, text, sig)
      : (text: Uint8Array, sig: Uint8Array) => {
          const t = splitTimestampedSignature(sig);
          return t !== null && crypto.ed25519Verify(pk, cosignatureMessage(text, t.timestamp), t.signature);
        };
  return Object.freeze({ name, keyId, type, publicKey: pk, verify });
}

/** Formats a verifier key string `<name>+<hex key ID>+<base64(type ‖ key)>`. */
export function formatVerifierKey(v: Pick<NoteVerifier, 'name' | 'keyId' | 'type' | 'publicKey'>): string {
  return `${v.name}+${hex8(v.keyId)}+${toBase64(concatBytes(new Uint8Array([v.type]), v.publicKey))}`;
}

/**
 * Parses a verifier key string; the key ID must match the one computed from the key.
 *
 * @example
 * ```ts
 * const v = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
 * ```
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  assertString('vkey', vkey, 4096);
  const a = vkey.indexOf('+');
  const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
  if (a <= 0 || b < 0) fail('ERR_KEY_FORMAT', 'verifier key must be name+keyid+key');
  const name = vkey.slice(0, a);
  const idHex = vkey.slice(a + 1, b);
  if (!isValidKeyName(name)) fail('ERR_KEY_FORMAT', 'verifier key name is invalid');
  if (!/^[0-9a-f]{8}$/.test(idHex)) fail('ERR_KEY_FORMAT', 'verifier key ID must be 8 lowercase hex digits');
  let raw: Uint8Array;
  try {
    raw = fromBase64(vkey.slice(b + 1));
  } catch {
    fail('ERR_KEY_FORMAT', 'verifier key material is not base64');
  }
  if (raw.length !== 33) fail('ERR_KEY_FORMAT', 'verifier key must be a type byte and a 32-byte Ed25519 key');
  const type = raw[0]!;
  if (type !== NOTE_TYPE_ED25519 && type !== NOTE_TYPE_COSIGNATURE) fail('ERR_UNSUPPORTED', `note key type 0x${type.toString(16)} is not supported`);
  const v = noteVerifier(name, raw.subarray(1), type);
  if (hex8(v.keyId) !== idHex) fail('ERR_KEY_FORMAT', 'verifier key ID does not match the key');
  return v;
}

/**
 * A note signer made from a {@link Signer}: synchronous for a `SigningKey`, asynchronous for a
 * token or KMS key, with the note key's type and public key.
 */
export interface NoteKey<S extends Signer = Signer> {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
  sign(text: Uint8Array): Signed<S, Uint8Array>;
}

/** A note signer (type 0x01 or 0x04) from an Ed25519 {@link Signer}, such as a `SigningKey` or a token key. */
export function noteSigner<S extends Signer>(name: string, signer: S, type: number = NOTE_TYPE_ED25519): NoteKey<S> {
  checkName(name);
  if (signer.alg !== 'EdDSA') fail('ERR_UNSUPPORTED', 'signed notes need an Ed25519 key');
  if (type !== NOTE_TYPE_ED25519 && type !== NOTE_TYPE_COSIGNATURE) fail('ERR_UNSUPPORTED', `note signature type 0x${type.toString(16)} is not supported`);
  const publicKey = signer.publicKey.slice();
  const keyId = noteKeyId(name, type, publicKey);
  // signWith checks what a token or KMS returns against the public key the note key names.
  return Object.freeze({ name, keyId, type, publicKey, sign: (text: Uint8Array) => signWith(signer, text, (sig) => sig) });
}

/** A seed-holding Ed25519 signer for note keys read from text; never exposes the seed. */
function seedSigner(seed: Uint8Array): SigningKey {
  return SigningKey.fromSecret(seed, 'EdDSA');
}

/**
 * Generates a note key pair and its text forms (`skey` is secret: store it 0600).
 *
 * @example
 * ```ts
 * const { skey, vkey } = generateNoteKey('log.example.org/custody');
 * ```
 */
export function generateNoteKey(name: string, type: number = NOTE_TYPE_ED25519): { skey: string; vkey: string } {
  checkName(name);
  const seed = crypto.randomBytes(32);
  try {
    const signer = noteSigner(name, seedSigner(seed), type);
    const vkey = formatVerifierKey(signer);
    const skey = `PRIVATE+KEY+${name}+${hex8(signer.keyId)}+${toBase64(concatBytes(new Uint8Array([type]), seed))}`;
    return { skey, vkey };
  } finally {
    seed.fill(0);
  }
}

/** Parses a `PRIVATE+KEY+…` signer key string. Errors never include the key material. */
export function parseSignerKey(skey: string): NoteKey<SigningKey> {
  assertString('skey', skey, 4096);
  // The base64 part may contain '+': split on the first four only.
  const parts = skey.split('+');
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') fail('ERR_KEY_FORMAT', 'signer key must be PRIVATE+KEY+name+keyid+key');
  const [, , name, idHex] = parts as [string, string, string, string];
  const b64 = parts.slice(4).join('+');
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex)) fail('ERR_KEY_FORMAT', 'signer key name or key ID is invalid');
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64);
  } catch {
    fail('ERR_KEY_FORMAT', 'signer key material is not base64');
  }
  try {
    if (raw.length !== 33) fail('ERR_KEY_FORMAT', 'signer key must be a type byte and a 32-byte seed');
    const signer = noteSigner(name, seedSigner(raw.subarray(1)), raw[0]!);
    if (hex8(signer.keyId) !== idHex) fail('ERR_KEY_FORMAT', 'signer key ID does not match the key');
    return signer;
  } finally {
    raw.fill(0);
  }
}
