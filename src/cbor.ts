/**
 * Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding") on top of cbor-x.
 *
 * Encoding: maps (JS Maps and plain objects) are written with their keys sorted by the
 * bytewise order of the keys' encodings; integers, lengths and tags take their shortest form;
 * lengths are always definite. Floats, -0, NaN, `undefined`, Dates, class instances, BigInts
 * outside the 64-bit range and tags not explicitly allowed are refused (ERR_CBOR_FORBIDDEN):
 * every structure custos signs is made of integers, strings, bytes, booleans, null, arrays and maps.
 *
 * Decoding is strict and bounded: the size cap is checked first, then a pre-scan walks the
 * bytes without allocating (depth limit, lengths against the bytes actually present, shortest
 * forms, key order, duplicates, UTF-8, forbidden simple values and tags), then cbor-x decodes,
 * and finally the value is re-encoded and compared byte for byte. Anything that is not the one
 * deterministic encoding of its value is rejected, so a signature can never cover bytes that
 * decode to something the signer did not mean.
 */
import { Encoder, Tag } from 'cbor-x';
import { toHex, toU8 } from './bytes.js';
import { CustosError, fail } from './errors.js';

export { Tag };

/** Default byte-size cap for {@link decode}: 16 MiB. */
export const CBOR_MAX_BYTES = 16 * 1024 * 1024;
/** Default nesting-depth cap for {@link decode} and {@link encode}. */
export const CBOR_MAX_DEPTH = 64;

export interface CborOptions {
  /** Tags that may appear (e.g. 18 for COSE_Sign1). Default: none. */
  readonly allowedTags?: readonly number[];
  /** Maximum nesting depth (default {@link CBOR_MAX_DEPTH}). */
  readonly maxDepth?: number;
}

export interface DecodeOptions extends CborOptions {
  /** Maximum input size in bytes (default {@link CBOR_MAX_BYTES}). */
  readonly maxBytes?: number;
  /**
   * Return maps whose keys are all text strings as plain objects (default false: every map is
   * a JS Map, which COSE's integer keys need).
   */
  readonly objects?: boolean;
  /**
   * Default true: only the deterministic encoding is accepted. `false` accepts any well-formed,
   * definite-length encoding with unique map keys (still bounded, still no floats/undefined/
   * unlisted tags): for verifying structures signed by other implementations, such as foreign
   * COSE headers, whose bytes must be kept exactly as received.
   */
  readonly strict?: boolean;
}

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  useTag259ForMaps: false,
  pack: false,
  bundleStrings: false,
  structuredClone: false,
} as ConstructorParameters<typeof Encoder>[0]);

const decoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  int64AsNumber: false,
  structuredClone: false,
} as ConstructorParameters<typeof Encoder>[0]);

const MIN_INT64 = -(2n ** 64n);
const MAX_UINT64 = 2n ** 64n - 1n;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Turns a value into what cbor-x encodes deterministically (sorted Maps, minimal ints). */
function normalize(v: unknown, depth: number, opts: CborOptions): unknown {
  if (depth > (opts.maxDepth ?? CBOR_MAX_DEPTH)) fail('ERR_CBOR_DEPTH', 'value nests deeper than allowed');
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
        fail('ERR_CBOR_FORBIDDEN', 'only safe integers are allowed (no floats, -0, NaN or unsafe integers)');
      }
      return v;
    case 'bigint':
      if (v < MIN_INT64 || v > MAX_UINT64) fail('ERR_CBOR_FORBIDDEN', 'BigInt outside the 64-bit CBOR integer range');
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    case 'object': {
      if (v === null) return null;
      if (v instanceof Uint8Array) return toU8(v);
      if (Array.isArray(v)) return v.map((x) => normalize(x, depth + 1, opts));
      if (v instanceof Tag) {
        const t = v.tag as number;
        if (!(opts.allowedTags ?? []).includes(t)) fail('ERR_CBOR_FORBIDDEN', `tag ${t} is not allowed here`);
        return new Tag(normalize(v.value, depth + 1, opts), t);
      }
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = [...v.entries()];
      else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
        if (Object.prototype.hasOwnProperty.call(v, '__proto__')) fail('ERR_CBOR_FORBIDDEN', 'the key "__proto__" is not allowed');
        entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      } else fail('ERR_CBOR_FORBIDDEN', `cannot encode ${(v as object).constructor?.name ?? 'object'}`);
      const keyed = entries.map(([k, x]) => {
        if (k === '__proto__') fail('ERR_CBOR_FORBIDDEN', 'the key "__proto__" is not allowed');
        const nk = normalize(k, depth + 1, opts);
        return { k: nk, kb: encoder.encode(nk) as Uint8Array, v: normalize(x, depth + 1, opts) };
      });
      keyed.sort((a, b) => compareBytes(a.kb, b.kb));
      for (let i = 1; i < keyed.length; i++) {
        if (compareBytes(keyed[i - 1]!.kb, keyed[i]!.kb) === 0) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
      }
      return new Map(keyed.map((e) => [e.k, e.v]));
    }
    default:
      fail('ERR_CBOR_FORBIDDEN', `cannot encode ${typeof v}`);
  }
}

