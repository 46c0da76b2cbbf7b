/**
 * Hostile-input table for the strict CBOR decoder: each malformed, non-canonical or forbidden
 * input gives its specific ERR_CBOR_* code, quickly, without a crash or an allocation
 * proportional to a claimed (rather than present) length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { CBOR_DEPTH_LIMIT, CBOR_MAX_BYTES, CBOR_MAX_ITEMS, decode, decodeSequence, encode, itemLength, Tag } from '../../src/cbor.js';
import { CustosError, type ErrorCode } from '../../src/errors.js';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return e instanceof CustosError ? e.code : `crash: ${String(e)}`;
  }
}

const deep = (open: string, n: number, leaf = '00') => fromHex(open.repeat(n) + leaf);

const TABLE: readonly (readonly [string, Uint8Array, ErrorCode])[] = [
  // nesting
  ['100k-deep arrays', deep('81', 100_000), 'ERR_CBOR_DEPTH'],
  ['100k-deep maps', fromHex('a100'.repeat(100_000) + '00'), 'ERR_CBOR_DEPTH'],
  ['100k-deep tags (tag not allowed)', deep('d2', 100_000), 'ERR_CBOR_FORBIDDEN'],
  ['65-deep arrays (default limit 64)', deep('81', 65), 'ERR_CBOR_DEPTH'],
  // huge claimed lengths
  ['bytes 2^32-1 long', fromHex('5affffffff00'), 'ERR_CBOR_TRUNCATED'],
  ['bytes 2^32 long', fromHex('5b000000010000000000'), 'ERR_CBOR_TRUNCATED'],
  ['bytes 2^64-1 long', fromHex('5bffffffffffffffff00'), 'ERR_CBOR_TRUNCATED'],
  ['text 2^32 long', fromHex('7b000000010000000061'), 'ERR_CBOR_TRUNCATED'],
  ['text 2^64-1 long', fromHex('7bffffffffffffffff61'), 'ERR_CBOR_TRUNCATED'],
  ['array of 2^32-1', fromHex('9affffffff00'), 'ERR_CBOR_TRUNCATED'],
  ['array of 2^32', fromHex('9b000000010000000000'), 'ERR_CBOR_TRUNCATED'],
  ['array of 2^64-1', fromHex('9bffffffffffffffff00'), 'ERR_CBOR_TRUNCATED'],
  ['map of 2^32', fromHex('bb00000001000000000000'), 'ERR_CBOR_TRUNCATED'],
  ['map of 2^64-1', fromHex('bbffffffffffffffff0000'), 'ERR_CBOR_TRUNCATED'],
  ['map claiming 2 pairs with 3 bytes left', fromHex('a2000000'), 'ERR_CBOR_TRUNCATED'],
  // maps
  ['duplicate int keys', fromHex('a201000100'), 'ERR_CBOR_DUPLICATE_KEY'],
  ['duplicate text keys', fromHex('a2616100616100'), 'ERR_CBOR_DUPLICATE_KEY'],
  ['unsorted int keys', fromHex('a202000100'), 'ERR_CBOR_NONCANONICAL'],
  ['length-first (RFC 7049) key order', fromHex('a2626161016162' + '02'), 'ERR_CBOR_NONCANONICAL'],
  ['__proto__ key', fromHex('a1695f5f70726f746f5f5f00'), 'ERR_CBOR_FORBIDDEN'],
  // non-minimal integers and lengths
  ['uint 0 in 1 byte', fromHex('1800'), 'ERR_CBOR_NONCANONICAL'],
  ['uint 23 in 1 byte', fromHex('1817'), 'ERR_CBOR_NONCANONICAL'],
  ['uint 255 in 2 bytes', fromHex('1900ff'), 'ERR_CBOR_NONCANONICAL'],
  ['uint 65535 in 4 bytes', fromHex('1a0000ffff'), 'ERR_CBOR_NONCANONICAL'],
  ['uint 2^32-1 in 8 bytes', fromHex('1b00000000ffffffff'), 'ERR_CBOR_NONCANONICAL'],
  ['nint -1 in 1 byte', fromHex('3800'), 'ERR_CBOR_NONCANONICAL'],
  ['bytes length 0 in 1 byte', fromHex('5800'), 'ERR_CBOR_NONCANONICAL'],
  ['text length 1 in 2 bytes', fromHex('79000161'), 'ERR_CBOR_NONCANONICAL'],
  ['array length 1 in 1 byte', fromHex('980100'), 'ERR_CBOR_NONCANONICAL'],
  ['map length 0 in 1 byte', fromHex('b800'), 'ERR_CBOR_NONCANONICAL'],
  // indefinite lengths and reserved forms
  ['indefinite bytes', fromHex('5f4100ff'), 'ERR_CBOR_NONCANONICAL'],
  ['indefinite text', fromHex('7f6161ff'), 'ERR_CBOR_NONCANONICAL'],
  ['indefinite array', fromHex('9f00ff'), 'ERR_CBOR_NONCANONICAL'],
  ['indefinite map', fromHex('bf0000ff'), 'ERR_CBOR_NONCANONICAL'],
  ['uint with ai 31', fromHex('1f'), 'ERR_CBOR_MALFORMED'],
  ['nint with ai 31', fromHex('3f'), 'ERR_CBOR_MALFORMED'],
  ['tag with ai 31', fromHex('df00'), 'ERR_CBOR_MALFORMED'],
  ['reserved ai 28', fromHex('1c'), 'ERR_CBOR_MALFORMED'],
  ['reserved ai 30 on bytes', fromHex('5e'), 'ERR_CBOR_MALFORMED'],
  ['lone break', fromHex('ff'), 'ERR_CBOR_MALFORMED'],
  ['simple value 0..31 in two bytes', fromHex('f810'), 'ERR_CBOR_MALFORMED'],
  ['reserved simple f c', fromHex('fc'), 'ERR_CBOR_MALFORMED'],
  // floats, undefined, other simple values
  ['half float 1.0', fromHex('f93c00'), 'ERR_CBOR_FORBIDDEN'],
  ['single float', fromHex('fa3f800000'), 'ERR_CBOR_FORBIDDEN'],
  ['double float', fromHex('fb3ff0000000000000'), 'ERR_CBOR_FORBIDDEN'],
  ['NaN', fromHex('f97e00'), 'ERR_CBOR_FORBIDDEN'],
  ['undefined', fromHex('f7'), 'ERR_CBOR_FORBIDDEN'],
  ['simple(16)', fromHex('f0'), 'ERR_CBOR_FORBIDDEN'],
  ['simple(59) two bytes', fromHex('f83b'), 'ERR_CBOR_FORBIDDEN'],
  // tags
  ['unknown tag 1 (epoch date)', fromHex('c100'), 'ERR_CBOR_FORBIDDEN'],
  ['bignum tag 2', fromHex('c249010000000000000000'), 'ERR_CBOR_FORBIDDEN'],
  ['tag 259 map', fromHex('d90103a0'), 'ERR_CBOR_FORBIDDEN'],
  ['tag 18 when not allowed', fromHex('d28440a0f640'), 'ERR_CBOR_FORBIDDEN'],
  ['64-bit tag number', fromHex('dbffffffffffffffff00'), 'ERR_CBOR_FORBIDDEN'],
  // trailing and UTF-8
  ['trailing byte', fromHex('0000'), 'ERR_CBOR_TRAILING'],
  ['trailing garbage after map', fromHex('a0ffffff'), 'ERR_CBOR_TRAILING'],
  ['empty input', new Uint8Array(0), 'ERR_CBOR_TRUNCATED'],
  ['invalid UTF-8 (bad continuation)', fromHex('62c328'), 'ERR_CBOR_MALFORMED'],
  ['overlong UTF-8 NUL', fromHex('62c080'), 'ERR_CBOR_MALFORMED'],
  ['UTF-8 surrogate', fromHex('63eda080'), 'ERR_CBOR_MALFORMED'],
  ['UTF-8 above U+10FFFF', fromHex('64f4908080'), 'ERR_CBOR_MALFORMED'],
  ['UTF-8 0xff byte', fromHex('61ff'), 'ERR_CBOR_MALFORMED'],
  ['invalid UTF-8 in a map key', fromHex('a162c32800'), 'ERR_CBOR_MALFORMED'],
];

describe('cbor: hostile input table', () => {
  it.each(TABLE)('%s → %s', (_name, input, code) => {
    const t0 = performance.now();
    expect(codeOf(() => decode(input))).toBe(code);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses inputs over maxBytes before reading them (ERR_CBOR_SIZE)', () => {
    expect(codeOf(() => decode(new Uint8Array(1025), { maxBytes: 1024 }))).toBe('ERR_CBOR_SIZE');
    expect(codeOf(() => decode(fromHex('5a01000000'), { maxBytes: 4 }))).toBe('ERR_CBOR_SIZE');
    expect(codeOf(() => decodeSequence(new Uint8Array(17), { maxBytes: 16 }))).toBe('ERR_CBOR_SIZE');
  });

  it('bounds the number of data items, not just bytes (1 byte of 0xa0 is a ~200-byte Map)', () => {
    const arrayOf = (n: number, fill: number) => {
      const head =
        n < 24 ? [0x80 | n] : n < 256 ? [0x98, n] : n < 65536 ? [0x99, n >> 8, n & 255] : [0x9a, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
      const b = new Uint8Array(head.length + n).fill(fill);
      b.set(head);
      return b;
    };
    // 16 MiB of empty maps would need ~3.5 GB of heap: refused up front by the item budget.
    const t0 = performance.now();
    expect(codeOf(() => decode(arrayOf(CBOR_MAX_BYTES - 5, 0xa0)))).toBe('ERR_CBOR_SIZE');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(codeOf(() => decode(arrayOf(CBOR_MAX_ITEMS, 0xa0)))).toBe('ERR_CBOR_SIZE'); // + the array itself
    expect((decode(arrayOf(CBOR_MAX_ITEMS - 1, 0x00)) as unknown[]).length).toBe(CBOR_MAX_ITEMS - 1);
    expect(codeOf(() => decode(arrayOf(10, 0xa0), { maxDataItems: 10 }))).toBe('ERR_CBOR_SIZE');
    expect((decode(arrayOf(9, 0xa0), { maxDataItems: 10 }) as unknown[]).length).toBe(9);
    // a sequence shares one budget
    expect(codeOf(() => decodeSequence(new Uint8Array(11).fill(0xa0), { maxDataItems: 10 }))).toBe('ERR_CBOR_SIZE');
    expect(decodeSequence(new Uint8Array(10).fill(0xa0), { maxDataItems: 10 }).length).toBe(10);
  });

  it('refuses unbounded maxDepth (the call stack is the real limit)', () => {
    expect(codeOf(() => decode(fromHex('00'), { maxDepth: CBOR_DEPTH_LIMIT + 1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => decode(deep('81', 100_000), { maxDepth: CBOR_DEPTH_LIMIT }))).toBe('ERR_CBOR_DEPTH');
    expect(decode(deep('81', CBOR_DEPTH_LIMIT), { maxDepth: CBOR_DEPTH_LIMIT })).toBeInstanceOf(Array);
  });

  it('truncating a valid item at every position gives ERR_CBOR_TRUNCATED', () => {
    const valid = encode(
      new Map<unknown, unknown>([
        [1, -7n],
        [-300, 2n ** 64n - 1n],
        ['κλειδί', [new Uint8Array(300), 'x'.repeat(300), true, null, -(2n ** 64n)]],
        ['m', { a: [[], {}], b: 65536 }],
      ]),
    );
    expect(decode(valid)).toBeInstanceOf(Map);
    const seen = new Set<string>();
    for (let i = 0; i < valid.length; i++) seen.add(codeOf(() => decode(valid.subarray(0, i))));
    expect([...seen]).toEqual(['ERR_CBOR_TRUNCATED']);
    // and the full item followed by anything is trailing data
    expect(codeOf(() => decode(Uint8Array.of(...valid, 0)))).toBe('ERR_CBOR_TRAILING');
    // a 4-byte length head (text of 70 000 bytes): cut inside the head and inside the body
    const long = encode(['y'.repeat(70_000)]);
    for (const cut of [1, 2, 3, 4, 5, 6, 100, 70_000, long.length - 1]) {
      expect(codeOf(() => decode(long.subarray(0, cut)))).toBe('ERR_CBOR_TRUNCATED');
    }
  });

  it('allowed tags decode to Tag and re-encode identically; nested disallowed tags still fail', () => {
    const b = fromHex('d28443a10126a0f640');
    const v = decode(b, { allowedTags: [18] });
    expect(v).toBeInstanceOf(Tag);
    expect(toHex(encode(v, { allowedTags: [18] }))).toBe(toHex(b));
    expect(codeOf(() => decode(fromHex('d2c100'), { allowedTags: [18] }))).toBe('ERR_CBOR_FORBIDDEN');
  });

  it('non-strict mode: accepts non-minimal heads and unsorted keys, still rejects duplicates spelled two ways', () => {
    expect(decode(fromHex('1800'), { strict: false })).toBe(0);
    expect(decode(fromHex('a202000100'), { strict: false })).toEqual(new Map([[2, 0], [1, 0]]));
    expect(codeOf(() => decode(fromHex('a20100180100'), { strict: false }))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decode(fromHex('a261610079000161' + '00'), { strict: false }))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decode(fromHex('a20100' + '1b0000000000000001' + '00'), { strict: false }))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decode(fromHex('f93c00'), { strict: false }))).toBe('ERR_CBOR_FORBIDDEN');
    expect(codeOf(() => decode(fromHex('9f00ff'), { strict: false }))).toBe('ERR_CBOR_NONCANONICAL');
    expect(codeOf(() => decode(fromHex('a1695f5f70726f746f5f5f00'), { strict: false, objects: true }))).toBe('ERR_CBOR_FORBIDDEN');
  });

  it('objects: true never yields a polluted prototype', () => {
    const o = decode(encode({ constructor: 1, toString: 2, a: { b: 1 } }), { objects: true }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(o['constructor']).toBe(1);
    expect(({} as Record<string, unknown>)['b']).toBeUndefined();
  });

  it('itemLength and decodeSequence apply the same checks per item', () => {
    expect(itemLength(fromHex('8201020304'))).toBe(3);
    expect(decodeSequence(fromHex('0102a0'))).toEqual([1, 2, new Map()]);
    expect(codeOf(() => decodeSequence(fromHex('011800')))).toBe('ERR_CBOR_NONCANONICAL');
    expect(codeOf(() => decodeSequence(fromHex('010101'), { maxItems: 2 }))).toBe('ERR_LIMIT');
  });

  it('random byte strings never crash: either a value that re-encodes identically, or an ERR_CBOR_* code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        let v: unknown;
        try {
          v = decode(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CustosError);
          expect((e as CustosError).code).toMatch(/^ERR_CBOR_/);
          return;
        }
        expect(toHex(encode(v))).toBe(toHex(b));
      }),
      { numRuns: Number(process.env.CUSTOS_FC_RUNS ?? 2000) },
    );
  });

  it('mutating one byte of a valid encoding never yields a different value silently', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const valid = encode({ a: [1, -2, 'é'], b: new Uint8Array([1, 2, 3]), c: 300, d: true });
        const bad = valid.slice();
        const i = pos % bad.length;
        bad[i] = bad[i]! ^ x;
        let v: unknown;
        try {
          v = decode(bad);
        } catch (e) {
          expect((e as CustosError).code).toMatch(/^ERR_CBOR_/);
          return;
        }
        expect(toHex(encode(v))).toBe(toHex(bad)); // a different but canonical value is fine
      }),
      { numRuns: Number(process.env.CUSTOS_FC_RUNS ?? 500) },
    );
  });
});

describe('cbor: encoder refusals', () => {
  const cases: readonly (readonly [string, unknown, ErrorCode])[] = [
    ['float', 1.5, 'ERR_CBOR_FORBIDDEN'],
    ['-0', -0, 'ERR_CBOR_FORBIDDEN'],
    ['NaN', Number.NaN, 'ERR_CBOR_FORBIDDEN'],
    ['unsafe integer', 2 ** 53, 'ERR_CBOR_FORBIDDEN'],
    ['BigInt 2^64', 2n ** 64n, 'ERR_CBOR_FORBIDDEN'],
    ['BigInt -2^64-1', -(2n ** 64n) - 1n, 'ERR_CBOR_FORBIDDEN'],
    ['undefined', undefined, 'ERR_CBOR_FORBIDDEN'],
    ['undefined in array', [undefined], 'ERR_CBOR_FORBIDDEN'],
    ['array hole', [1, , 3], 'ERR_CBOR_FORBIDDEN'], // eslint-disable-line no-sparse-arrays
    ['undefined Map value', new Map([[1, undefined]]), 'ERR_CBOR_FORBIDDEN'],
    ['Date', new Date(0), 'ERR_CBOR_FORBIDDEN'],
    ['class instance', new (class Foo {})(), 'ERR_CBOR_FORBIDDEN'],
    ['Uint16Array', new Uint16Array(2), 'ERR_CBOR_FORBIDDEN'],
    ['function', () => 1, 'ERR_CBOR_FORBIDDEN'],
    ['symbol', Symbol('x'), 'ERR_CBOR_FORBIDDEN'],
    ['symbol-keyed object', { [Symbol('x')]: 1 }, 'ERR_CBOR_FORBIDDEN'],
    ['lone surrogate', 'a\ud800b', 'ERR_CBOR_FORBIDDEN'],
    ['lone low surrogate', '\udc00', 'ERR_CBOR_FORBIDDEN'],
    ['tag not allowed', new Tag(1, 18), 'ERR_CBOR_FORBIDDEN'],
    ['__proto__ own key', JSON.parse('{"__proto__": 1}'), 'ERR_CBOR_FORBIDDEN'],
    ['__proto__ Map key', new Map([['__proto__', 1]]), 'ERR_CBOR_FORBIDDEN'],
    ['duplicate keys after normalisation', new Map<unknown, unknown>([[1, 0], [1n, 0]]), 'ERR_CBOR_DUPLICATE_KEY'],
    ['65-deep value', JSON.parse('['.repeat(66) + ']'.repeat(66)), 'ERR_CBOR_DEPTH'],
  ];
  it.each(cases)('%s → %s', (_name, v, code) => {
    expect(codeOf(() => encode(v))).toBe(code);
  });

  it('a cyclic value fails with ERR_CBOR_DEPTH instead of overflowing the stack', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(codeOf(() => encode(a))).toBe('ERR_CBOR_DEPTH');
  });

  it('omits undefined object properties (documented) and accepts Buffer as bytes', () => {
    expect(toHex(encode({ a: undefined, b: 1 }))).toBe('a1616201');
    expect(toHex(encode(Buffer.from([1, 2])))).toBe('420102');
    expect(Object.getPrototypeOf(decode(fromHex('420102')))).toBe(Uint8Array.prototype);
  });
});
