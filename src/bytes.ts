/**
 * Byte helpers shared by every module: argument assertions that name the argument,
 * constant-time comparison, and the text encodings custos uses (hex, base64, base64url,
 * bech32 for age key strings, UTF-8).
 */
import { base64, base64nopad, base64urlnopad, bech32, hex } from '@scure/base';
import { CustosError, fail } from './errors.js';

/**
 * Accepts Uint8Array (and so Buffer); returns a plain Uint8Array view without copying.
 * Throws ERR_INVALID_ARGUMENT naming the argument, never showing its value.
 *
 * @example
 * ```ts
 * const key = assertBytes('recipient', input, 32); // '"recipient" expected 32 bytes, got 31'
 * ```
 */
export function assertBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    fail('ERR_INVALID_ARGUMENT', `"${name}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    fail('ERR_INVALID_ARGUMENT', `"${name}" expected ${length} bytes, got ${value.length}`);
  }
  return toU8(value);
}

/**
 * @example
 * ```ts
 * const name = assertString('name', input, 256);
 * ```
 */
export function assertString(name: string, value: unknown, maxLength = Number.MAX_SAFE_INTEGER): string {
  if (typeof value !== 'string') fail('ERR_INVALID_ARGUMENT', `"${name}" expected string, got ${describe(value)}`);
  if (value.length > maxLength) fail('ERR_INVALID_ARGUMENT', `"${name}" longer than ${maxLength} characters`);
  return value;
}

/**
 * A safe integer in `min..max`, else ERR_INVALID_ARGUMENT naming the argument.
 *
 * @example
 * ```ts
 * const n = assertInteger('logN', input, 1, 22);
 * ```
 */
export function assertInteger(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    fail('ERR_INVALID_ARGUMENT', `"${name}" expected an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) fail('ERR_INVALID_ARGUMENT', `"${name}" expected ${min}..${max}, got ${value}`);
  return value;
}

/** A short, secret-free description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  return typeof value;
}

/** A Uint8Array view of the same memory (turns a Buffer into a plain Uint8Array). */
export function toU8(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Constant-time equality for MACs, tags and digests: the time depends only on the lengths,
 * never on where the first difference is.
 *
 * @example
 * ```ts
 * if (!equalBytes(computedMac, receivedMac)) fail('ERR_HEADER_MAC', 'header MAC mismatch');
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** Concatenates a list of arrays (of any length: no spread, so millions of parts are fine). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const te = new TextEncoder();
const tdStrict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(s: string): Uint8Array {
  return te.encode(s);
}

/**
 * Strict UTF-8 decode: invalid sequences raise ERR_ENCODING instead of becoming U+FFFD.
 *
 * @example
 * ```ts
 * fromUtf8(utf8('κλειδί')) // 'κλειδί'
 * ```
 */
export function fromUtf8(b: Uint8Array): string {
  try {
    return tdStrict.decode(b);
  } catch (e) {
    throw new CustosError('ERR_ENCODING', 'invalid UTF-8', { cause: e });
  }
}

function wrapDecode<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CustosError) throw e;
    // No `cause`: the codecs quote their input, and the input is often a secret (adversarial F-1).
    throw new CustosError('ERR_ENCODING', `invalid ${what}`);
  }
}

export function toHex(b: Uint8Array): string {
  return hex.encode(b);
}
/**
 * All-lowercase or all-uppercase hex, even length; anything else (mixed case too) is ERR_ENCODING.
 *
 * @example
 * ```ts
 * toHex(fromHex('00ff')) // '00ff'
 * ```
 */
export function fromHex(s: string): Uint8Array {
  return wrapDecode('hex', () => {
    const lower = s.toLowerCase();
    if (s !== lower && s !== s.toUpperCase()) fail('ERR_ENCODING', 'hex string has mixed case');
    return hex.decode(lower);
  });
}

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(b: Uint8Array): string {
  return base64.encode(b);
}
/**
 * Strict standard base64 with padding; non-canonical input (missing padding, non-zero unused
 * bits, whitespace) is rejected with ERR_ENCODING.
 *
 * @example
 * ```ts
 * fromBase64('QQ==') // Uint8Array [0x41]; 'QR==' throws
 * ```
 */
export function fromBase64(s: string): Uint8Array {
  return wrapDecode('base64', () => base64.decode(s));
}
/** Standard base64 without padding (as age uses in its header). */
export function toBase64NoPad(b: Uint8Array): string {
  return base64nopad.encode(b);
}
/**
 * Strict, canonical, unpadded standard base64 (age header bodies and stanza arguments).
 *
 * @example
 * ```ts
 * fromBase64NoPad('QQ') // Uint8Array [0x41]; 'QQ==' throws
 * ```
 */
export function fromBase64NoPad(s: string): Uint8Array {
  return wrapDecode('base64', () => base64nopad.decode(s));
}
/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(b: Uint8Array): string {
  return base64urlnopad.encode(b);
}
/** Strict, canonical, unpadded base64url (RFC 4648 §5); anything else is ERR_ENCODING. */
export function fromBase64Url(s: string): Uint8Array {
  return wrapDecode('base64url', () => base64urlnopad.decode(s));
}

/**
 * Bech32 (BIP 173, not bech32m) without the 90-character limit, as age uses for key strings.
 * `hrp` is compared case-insensitively; age's secret keys are upper-case.
 *
 * @example
 * ```ts
 * toBech32('age', publicKey)                      // 'age1…'
 * toBech32('AGE-SECRET-KEY-', secret, true)       // 'AGE-SECRET-KEY-1…'
 * fromBech32('AGE-SECRET-KEY-1…')                 // { hrp: 'age-secret-key-', data }
 * ```
 */
export function toBech32(hrp: string, data: Uint8Array, upper = false): string {
  const s = bech32.encode(hrp.toLowerCase(), bech32.toWords(data), false);
  return upper ? s.toUpperCase() : s;
}
export function fromBech32(s: string): { hrp: string; data: Uint8Array } {
  return wrapDecode('bech32', () => {
    if (s !== s.toLowerCase() && s !== s.toUpperCase()) fail('ERR_ENCODING', 'bech32 string has mixed case');
    const { prefix, words } = bech32.decode(s.toLowerCase() as `${string}1${string}`, false);
    return { hrp: prefix, data: bech32.fromWords(words) };
  });
}