/**
 * Encodes a value in deterministic CBOR. Plain objects and Maps become CBOR maps with sorted
 * keys; object properties whose value is `undefined` are omitted (a top-level or array
 * `undefined` is refused).
 *
 * @example
 * ```ts
 * encode(new Map([[1, -8], [4, kid]])) // a COSE protected header
 * ```
 */
export function encode(value: unknown, opts: CborOptions = {}): Uint8Array {
  const n = normalize(value, 0, opts);
  return toU8(encoder.encode(n) as Uint8Array);
}

// ---- strict decoding -------------------------------------------------------------------------

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface Scan {
  readonly b: Uint8Array;
  pos: number;
  readonly maxDepth: number;
  readonly tags: readonly number[];
  readonly strict: boolean;
}

/** Reads an argument; returns it as a number (≤ 2^53) or bigint, checking shortest form. */
function readArg(s: Scan, ai: number): number | bigint {
  const { b } = s;
  if (ai < 24) return ai;
  const need = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
  if (need < 0) {
    if (ai === 31) fail('ERR_CBOR_NONCANONICAL', 'indefinite-length items are not allowed');
    fail('ERR_CBOR_MALFORMED', `reserved additional information ${ai}`);
  }
  if (s.pos + need > b.length) fail('ERR_CBOR_TRUNCATED', 'input ends inside an item head');
  let v: number | bigint;
  if (need === 8) {
    let x = 0n;
    for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(b[s.pos + i]!);
    v = x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  } else {
    let x = 0;
    for (let i = 0; i < need; i++) x = x * 256 + b[s.pos + i]!;
    v = x;
  }
  s.pos += need;
  const min = need === 1 ? 24 : need === 2 ? 0x100 : need === 4 ? 0x10000 : 0x100000000;
  if (s.strict && v < min) fail('ERR_CBOR_NONCANONICAL', 'integer or length not in its shortest form');
  return v;
}

function lengthWithin(s: Scan, len: number | bigint, unit: number): number {
  const remaining = s.b.length - s.pos;
  if (typeof len === 'bigint' || len * unit > remaining) fail('ERR_CBOR_TRUNCATED', 'length exceeds the bytes present');
  return len;
}

function scanItem(s: Scan, depth: number): void {
  if (depth > s.maxDepth) fail('ERR_CBOR_DEPTH', `nesting deeper than ${s.maxDepth}`);
  if (s.pos >= s.b.length) fail('ERR_CBOR_TRUNCATED', 'input ends before an item');
  const ib = s.b[s.pos++]!;
  const mt = ib >> 5;
  const ai = ib & 31;
  if (mt === 7) {
    if (ai === 20 || ai === 21 || ai === 22) return;
    if (ai === 23) fail('ERR_CBOR_FORBIDDEN', 'undefined is not allowed');
    if (ai >= 25 && ai <= 27) fail('ERR_CBOR_FORBIDDEN', 'floating-point values are not allowed');
    if (ai === 31) fail('ERR_CBOR_MALFORMED', 'unexpected break');
    if (ai >= 28) fail('ERR_CBOR_MALFORMED', `reserved additional information ${ai}`);
    if (ai === 24) {
      if (s.pos >= s.b.length) fail('ERR_CBOR_TRUNCATED', 'input ends inside a simple value');
      if (s.b[s.pos]! < 32) fail('ERR_CBOR_MALFORMED', 'two-byte simple value below 32');
    }
    fail('ERR_CBOR_FORBIDDEN', 'simple values other than false, true and null are not allowed');
  }
  const arg = readArg(s, ai);
  switch (mt) {
    case 0:
    case 1:
      return;
    case 2: {
      s.pos += lengthWithin(s, arg, 1);
      return;
    }
    case 3: {
      const n = lengthWithin(s, arg, 1);
      try {
        utf8Strict.decode(s.b.subarray(s.pos, s.pos + n));
      } catch {
        fail('ERR_CBOR_MALFORMED', 'text string is not valid UTF-8');
      }
      s.pos += n;
      return;
    }
    case 4: {
      const n = lengthWithin(s, arg, 1);
      for (let i = 0; i < n; i++) scanItem(s, depth + 1);
      return;
    }
    case 5: {
      const n = lengthWithin(s, arg, 2);
      let prevStart = -1;
      let prevEnd = -1;
      const seen = s.strict ? null : new Set<string>();
      for (let i = 0; i < n; i++) {
        const ks = s.pos;
        scanItem(s, depth + 1);
        const ke = s.pos;
        if (seen !== null) {
          const id = toHex(s.b.subarray(ks, ke));
          if (seen.has(id)) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
          seen.add(id);
        } else if (prevStart >= 0) {
          const c = compareBytes(s.b.subarray(prevStart, prevEnd), s.b.subarray(ks, ke));
          if (c === 0) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
          if (c > 0) fail('ERR_CBOR_NONCANONICAL', 'map keys are not in deterministic order');
        }
        const kmt = s.b[ks]! >> 5;
        if (kmt === 3 && ke - ks === 10 && String.fromCharCode(...s.b.subarray(ks + 1, ke)) === '__proto__') {
          fail('ERR_CBOR_FORBIDDEN', 'the key "__proto__" is not allowed');
        }
        prevStart = ks;
        prevEnd = ke;
        scanItem(s, depth + 1);
      }
      return;
    }
    case 6: {
      if (typeof arg === 'bigint' || !s.tags.includes(arg)) fail('ERR_CBOR_FORBIDDEN', `tag ${String(arg)} is not allowed here`);
      scanItem(s, depth + 1);
      return;
    }
    default:
      fail('ERR_INTERNAL', 'unreachable major type');
  }
}

