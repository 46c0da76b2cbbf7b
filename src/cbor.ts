/**
 * Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding").
 *
 * Encoding: maps (JS Maps and plain objects) are written with their keys sorted by the
 * bytewise order of the keys' encodings; integers, lengths and tags take their shortest form;
 * lengths are always definite. Floats, -0, NaN, `undefined`, Dates, class instances, BigInts
 * outside the 64-bit range, strings with lone surrogates and tags not explicitly allowed are
 * refused (ERR_CBOR_FORBIDDEN): every structure custos signs is made of integers, strings,
 * bytes, booleans, null, arrays and maps.
 *
 * Why not cbor-x (the original plan): its encoder writes JS numbers ≥ 2^32 as float64, -2^64 as
 * a tag-3 bignum and every BigInt with an 8-byte head, and its decoder returns BigInts for small
 * 8-byte-head integers and gives some tags built-in meanings; none of that is deterministic
 * CBOR. The writer and reader here are small, and checked differentially against cborg
 * (test/foundation/cbor-differential.test.ts). Their types also stand alone (cbor-x's .d.ts
 * needs @types/node).
 *
 * Decoding is strict and bounded: the size cap is checked first, then one pass reads the bytes
 * with a depth limit, every length checked against the bytes actually present before anything
 * is allocated, shortest forms, key order, duplicates, UTF-8, forbidden simple values and tags.
 * These are exactly the encoder's rules, so whatever the reader accepts re-encodes to the same
 * bytes (property-tested; an earlier re-encode-and-compare pass cost four times the decode).
 * Anything that is not the one deterministic encoding of its value is rejected, so a signature
 * can never cover bytes that decode to something the signer did not mean.
 */
import { assertInteger, toU8 } from './bytes.js';
import { fail } from './errors.js';

/**
 * A CBOR tag (major type 6) around a value, e.g. `new Tag([…], 18)` for COSE_Sign1. Only tags
 * named in `allowedTags` are encoded or decoded.
 *
 * @example
 * ```ts
 * encode(new Tag([protectedBytes, new Map(), payload, signature], 18), { allowedTags: [18] })
 * ```
 */
export class Tag {
  constructor(
    readonly value: unknown,
    readonly tag: number,
  ) {}
}

/** Default byte-size cap for {@link decode}: 16 MiB. */
export const CBOR_MAX_BYTES = 16 * 1024 * 1024;
/** Default nesting-depth cap for {@link decode} and {@link encode}. */
export const CBOR_MAX_DEPTH = 64;
/** Largest `maxDepth` accepted: deeper limits could exhaust the call stack. */
export const CBOR_DEPTH_LIMIT = 1000;
/**
 * Default cap on the number of data items {@link decode} builds (every integer, string, array,
 * map and tag counts one). Bytes alone do not bound memory: one byte 0xa0 becomes a JS Map of
 * ~200 bytes, so 16 MiB of empty maps would need ~3.5 GB and kill the process. One million
 * items cost at most ~220 MB.
 */
export const CBOR_MAX_ITEMS = 1_000_000;

export interface CborOptions {
  /** Tags that may appear (e.g. 18 for COSE_Sign1). Default: none. */
  readonly allowedTags?: readonly number[];
  /** Maximum nesting depth (default {@link CBOR_MAX_DEPTH}, at most {@link CBOR_DEPTH_LIMIT}). */
  readonly maxDepth?: number;
}

