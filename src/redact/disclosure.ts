/**
 * Records, salted disclosures and their digests: the building blocks of custos' redaction profile.
 *
 * The profile follows SD-CWT (draft-ietf-spice-sd-cwt §"Types of Redacted Claims") on our
 * deterministic CBOR: a redacted map entry is disclosed as `[salt, value, key]`, a redacted array
 * element as `[salt, value]`, the salt is 16 bytes from the CSPRNG, and the digest is SHA-256 over
 * the disclosure's exact CBOR bytes. Where SD-CWT puts map digests under the simple value 59,
 * which our strict CBOR profile does not carry, we use the reserved text key `_sd` (as SD-JWT
 * does); redacted array elements are tag 60 around the digest, exactly as in SD-CWT. Decoy digests
 * are SHA-256 over `[salt]` with a fresh salt, the SD-CWT decoy shape; nobody ever discloses one.
 */
import * as crypto from '#crypto';
import { describe as describeValue } from '../bytes.js';
import { decode, encode, Tag } from '../cbor.js';
import { CustosError, fail } from '../errors.js';

/** A JSON-like value a record may hold: no floats, no `undefined`, byte strings allowed. */
export type RecordValue =
  | string
  | number
  | boolean
  | null
  | Uint8Array
  | readonly RecordValue[]
  | { readonly [key: string]: RecordValue };

/** A record: a map from text keys to values. */
export type RecordMap = { readonly [key: string]: RecordValue };

/** The key holding a map's digest list; records may not use it. */
export const SD_KEY = '_sd';
/** Key names records may not use (ERR_RESERVED_KEY). */
export const RESERVED_KEYS: readonly string[] = [SD_KEY];
/** CBOR tag wrapping the digest of a redacted array element (SD-CWT "redacted claim element"). */
export const REDACTED_ELEMENT_TAG = 60;
/** Salt size in bytes (128 bits, as SD-CWT requires). */
export const SALT_BYTES = 16;
/** Digest size in bytes (SHA-256). */
export const DIGEST_BYTES = 32;
/** Deepest nesting of maps and arrays accepted in a record. */
export const MAX_RECORD_DEPTH = 32;
/** Largest disclosure accepted, in bytes. */
export const MAX_DISCLOSURE_BYTES = 1024 * 1024;

/** A decoded disclosure, as a verifier or holder sees it. */
export interface DecodedDisclosure {
  /** The exact bytes the digest is computed over. */
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly salt: Uint8Array;
  /** The disclosed value, which may itself contain `_sd` lists and tag-60 elements (nested). */
  readonly value: unknown;
  /** Present for a map entry, absent for an array element. */
  readonly key?: string;
}

/**
 * Checks that `value` is a record value (ERR_RECORD_INVALID otherwise) and that no map uses a
 * reserved key (ERR_RESERVED_KEY). `where` names the place for messages.
 */
export function assertRecordValue(value: unknown, where: string, depth = 0): void {
  if (depth > MAX_RECORD_DEPTH) fail('ERR_RECORD_INVALID', `${where}: nests deeper than ${MAX_RECORD_DEPTH}`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
        fail('ERR_RECORD_INVALID', `${where}: only safe integers are allowed (no floats, -0, NaN)`);
      }
      return;
    case 'object': {
      if (value === null || value instanceof Uint8Array) return;
      if (Array.isArray(value)) {
        // an index loop: forEach would skip the holes of a sparse array, which would then vanish
        // from the committed record and shift the indices of the elements after them
        for (let i = 0; i < value.length; i++) assertRecordValue(value[i], `${where}[${i}]`, depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        fail('ERR_RECORD_INVALID', `${where}: expected a plain object, got ${describeValue(value)}`);
      }
      if (Object.getOwnPropertySymbols(value).length > 0) fail('ERR_RECORD_INVALID', `${where}: symbol keys are not allowed`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (RESERVED_KEYS.includes(k)) fail('ERR_RESERVED_KEY', `${where}: the key ${JSON.stringify(k)} is reserved`);
        if (k === '__proto__') fail('ERR_RECORD_INVALID', `${where}: the key "__proto__" is not allowed`);
        assertRecordValue(v, `${where}.${k}`, depth + 1);
      }
      if (Object.prototype.hasOwnProperty.call(value, '__proto__')) {
        fail('ERR_RECORD_INVALID', `${where}: the key "__proto__" is not allowed`);
      }
      return;
    }
    default:
      fail('ERR_RECORD_INVALID', `${where}: ${describeValue(value)} is not a record value`);
  }
}

