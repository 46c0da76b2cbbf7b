/**
 * The strict CBOR reader no longer re-encodes what it decoded to compare bytes: verifying a
 * presentation decodes five layers (presentation, its payload, the committed record, its payload,
 * every disclosure), and that second pass cost more than the decoding itself. This suite is the
 * guard for that choice: whatever the strict reader accepts must re-encode to exactly the bytes
 * it read, on structured values shaped like ours (nested maps with mixed keys, tags 18 and 60,
 * integers at every head boundary, non-ASCII text) and on every kind of one-edit mutation of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { decode, encode, Tag } from '../../src/cbor.js';
import { CustosError } from '../../src/errors.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 300);
const TAGS = [18, 60];

const int = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -24, -25, -257, -65537, -(2 ** 32) - 1, -Number.MAX_SAFE_INTEGER),
  fc.constantFrom(2n ** 53n, 2n ** 64n - 1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 64n)),
);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'é', '\u{1F600}', '\uFEFFbom', 'a\u0000b', '\uFFFF'));
const leaf = fc.oneof(int, text, fc.uint8Array({ maxLength: 33 }), fc.boolean(), fc.constant(null));
const mapKey = fc.oneof(fc.integer({ min: -30, max: 30 }), text, fc.constantFrom('b', 'aa', '_sd', 'v', 'iat'));

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(mapKey, tie('value')), { maxLength: 5, selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`) })
      .map((e) => new Map(e.filter(([k]) => k !== '__proto__'))),
    fc.tuple(fc.constantFrom(...TAGS), tie('value')).map(([t, v]) => new Tag(v, t)),
  ),
}));

type Edit = { kind: 'flip'; at: number; x: number } | { kind: 'insert'; at: number; x: number } | { kind: 'delete'; at: number };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), x: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

function apply(b: Uint8Array, e: Edit): Uint8Array {
  const at = e.at % (b.length + (e.kind === 'insert' ? 1 : 0));
  if (e.kind === 'flip') {
    const c = b.slice();
    c[at] = c[at]! ^ e.x;
    return c;
  }
  if (e.kind === 'insert') return Uint8Array.of(...b.subarray(0, at), e.x, ...b.subarray(at));
  return Uint8Array.of(...b.subarray(0, at), ...b.subarray(at + 1));
}

/** Either the decoder refuses with an ERR_CBOR_* code, or the value re-encodes to the same bytes. */
function roundTripsOrRefuses(b: Uint8Array, objects: boolean): void {
  let v: unknown;
  try {
    v = decode(b, { allowedTags: TAGS, objects });
  } catch (e) {
    expect(e).toBeInstanceOf(CustosError);
    expect((e as CustosError).code).toMatch(/^ERR_CBOR_/);
    return;
  }
  expect(toHex(encode(v, { allowedTags: TAGS }))).toBe(toHex(b));
}

describe('strict CBOR reader: acceptance implies canonical (no re-encode pass)', () => {
  it('structured values round-trip exactly', () => {
    fc.assert(
      fc.property(value, (v) => {
        const b = encode(v, { allowedTags: TAGS });
        expect(toHex(encode(decode(b, { allowedTags: TAGS }), { allowedTags: TAGS }))).toBe(toHex(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('every one-byte flip, insertion or deletion is refused or re-encodes to itself', () => {
    fc.assert(
      fc.property(value, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), (v, edits, objects) => {
        let b = encode(v, { allowedTags: TAGS });
        for (const e of edits) b = apply(b, e);
        roundTripsOrRefuses(b, objects);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  const near: readonly (readonly [string, string])[] = [
    ['non-shortest int in a nested map value', 'a1616181a1011817'],
    ['non-shortest length of a nested byte string', 'a161615800'],
    ['keys in length-first instead of bytewise order', 'a262616101616202'],
    ['duplicate text key', 'a2616101616102'],
    ['duplicate int key after a nested map', 'a201a0' + '0100'],
    ['8-byte head for a 4-byte integer', '1b00000000ffffffff'],
    ['8-byte head for a negative that fits 4 bytes', '3b00000000ffffffff'],
    ['overlong UTF-8 (C0 80)', '62c080'],
    ['UTF-8 surrogate (ED A0 80)', '63eda080'],
    ['tag 60 with a 2-byte head', 'd9003c00'],
    ['tag 18 with a 1-byte head', 'd81200'],
    ['indefinite array inside a tag', 'd23c9fff'],
    ['float inside an array', '81f93c00'],
    ['undefined inside a map', 'a101f7'],
  ];
  it.each(near)('refuses %s', (_name, hex) => {
    const b = Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
    expect(() => decode(b, { allowedTags: TAGS })).toThrow(CustosError);
  });

  it('short text: the ASCII fast path and the UTF-8 decoder agree at every length around its limit', () => {
    for (let n = 0; n <= 30; n++) {
      for (const tail of ['', 'é', '\u{1F600}', '\u0000', '\u007f']) {
        const v = 'k'.repeat(n) + tail;
        expect(decode(encode(v))).toBe(v);
      }
      // a lone continuation byte, a truncated sequence and a 0xff at the end of n ASCII bytes
      for (const bad of [[0x80], [0xc3], [0xff]]) {
        const body = [...new Uint8Array(n).fill(0x61), ...bad];
        const b = Uint8Array.from([...encode('x'.repeat(body.length)).subarray(0, body.length < 24 ? 1 : 2), ...body]);
        expect(() => decode(b)).toThrow(CustosError);
      }
    }
  });

  it('keeps a leading BOM and the 64-bit extremes exactly', () => {
    for (const v of ['\uFEFFx', 2n ** 64n - 1n, -(2n ** 64n), -(2n ** 53n), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const b = encode(v);
      const back = decode(b);
      expect(back).toEqual(v);
      expect(toHex(encode(back))).toBe(toHex(b));
    }
  });
});