export interface DecodeOptions extends CborOptions {
  /** Maximum input size in bytes (default {@link CBOR_MAX_BYTES}). */
  readonly maxBytes?: number;
  /** Maximum number of data items in one decoded value (default {@link CBOR_MAX_ITEMS}). */
  readonly maxDataItems?: number;
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

const MIN_INT64 = -(2n ** 64n);
const MAX_UINT64 = 2n ** 64n - 1n;
const TWO32 = 0x100000000;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function maxDepthOf(opts: CborOptions): number {
  return opts.maxDepth === undefined ? CBOR_MAX_DEPTH : assertInteger('maxDepth', opts.maxDepth, 0, CBOR_DEPTH_LIMIT);
}

// ---- encoding --------------------------------------------------------------------------------

class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** Writes a head (major type + argument) in its shortest form (RFC 8949 §4.2.1). */
  head(mt: number, arg: number | bigint): void {
    this.room(9);
    const b = this.buf;
    const m = mt << 5;
    if (typeof arg === 'bigint') {
      if (arg < BigInt(TWO32)) return this.head(mt, Number(arg));
      b[this.pos++] = m | 27;
      for (let i = 7; i >= 0; i--) b[this.pos++] = Number((arg >> BigInt(8 * i)) & 0xffn);
      return;
    }
    if (arg < 24) b[this.pos++] = m | arg;
    else if (arg < 0x100) {
      b[this.pos++] = m | 24;
      b[this.pos++] = arg;
    } else if (arg < 0x10000) {
      b[this.pos++] = m | 25;
      b[this.pos++] = arg >>> 8;
      b[this.pos++] = arg & 0xff;
    } else if (arg < TWO32) {
      b[this.pos++] = m | 26;
      for (let i = 24; i >= 0; i -= 8) b[this.pos++] = (arg >>> i) & 0xff;
    } else {
      const hi = Math.floor(arg / TWO32);
      const lo = arg >>> 0;
      b[this.pos++] = m | 27;
      for (let i = 24; i >= 0; i -= 8) b[this.pos++] = (hi >>> i) & 0xff;
      for (let i = 24; i >= 0; i -= 8) b[this.pos++] = (lo >>> i) & 0xff;
    }
  }
  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const te = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeValue(w: Writer, v: unknown, depth: number, maxDepth: number, tags: readonly number[]): void {
  if (depth > maxDepth) fail('ERR_CBOR_DEPTH', 'value nests deeper than allowed');
  switch (typeof v) {
    case 'string': {
      // TextEncoder would silently turn a lone surrogate into U+FFFD: a different string.
      if (LONE_SURROGATE.test(v)) fail('ERR_CBOR_FORBIDDEN', 'text string has a lone surrogate (not encodable as UTF-8)');
      const u = te.encode(v);
      w.head(3, u.length);
      w.bytes(u);
      return;
    }
    case 'boolean':
      w.room(1);
      w.buf[w.pos++] = v ? 0xf5 : 0xf4;
      return;
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
        fail('ERR_CBOR_FORBIDDEN', 'only safe integers are allowed (no floats, -0, NaN or unsafe integers)');
      }
      if (v >= 0) w.head(0, v);
      else w.head(1, -1 - v);
      return;
    case 'bigint':
      if (v < MIN_INT64 || v > MAX_UINT64) fail('ERR_CBOR_FORBIDDEN', 'BigInt outside the 64-bit CBOR integer range');
      if (v >= 0n) w.head(0, v);
      else w.head(1, -1n - v);
      return;
    case 'object':
      break;
    default:
      fail('ERR_CBOR_FORBIDDEN', `cannot encode ${typeof v}`);
  }
  if (v === null) {
    w.room(1);
    w.buf[w.pos++] = 0xf6;
    return;
  }
  if (v instanceof Uint8Array) {
    w.head(2, v.length);
    w.bytes(v);
    return;
  }
  if (Array.isArray(v)) {
    w.head(4, v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i], depth + 1, maxDepth, tags);
    return;
  }
  if (v instanceof Tag) {
    const t: unknown = v.tag;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) fail('ERR_CBOR_FORBIDDEN', 'tag number is not a non-negative integer');
    if (!tags.includes(t)) fail('ERR_CBOR_FORBIDDEN', `tag ${t} is not allowed here`);
    w.head(6, t);
    writeValue(w, v.value, depth + 1, maxDepth, tags);
    return;
  }
  let entries: [unknown, unknown][];
  if (v instanceof Map) entries = [...(v as Map<unknown, unknown>).entries()];
  else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    if (Object.getOwnPropertySymbols(v).length > 0) fail('ERR_CBOR_FORBIDDEN', 'object has symbol keys');
    entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  } else fail('ERR_CBOR_FORBIDDEN', `cannot encode ${(v as object).constructor?.name ?? 'object'}`);
  const keyed = entries.map(([k, x]) => {
    if (k === '__proto__') fail('ERR_CBOR_FORBIDDEN', 'the key "__proto__" is not allowed');
    const kw = new Writer(16);
    writeValue(kw, k, depth + 1, maxDepth, tags);
    return { kb: kw.buf.subarray(0, kw.pos), v: x };
  });
  keyed.sort((a, b) => compareBytes(a.kb, b.kb));
  for (let i = 1; i < keyed.length; i++) {
    if (compareBytes(keyed[i - 1]!.kb, keyed[i]!.kb) === 0) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
  }
  w.head(5, keyed.length);
  for (const e of keyed) {
    w.bytes(e.kb);
    writeValue(w, e.v, depth + 1, maxDepth, tags);
  }
}