/** Builds a disclosure's bytes: `[salt, value, key]` for a map entry, `[salt, value]` for an element. */
export function encodeDisclosure(salt: Uint8Array, value: unknown, key?: string): Uint8Array {
  const arr: unknown[] = key === undefined ? [salt, value] : [salt, value, key];
  return encode(arr, { allowedTags: [REDACTED_ELEMENT_TAG] });
}

/** The digest of a disclosure: SHA-256 over its exact bytes. */
export function disclosureDigest(bytes: Uint8Array): Uint8Array {
  return crypto.sha256(bytes);
}

/** A fresh decoy: its bytes `[salt]` (the SD-CWT decoy shape, kept by the holder) and digest. */
export function newDecoy(): { bytes: Uint8Array; digest: Uint8Array } {
  const bytes = encode([crypto.randomBytes(SALT_BYTES)]);
  return { bytes, digest: crypto.sha256(bytes) };
}

/** A fresh decoy digest (its salt thrown away). */
export function decoyDigest(): Uint8Array {
  return newDecoy().digest;
}

/** Checks decoy bytes (`[bstr .size 16]`) and returns their digest; ERR_DISCLOSURE_MALFORMED otherwise. */
export function decoyDigestOf(bytes: Uint8Array): Uint8Array {
  let d: unknown;
  try {
    d = decode(bytes, { maxBytes: 64 });
  } catch (e) {
    throw new CustosError('ERR_DISCLOSURE_MALFORMED', 'a decoy is not valid deterministic CBOR', { cause: e });
  }
  if (!Array.isArray(d) || d.length !== 1 || !(d[0] instanceof Uint8Array) || d[0].length !== SALT_BYTES) {
    fail('ERR_DISCLOSURE_MALFORMED', 'a decoy must be [salt]');
  }
  return crypto.sha256(bytes);
}

const DISCLOSURE_DECODE = { allowedTags: [REDACTED_ELEMENT_TAG], maxBytes: MAX_DISCLOSURE_BYTES, maxDepth: MAX_RECORD_DEPTH * 2 + 4 } as const;

/**
 * Decodes one disclosure strictly. Throws ERR_DISCLOSURE_MALFORMED for anything that is not
 * `[bstr .size 16, value]` or `[bstr .size 16, value, tstr]` in deterministic CBOR, and
 * ERR_RESERVED_KEY when the key is reserved.
 *
 * @example
 * ```ts
 * const { key, value, digest } = decodeDisclosure(committed.disclosures[0]!.bytes);
 * ```
 */
export function decodeDisclosure(bytes: Uint8Array): DecodedDisclosure {
  if (!(bytes instanceof Uint8Array)) fail('ERR_DISCLOSURE_MALFORMED', 'a disclosure must be a byte string');
  let d: unknown;
  try {
    d = decode(bytes, DISCLOSURE_DECODE);
  } catch (e) {
    throw new CustosError('ERR_DISCLOSURE_MALFORMED', 'a disclosure is not valid deterministic CBOR', { cause: e });
  }
  if (!Array.isArray(d) || (d.length !== 2 && d.length !== 3)) {
    fail('ERR_DISCLOSURE_MALFORMED', 'a disclosure must be [salt, value] or [salt, value, key]');
  }
  const salt: unknown = d[0];
  const value: unknown = d[1];
  const key: unknown = d[2];
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    fail('ERR_DISCLOSURE_MALFORMED', `a disclosure salt must be ${SALT_BYTES} bytes`);
  }
  if (d.length === 3) {
    if (typeof key !== 'string') fail('ERR_DISCLOSURE_MALFORMED', 'a disclosure key must be a text string');
    if (RESERVED_KEYS.includes(key)) fail('ERR_RESERVED_KEY', `a disclosure uses the reserved key ${JSON.stringify(key)}`);
    if (key === '__proto__') fail('ERR_DISCLOSURE_MALFORMED', 'a disclosure uses the key "__proto__"');
  }
  if (value instanceof Tag) fail('ERR_DISCLOSURE_MALFORMED', 'a disclosed value may not be a tagged item');
  const digest = disclosureDigest(bytes);
  return d.length === 3 ? { bytes, digest, salt, value, key: key as string } : { bytes, digest, salt, value };
}
