/**
 * Differential tests of src/cbor.ts against cborg with its RFC 8949 deterministic options (an
 * independent encoder): identical bytes on random values, and decode(encode(x)) round-trips to
 * the same value model. Also pins the string-header sizes that cbor-x got right and the integer
 * forms it got wrong (the reason cbor.ts has its own writer).
 */
import { decode as cborgDecode, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { decode, encode } from '../../src/cbor.js';

/** Any Unicode scalar value (fast-check's own 'binary' unit costs ~3 s to set up). */
const codePoint = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })).map((c) => String.fromCodePoint(c));
const runs = Number(process.env.CUSTOS_FC_RUNS ?? 300);

const int = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -24, -25, -256, -257, -65536, -65537, -(2 ** 32), -(2 ** 32) - 1),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
  fc.constantFrom(2n ** 64n - 1n, -(2n ** 64n), 2n ** 53n, -(2n ** 53n) - 1n, BigInt(Number.MAX_SAFE_INTEGER)),
);
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: codePoint, maxLength: 30 }));
const bytes = fc.uint8Array({ maxLength: 40 });
const leaf = fc.oneof(int, text, bytes, fc.boolean(), fc.constant(null));
const key = fc.oneof(fc.integer({ min: -1000, max: 1000 }), text);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`) }).map((e) => new Map(e)),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5 }),
  ),
}));

/** The value model decode returns: Maps for maps, numbers for safe integers, BigInt beyond. */
function model(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(model);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return new Map(entries.map(([k, x]) => [model(k), model(x)]));
}

/** cborg's value for the same input: it encodes plain integers as we do, BigInts too. */
function cborgBytes(v: unknown): Uint8Array {
  return cborgEncode(v, rfc8949EncodeOptions);
}

describe('cbor: differential against cborg (RFC 8949 deterministic options)', () => {
  it('random values encode to identical bytes and round-trip', () => {
    fc.assert(
      fc.property(value, (v) => {
        const ours = encode(v);
        expect(toHex(ours)).toBe(toHex(cborgBytes(v)));
        expect(decode(ours)).toEqual(model(v));
        // cborg decodes our bytes (strictly) to the same value
        const back = cborgDecode(ours, { useMaps: true, strict: true, rejectDuplicateMapKeys: true });
        expect(toHex(encode(back))).toBe(toHex(ours));
      }),
      { numRuns: runs },
    );
  });

  it('integers at every head-size boundary are minimal and match cborg', () => {
    const edges: bigint[] = [];
    for (const base of [0n, 23n, 24n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]) {
      edges.push(base, -base - 1n);
    }
    for (const v of edges) {
      const asModel = model(v);
      expect(toHex(encode(v))).toBe(toHex(cborgBytes(v)));
      expect(toHex(encode(asModel))).toBe(toHex(cborgBytes(v))); // number and BigInt spell the same
      expect(decode(encode(v))).toEqual(asModel);
    }
    // The cbor-x failure modes this writer replaces: float64 for ≥ 2^32, tag 3 for -2^64.
    expect(toHex(encode(2 ** 32))).toBe('1b0000000100000000');
    expect(toHex(encode(-(2n ** 64n)))).toBe('3bffffffffffffffff');
    expect(toHex(encode(5n))).toBe('05');
  });

  it('string headers are shortest at 23/24/255/256/65535/65536 bytes, also when UTF-8 length ≠ JS length', () => {
    const heads: Record<number, string> = { 23: '77', 24: '7818', 255: '78ff', 256: '790100', 65535: '79ffff', 65536: '7a00010000' };
    for (const ch of ['a', 'é', '€', '😀']) {
      const unit = utf8(ch).length;
      for (const n of [23, 24, 255, 256, 65535, 65536]) {
        const s = ch.repeat(Math.floor(n / unit)) + 'a'.repeat(n % unit);
        expect(utf8(s).length).toBe(n);
        const e = encode(s);
        expect(toHex(e.subarray(0, heads[n]!.length / 2))).toBe(heads[n]);
        expect(e.length).toBe(n + heads[n]!.length / 2);
        expect(toHex(e)).toBe(toHex(cborgBytes(s)));
        expect(decode(e)).toBe(s);
        // and the same sizes for byte strings
        const b = new Uint8Array(n);
        expect(toHex(encode(b).subarray(0, 1))).toBe(`${(0x40 | parseInt(heads[n]!.slice(0, 2), 16) - 0x60).toString(16)}`);
      }
    }
  });

  it('map keys sort by encoded bytes (RFC 8949), not length-first (RFC 7049)', () => {
    const m = new Map<unknown, unknown>([
      ['aa', 1],
      ['b', 2],
      [100, 3],
      [-1, 4],
      [10, 5],
    ]);
    // bytewise: 0a (10) < 1864 (100) < 20 (-1) < 6162 ("b") < 626161 ("aa"); length-first would put "b" before 100
    expect(toHex(encode(m))).toBe(toHex(cborgBytes(m)));
    expect(toHex(encode(m))).toBe('a50a05186403200461620262616101');
  });
});