/**
 * Encodes a value in deterministic CBOR. Plain objects and Maps become CBOR maps with sorted
 * keys; object properties whose value is `undefined` are omitted (a top-level, array or Map
 * `undefined` is refused). Integers may be numbers (safe integers) or BigInts (64-bit range).
 *
 * @example
 * ```ts
 * encode(new Map([[1, -8], [4, kid]])) // a COSE protected header
 * ```
 */
export function encode(value: unknown, opts: CborOptions = {}): Uint8Array {
  const w = new Writer();
  writeValue(w, value, 0, maxDepthOf(opts), opts.allowedTags ?? []);
  return w.result();
}

// ---- strict decoding -------------------------------------------------------------------------

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Text up to this many bytes is tried as ASCII first (see readItem). */
const SHORT_TEXT = 24;
/**
 * One code-unit array per length up to SHORT_TEXT, filled and handed to String.fromCharCode:
 * no garbage per string (building it by concatenation made one string per character). Only
 * readItem uses them, and never across a call out, so reuse is safe.
 */
const ASCII_SCRATCH: number[][] = Array.from({ length: SHORT_TEXT + 1 }, (_, n) => new Array<number>(n).fill(0));

interface Reader {
  readonly b: Uint8Array;
  pos: number;
  readonly maxDepth: number;
  readonly tags: readonly number[];
  readonly strict: boolean;
  readonly objects: boolean;
  items: number;
  readonly maxItems: number;
}

/** Reads an argument; returns it as a number (≤ 2^53 - 1) or bigint, checking shortest form. */
function readArg(r: Reader, mt: number, ai: number): number | bigint {
  const { b } = r;
  if (ai < 24) return ai;
  const need = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
  if (need < 0) {
    // RFC 8949 §3: ai 31 is indefinite length for bytes/text/arrays/maps, ill-formed otherwise.
    if (ai === 31 && mt >= 2 && mt <= 5) fail('ERR_CBOR_NONCANONICAL', 'indefinite-length items are not allowed');
    fail('ERR_CBOR_MALFORMED', `reserved additional information ${ai} for major type ${mt}`);
  }
  if (r.pos + need > b.length) fail('ERR_CBOR_TRUNCATED', 'input ends inside an item head');
  let v: number | bigint;
  if (need === 8) {
    let x = 0n;
    for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(b[r.pos + i]!);
    v = x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  } else {
    let x = 0;
    for (let i = 0; i < need; i++) x = x * 256 + b[r.pos + i]!;
    v = x;
  }
  r.pos += need;
  const min = need === 1 ? 24 : need === 2 ? 0x100 : need === 4 ? 0x10000 : TWO32;
  if (r.strict && v < min) fail('ERR_CBOR_NONCANONICAL', 'integer or length not in its shortest form');
  return v;
}

/** A length that fits in the remaining input (each element takes at least `unit` bytes). */
function lengthWithin(r: Reader, len: number | bigint, unit: number): number {
  const remaining = r.b.length - r.pos;
  if (typeof len === 'bigint' || len * unit > remaining) fail('ERR_CBOR_TRUNCATED', 'length exceeds the bytes present');
  return len;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
}

/** {@link compareBytes} of b[as..ae) and b[bs..be), without making subarrays. */
function compareRanges(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    if (b[as + i] !== b[bs + i]) return b[as + i]! - b[bs + i]!;
  }
  return ae - as - (be - bs);
}