/** Converts cbor-x output to custos' value model (plain Uint8Array; objects if asked). */
function postDecode(v: unknown, objects: boolean): unknown {
  if (v instanceof Uint8Array) return toU8(v);
  if (Array.isArray(v)) return v.map((x) => postDecode(x, objects));
  if (v instanceof Tag) return new Tag(postDecode(v.value, objects), v.tag);
  if (v instanceof Map) {
    if (objects && [...v.keys()].every((k) => typeof k === 'string')) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v) o[k as string] = postDecode(x, objects);
      return o;
    }
    const m = new Map<unknown, unknown>();
    for (const [k, x] of v) m.set(postDecode(k, objects), postDecode(x, objects));
    return m;
  }
  return v;
}

function checkedSlice(bytes: unknown, opts: DecodeOptions): Uint8Array {
  if (!(bytes instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', '"bytes" expected Uint8Array');
  const max = opts.maxBytes ?? CBOR_MAX_BYTES;
  if (bytes.length > max) fail('ERR_CBOR_SIZE', `CBOR input of ${bytes.length} bytes exceeds ${max}`);
  return toU8(bytes);
}

function decodeOne(b: Uint8Array, start: number, opts: DecodeOptions): { value: unknown; end: number } {
  const strict = opts.strict ?? true;
  const s: Scan = { b, pos: start, maxDepth: opts.maxDepth ?? CBOR_MAX_DEPTH, tags: opts.allowedTags ?? [], strict };
  scanItem(s, 0);
  const item = b.subarray(start, s.pos);
  let raw: unknown;
  try {
    raw = decoder.decode(item);
  } catch (e) {
    throw new CustosError('ERR_CBOR_MALFORMED', 'CBOR decoding failed', { cause: e });
  }
  const value = postDecode(raw, opts.objects ?? false);
  if (!strict) return { value, end: s.pos };
  let again: Uint8Array;
  try {
    again = encode(value, opts);
  } catch (e) {
    if (e instanceof CustosError) throw new CustosError('ERR_CBOR_NONCANONICAL', 'decoded value does not re-encode', { cause: e });
    throw e;
  }
  if (compareBytes(again, item) !== 0) fail('ERR_CBOR_NONCANONICAL', 'input is not the deterministic encoding of its value');
  return { value, end: s.pos };
}

/**
 * Strictly decodes exactly one deterministic CBOR item. Every rejection is a CustosError
 * with an `ERR_CBOR_*` code; no input can make it allocate more than a small multiple of its size.
 */
export function decode(bytes: Uint8Array, opts: DecodeOptions = {}): unknown {
  const b = checkedSlice(bytes, opts);
  const { value, end } = decodeOne(b, 0, opts);
  if (end !== b.length) fail('ERR_CBOR_TRAILING', `${b.length - end} bytes follow the CBOR item`);
  return value;
}

/** Decodes an RFC 8742 CBOR sequence (zero or more items back to back), each strictly. */
export function decodeSequence(bytes: Uint8Array, opts: DecodeOptions & { maxItems?: number } = {}): unknown[] {
  const b = checkedSlice(bytes, opts);
  const out: unknown[] = [];
  let pos = 0;
  const maxItems = opts.maxItems ?? Number.MAX_SAFE_INTEGER;
  while (pos < b.length) {
    if (out.length >= maxItems) fail('ERR_LIMIT', `CBOR sequence has more than ${maxItems} items`);
    const { value, end } = decodeOne(b, pos, opts);
    out.push(value);
    pos = end;
  }
  return out;
}

/** Returns the byte length of the first item of a CBOR sequence, validating it strictly. */
export function itemLength(bytes: Uint8Array, opts: DecodeOptions = {}): number {
  const b = checkedSlice(bytes, { ...opts, maxBytes: Number.MAX_SAFE_INTEGER });
  return decodeOne(b, 0, opts).end;
}
