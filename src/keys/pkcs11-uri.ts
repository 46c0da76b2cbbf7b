/**
 * RFC 7512 PKCS #11 URIs: our own small parser.
 *
 * `pkcs11:` path attributes separated by `;`, then optionally `?` and query attributes separated
 * by `&` (RFC 7512 §2.3). Values are percent-decoded; text attributes must then be UTF-8. What
 * the RFC's grammar does not allow is refused with ERR_PKCS11_URI, and so is anything custos does
 * not understand: an unknown or vendor-specific attribute could narrow the match in a way we
 * would silently ignore and so select another key than the one meant. An attribute may appear
 * once (RFC 7512 §2.3: "An attribute MUST NOT appear more than once").
 */
import { fail } from '../errors.js';

/** A parsed PKCS #11 URI (every field optional: `pkcs11:` alone matches everything). */
export interface Pkcs11Uri {
  readonly token?: string;
  readonly manufacturer?: string;
  readonly serial?: string;
  readonly model?: string;
  readonly libraryManufacturer?: string;
  readonly libraryDescription?: string;
  readonly libraryVersion?: { readonly major: number; readonly minor: number };
  /** CKA_LABEL of the object. */
  readonly object?: string;
  readonly type?: 'public' | 'private' | 'cert' | 'secret-key' | 'data';
  /** CKA_ID of the object (raw bytes). */
  readonly id?: Uint8Array;
  readonly slotDescription?: string;
  readonly slotManufacturer?: string;
  readonly slotId?: number;
  /** Where the PIN is (a `file:` URI or an absolute path); see the signer for what is accepted. */
  readonly pinSource?: string;
  /** A PIN written into the URI. Parsed, because the RFC allows it; the signer refuses it. */
  readonly pinValue?: string;
  readonly moduleName?: string;
  readonly modulePath?: string;
}

/** Longest URI accepted (no real one comes near). */
export const PKCS11_URI_MAX_LENGTH = 4096;

type Field = Exclude<keyof Pkcs11Uri, 'libraryVersion' | 'type' | 'id' | 'slotId'>;

const PATH_TEXT: Record<string, Field> = {
  token: 'token',
  manufacturer: 'manufacturer',
  serial: 'serial',
  model: 'model',
  'library-manufacturer': 'libraryManufacturer',
  'library-description': 'libraryDescription',
  object: 'object',
  'slot-description': 'slotDescription',
  'slot-manufacturer': 'slotManufacturer',
};
const QUERY_TEXT: Record<string, Field> = {
  'pin-source': 'pinSource',
  'pin-value': 'pinValue',
  'module-name': 'moduleName',
  'module-path': 'modulePath',
};
const TYPES = ['public', 'private', 'cert', 'secret-key', 'data'] as const;

// RFC 3986 unreserved, then pk11-res-avail; the path adds "&", the query adds "/", "?" and "|".
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const RES_AVAIL = ":[]@!$'()*+,=";
const PATH_EXTRA = '&';
const QUERY_EXTRA = '/?|';

function bad(msg: string): never {
  fail('ERR_PKCS11_URI', `PKCS#11 URI: ${msg}`);
}

/** Percent-decodes a value whose characters must all be allowed in its component. */
function decodeValue(name: string, raw: string, extra: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '%') {
      const h = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) bad(`attribute "${name}" has a malformed percent-encoding`);
      out.push(parseInt(h, 16));
      i += 2;
    } else if (UNRESERVED.test(c) || RES_AVAIL.includes(c) || extra.includes(c)) {
      out.push(c.charCodeAt(0));
    } else {
      bad(`attribute "${name}" contains a character that must be percent-encoded (code ${c.codePointAt(0)})`);
    }
  }
  return Uint8Array.from(out);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(name: string, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    bad(`attribute "${name}" is not UTF-8 once decoded`);
  }
}

/**
 * Parses an RFC 7512 PKCS #11 URI. Throws ERR_PKCS11_URI (naming the attribute, never its value)
 * for a malformed URI, an unknown or repeated attribute, or a value the grammar forbids.
 *
 * @example
 * ```ts
 * const u = parsePkcs11Uri('pkcs11:token=Court%20HSM;object=exec-2026;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so');
 * u.token; // 'Court HSM'
 * u.id;    // Uint8Array [1]
 * ```
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (typeof uri !== 'string') fail('ERR_INVALID_ARGUMENT', '"uri" expected a string');
  if (uri.length > PKCS11_URI_MAX_LENGTH) bad(`longer than ${PKCS11_URI_MAX_LENGTH} characters`);
  // The scheme is case-insensitive (RFC 3986 §3.1); nothing may precede it.
  if (uri.slice(0, 7).toLowerCase() !== 'pkcs11:') bad('must start with "pkcs11:"');
  const rest = uri.slice(7);
  if (rest.includes('#')) bad('a fragment is not allowed');
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? undefined : rest.slice(q + 1);
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();

  const each = (part: string, sep: string, fn: (name: string, value: string) => void) => {
    if (part === '') return;
    for (const attr of part.split(sep)) {
      const eq = attr.indexOf('=');
      if (eq <= 0) bad(attr === '' ? `an empty attribute (doubled "${sep}")` : 'an attribute without "name="');
      const name = attr.slice(0, eq);
      if (!/^[A-Za-z0-9_-]+$/.test(name)) bad('an attribute name has characters outside ALPHA / DIGIT / "-" / "_"');
      if (seen.has(name)) bad(`attribute "${name}" appears more than once`);
      seen.add(name);
      fn(name, attr.slice(eq + 1));
    }
  };

  each(pathPart, ';', (name, raw) => {
    const field = PATH_TEXT[name];
    if (field !== undefined) {
      out[field] = text(name, decodeValue(name, raw, PATH_EXTRA));
      return;
    }
    if (name === 'id') {
      out['id'] = decodeValue(name, raw, PATH_EXTRA);
    } else if (name === 'type') {
      const v = text(name, decodeValue(name, raw, PATH_EXTRA));
      // The grammar allows an empty type (*1(...)); it then matches any object class.
      if (v === '') return;
      if (!(TYPES as readonly string[]).includes(v)) bad(`type must be one of ${TYPES.join(', ')}`);
      out['type'] = v;
    } else if (name === 'slot-id') {
      if (!/^[0-9]{1,15}$/.test(raw)) bad('slot-id must be decimal digits');
      out['slotId'] = Number(raw);
    } else if (name === 'library-version') {
      const m = /^([0-9]{1,5})(?:\.([0-9]{1,5}))?$/.exec(raw);
      if (m === null) bad('library-version must be DIGITS or DIGITS.DIGITS');
      out['libraryVersion'] = { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) };
    } else {
      bad(`unknown path attribute "${name}"`);
    }
  });
  if (queryPart !== undefined) {
    each(queryPart, '&', (name, raw) => {
      const field = QUERY_TEXT[name];
      if (field === undefined) bad(`unknown query attribute "${name}"`);
      out[field] = text(name, decodeValue(name, raw, QUERY_EXTRA));
    });
  }
  return Object.freeze(out) as Pkcs11Uri;
}

/** True when `s` starts with the `pkcs11:` scheme (case-insensitive): a CLI key argument that names a token key. */
export function isPkcs11Uri(s: unknown): s is string {
  return typeof s === 'string' && s.slice(0, 7).toLowerCase() === 'pkcs11:';
}