function readMap(r: Reader, n: number, depth: number): unknown {
  const m = new Map<unknown, unknown>();
  // The previous key's encoded bytes, as offsets into the input (no subarray per key).
  let prevStart = -1;
  let prevEnd = -1;
  const seen = r.strict ? null : new Set<string>();
  let allText = true;
  for (let i = 0; i < n; i++) {
    const ks = r.pos;
    const k = readItem(r, depth + 1);
    if (k === '__proto__') fail('ERR_CBOR_FORBIDDEN', 'the key "__proto__" is not allowed');
    if (seen === null) {
      if (prevStart >= 0) {
        const c = compareRanges(r.b, prevStart, prevEnd, ks, r.pos);
        if (c === 0) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
        if (c > 0) fail('ERR_CBOR_NONCANONICAL', 'map keys are not in deterministic order');
      }
      prevStart = ks;
      prevEnd = r.pos;
    } else {
      // Non-strict input may spell one key two ways (0x01 and 0x18 0x01): compare canonical forms.
      const id = hex(encode(k, { allowedTags: r.tags, maxDepth: CBOR_DEPTH_LIMIT }));
      if (seen.has(id)) fail('ERR_CBOR_DUPLICATE_KEY', 'map has a duplicate key');
      seen.add(id);
    }
    if (typeof k !== 'string') allText = false;
    m.set(k, readItem(r, depth + 1));
  }
  if (!r.objects || !allText) return m;
  const o: Record<string, unknown> = {};
  for (const [k, x] of m) o[k as string] = x;
  return o;
}

function readItem(r: Reader, depth: number): unknown {
  if (depth > r.maxDepth) fail('ERR_CBOR_DEPTH', `nesting deeper than ${r.maxDepth}`);
  if (++r.items > r.maxItems) fail('ERR_CBOR_SIZE', `more than ${r.maxItems} data items`);
  if (r.pos >= r.b.length) fail('ERR_CBOR_TRUNCATED', 'input ends before an item');
  const ib = r.b[r.pos++]!;
  const mt = ib >> 5;
  const ai = ib & 31;
  if (mt === 7) {
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    if (ai === 23) fail('ERR_CBOR_FORBIDDEN', 'undefined is not allowed');
    if (ai >= 25 && ai <= 27) fail('ERR_CBOR_FORBIDDEN', 'floating-point values are not allowed');
    if (ai === 31) fail('ERR_CBOR_MALFORMED', 'unexpected break');
    if (ai >= 28) fail('ERR_CBOR_MALFORMED', `reserved additional information ${ai}`);
    if (ai === 24) {
      if (r.pos >= r.b.length) fail('ERR_CBOR_TRUNCATED', 'input ends inside a simple value');
      if (r.b[r.pos]! < 32) fail('ERR_CBOR_MALFORMED', 'two-byte simple value below 32');
    }
    fail('ERR_CBOR_FORBIDDEN', 'simple values other than false, true and null are not allowed');
  }
  const arg = readArg(r, mt, ai);
  switch (mt) {
    case 0:
      return arg;
    case 1:
      return typeof arg === 'number' && arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - BigInt(arg);
    case 2: {
      const n = lengthWithin(r, arg, 1);
      r.pos += n;
      return r.b.slice(r.pos - n, r.pos);
    }
    case 3: {
      const n = lengthWithin(r, arg, 1);
      let s: string;
      // Short ASCII text (most keys and values in our structures) without TextDecoder, whose
      // per-call cost dominates at these sizes; ASCII is valid UTF-8 and decodes to the same string.
      if (n <= SHORT_TEXT) {
        const codes = ASCII_SCRATCH[n]!;
        const b = r.b;
        const p = r.pos;
        let j = 0;
        for (; j < n; j++) {
          const c = b[p + j]!;
          if (c >= 0x80) break;
          codes[j] = c;
        }
        if (j === n) {
          r.pos = p + n;
          return String.fromCharCode.apply(null, codes);
        }
      }
      try {
        s = utf8Strict.decode(r.b.subarray(r.pos, r.pos + n));
      } catch {
        fail('ERR_CBOR_MALFORMED', 'text string is not valid UTF-8');
      }
      r.pos += n;
      return s;
    }
    case 4: {
      const n = lengthWithin(r, arg, 1);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(readItem(r, depth + 1));
      return a;
    }
    case 5:
      return readMap(r, lengthWithin(r, arg, 2), depth);
    case 6: {
      if (typeof arg === 'bigint' || !r.tags.includes(arg)) fail('ERR_CBOR_FORBIDDEN', `tag ${String(arg)} is not allowed here`);
      return new Tag(readItem(r, depth + 1), arg);
    }
    default:
      return fail('ERR_INTERNAL', 'unreachable major type');
  }
}

function checkedInput(bytes: unknown, opts: DecodeOptions): Uint8Array {
  if (!(bytes instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', '"bytes" expected Uint8Array');
  const max = opts.maxBytes === undefined ? CBOR_MAX_BYTES : assertInteger('maxBytes', opts.maxBytes);
  if (bytes.length > max) fail('ERR_CBOR_SIZE', `CBOR input of ${bytes.length} bytes exceeds ${max}`);
  return toU8(bytes);
}

/** Data items still allowed; shared by all items of a sequence. */
interface Budget {
  items: number;
}

function budgetOf(opts: DecodeOptions): Budget {
  return { items: opts.maxDataItems === undefined ? CBOR_MAX_ITEMS : assertInteger('maxDataItems', opts.maxDataItems) };
}

function decodeOne(b: Uint8Array, start: number, opts: DecodeOptions, budget: Budget): { value: unknown; end: number } {
  const strict = opts.strict ?? true;
  const r: Reader = {
    b,
    pos: start,
    maxDepth: maxDepthOf(opts),
    tags: opts.allowedTags ?? [],
    strict,
    objects: opts.objects ?? false,
    items: 0,
    maxItems: budget.items,
  };
  const value = readItem(r, 0);
  budget.items -= r.items;
  // No re-encode-and-compare pass: in strict mode readItem has already enforced every rule the
  // encoder follows (shortest heads, definite lengths, keys strictly ascending by their bytes,
  // strict UTF-8, no floats/undefined/simple values, listed tags only, same depth count), so the
  // value it returns always re-encodes to exactly the bytes read; the second pass cost ~4× the
  // decode. Property tests (test/foundation/cbor-hostile, test/redact/cbor-single-pass) check
  // decode ⇒ encode(decode(b)) = b on random, mutated and structured inputs.
  return { value, end: r.pos };
}

/**
 * Strictly decodes exactly one deterministic CBOR item. Integers come back as numbers when safe
 * and as BigInts otherwise; byte strings as fresh Uint8Arrays; maps as Maps (or plain objects
 * with `objects: true` when every key is a string); allowed tags as {@link Tag}. Every rejection
 * is a CustosError with an `ERR_CBOR_*` code. Memory is bounded by `maxBytes` (nothing is
 * allocated for a claimed length before the bytes are seen to be present) and by `maxDataItems`
 * (JS objects built).
 *
 * @example
 * ```ts
 * const header = decode(protectedBytes) as Map<number, unknown>;
 * ```
 */
export function decode(bytes: Uint8Array, opts: DecodeOptions = {}): unknown {
  const b = checkedInput(bytes, opts);
  const { value, end } = decodeOne(b, 0, opts, budgetOf(opts));
  if (end !== b.length) fail('ERR_CBOR_TRAILING', `${b.length - end} bytes follow the CBOR item`);
  return value;
}

/**
 * Decodes an RFC 8742 CBOR sequence (zero or more items back to back), each strictly;
 * `maxDataItems` bounds the whole sequence, `maxItems` the number of top-level items.
 */
export function decodeSequence(bytes: Uint8Array, opts: DecodeOptions & { maxItems?: number } = {}): unknown[] {
  const b = checkedInput(bytes, opts);
  const out: unknown[] = [];
  let pos = 0;
  const maxItems = opts.maxItems ?? Number.MAX_SAFE_INTEGER;
  const budget = budgetOf(opts);
  while (pos < b.length) {
    if (out.length >= maxItems) fail('ERR_LIMIT', `CBOR sequence has more than ${maxItems} items`);
    const { value, end } = decodeOne(b, pos, opts, budget);
    out.push(value);
    pos = end;
  }
  return out;
}

/** Returns the byte length of the first item of a CBOR sequence, validating it strictly. */
export function itemLength(bytes: Uint8Array, opts: DecodeOptions = {}): number {
  const b = checkedInput(bytes, { ...opts, maxBytes: Number.MAX_SAFE_INTEGER });
  return decodeOne(b, 0, opts, budgetOf(opts)).end;
}
