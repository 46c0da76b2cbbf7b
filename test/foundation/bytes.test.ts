/**
 * src/bytes.ts: codecs round-trip and agree with Node's Buffer codecs (an independent
 * implementation); non-canonical input is refused with ERR_ENCODING; assertions name the
 * argument; equalBytes is exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as b from '../../src/bytes.js';
import { CustosError } from '../../src/errors.js';

/** Any Unicode scalar value (fast-check's own 'binary' unit costs ~3 s to set up). */
const codePoint = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })).map((c) => String.fromCodePoint(c));
const runs = Number(process.env.CUSTOS_FC_RUNS ?? 200);
const data = fc.uint8Array({ maxLength: 100 });

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return e instanceof CustosError ? e.code : `crash: ${String(e)}`;
  }
}

describe('bytes: codecs', () => {
  it('hex, base64, base64 (no pad), base64url round-trip and match Buffer', () => {
    fc.assert(
      fc.property(data, (d) => {
        const buf = Buffer.from(d);
        expect(b.toHex(d)).toBe(buf.toString('hex'));
        expect(b.toBase64(d)).toBe(buf.toString('base64'));
        expect(b.toBase64NoPad(d)).toBe(buf.toString('base64').replace(/=+$/, ''));
        expect(b.toBase64Url(d)).toBe(buf.toString('base64url'));
        for (const [enc, dec] of [
          [b.toHex, b.fromHex],
          [(x: Uint8Array) => b.toHex(x).toUpperCase(), b.fromHex],
          [b.toBase64, b.fromBase64],
          [b.toBase64NoPad, b.fromBase64NoPad],
          [b.toBase64Url, b.fromBase64Url],
        ] as const) {
          const back = dec(enc(d));
          expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
          expect(b.toHex(back)).toBe(b.toHex(d));
        }
      }),
      { numRuns: runs },
    );
  });

  it('every base64 string that decodes is the canonical encoding of its bytes', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }).map((a) => a.join('')), (s) => {
        for (const [enc, dec] of [
          [b.toBase64, b.fromBase64],
          [b.toBase64NoPad, b.fromBase64NoPad],
          [b.toBase64Url, b.fromBase64Url],
        ] as const) {
          let out: Uint8Array;
          try {
            out = dec(s);
          } catch (e) {
            expect((e as CustosError).code).toBe('ERR_ENCODING');
            continue;
          }
          expect(enc(out)).toBe(s);
        }
      }),
      { numRuns: runs * 5 },
    );
  });

  it.each([
    ['base64 non-zero padding bits', () => b.fromBase64('QR==')],
    ['base64 missing padding', () => b.fromBase64('QQ')],
    ['base64 short padding', () => b.fromBase64('QQ=')],
    ['base64 whitespace', () => b.fromBase64('QU JD')],
    ['base64 trailing newline', () => b.fromBase64('QUJD\n')],
    ['base64 url alphabet', () => b.fromBase64('a-_b')],
    ['unpadded base64 with padding (age rejects it)', () => b.fromBase64NoPad('QQ==')],
    ['unpadded base64 non-zero trailing bits', () => b.fromBase64NoPad('QR')],
    ['unpadded base64 impossible length', () => b.fromBase64NoPad('Q')],
    ['unpadded base64 url alphabet', () => b.fromBase64NoPad('a-_b')],
    ['base64url standard alphabet', () => b.fromBase64Url('a+/b')],
    ['base64url padded', () => b.fromBase64Url('QQ==')],
    ['hex odd length', () => b.fromHex('abc')],
    ['hex non-hex', () => b.fromHex('zz')],
    ['hex whitespace', () => b.fromHex(' 00')],
    ['hex mixed case', () => b.fromHex('aB')],
    ['hex 0x prefix', () => b.fromHex('0x00')],
    ['bech32 mixed case', () => b.fromBech32('A12uEL5L')],
    ['bech32 checksum over upper-case HRP', () => b.fromBech32('A1G7SGD8')],
    ['bech32 invalid data character', () => b.fromBech32('x1b4n0q5v')],
    ['bech32 checksum too short', () => b.fromBech32('li1dgmt3')],
    ['bech32 empty HRP', () => b.fromBech32('10a06t8')],
    ['bech32 no separator', () => b.fromBech32('pzry9x0s0muk')],
    ['bech32m checksum (not bech32)', () => b.fromBech32('a1lqfn3a')],
    ['bech32 one flipped character', () => b.fromBech32(b.toBech32('age', new Uint8Array(32)).replace(/q(?=[^q]*$)/, 'p'))],
    ['invalid UTF-8', () => b.fromUtf8(Uint8Array.of(0xc3, 0x28))],
    ['UTF-8 surrogate', () => b.fromUtf8(Uint8Array.of(0xed, 0xa0, 0x80))],
  ])('%s → ERR_ENCODING', (_name, f) => {
    expect(codeOf(f)).toBe('ERR_ENCODING');
  });

  it('bech32: BIP 173 valid strings, age-style long strings, case rules', () => {
    expect(b.fromBech32('A12UEL5L')).toEqual({ hrp: 'a', data: new Uint8Array(0) });
    expect(b.fromBech32('a12uel5l')).toEqual({ hrp: 'a', data: new Uint8Array(0) });
    expect(b.toHex(b.fromBech32('abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw').data)).toBe('00443214c74254b635cf84653a56d7c675be77df');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1300 }), fc.constantFrom('age', 'AGE-SECRET-KEY-', 'age1pq', 'x'), (d, hrp) => {
        const lower = b.toBech32(hrp, d);
        const upper = b.toBech32(hrp, d, true);
        expect(upper).toBe(lower.toUpperCase());
        expect(lower).toBe(lower.toLowerCase());
        for (const s of [lower, upper]) {
          const r = b.fromBech32(s);
          expect(r.hrp).toBe(hrp.toLowerCase());
          expect(b.toHex(r.data)).toBe(b.toHex(d));
        }
      }),
      { numRuns: Math.min(runs, 50) },
    );
    // age's secret-key form: upper-case, longer than BIP 173's 90-character limit for PQ keys
    const sk = b.toBech32('AGE-SECRET-KEY-', new Uint8Array(32).fill(1), true);
    expect(sk.startsWith('AGE-SECRET-KEY-1')).toBe(true);
    expect(b.fromBech32(sk).data).toEqual(new Uint8Array(32).fill(1));
  });

  it('UTF-8: strict decode, round trip of well-formed text', () => {
    fc.assert(
      fc.property(fc.string({ unit: codePoint, maxLength: 20 }), (s) => {
        expect(b.fromUtf8(b.utf8(s))).toBe(s);
      }),
      { numRuns: Math.min(runs, 100) },
    );
    expect(b.fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('\ufeffA'); // BOM kept, not eaten
  });
});

describe('bytes: equality and concatenation', () => {
  it('equalBytes is true exactly for equal contents', () => {
    fc.assert(
      fc.property(data, fc.nat(), fc.integer({ min: 1, max: 255 }), (d, i, x) => {
        expect(b.equalBytes(d, d.slice())).toBe(true);
        expect(b.equalBytes(d, Uint8Array.of(...d, 0))).toBe(false);
        if (d.length === 0) return;
        const e = d.slice();
        e[i % e.length] = e[i % e.length]! ^ x;
        expect(b.equalBytes(d, e)).toBe(false);
      }),
      { numRuns: runs },
    );
    expect(b.equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(b.equalBytes(Buffer.from([1, 2]), Uint8Array.of(1, 2))).toBe(true);
  });

  it('concatBytes joins in order', () => {
    expect(b.toHex(b.concatBytes(Uint8Array.of(1), new Uint8Array(0), Buffer.from([2, 3])))).toBe('010203');
    expect(b.concatBytes().length).toBe(0);
  });

  it('toU8 turns a Buffer into a plain Uint8Array view of the same memory', () => {
    const buf = Buffer.from([1, 2, 3]);
    const u = b.toU8(buf);
    expect(Object.getPrototypeOf(u)).toBe(Uint8Array.prototype);
    buf[0] = 9;
    expect(u[0]).toBe(9);
    const plain = Uint8Array.of(1);
    expect(b.toU8(plain)).toBe(plain);
  });
});

describe('bytes: assertions name the argument', () => {
  function messageOf(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(CustosError);
      expect((e as CustosError).code).toBe('ERR_INVALID_ARGUMENT');
      return (e as Error).message;
    }
    throw new Error('did not throw');
  }

  it('assertBytes', () => {
    expect(messageOf(() => b.assertBytes('recipient', new Uint8Array(31), 32))).toBe('"recipient" expected 32 bytes, got 31');
    expect(messageOf(() => b.assertBytes('key', 'abc'))).toBe('"key" expected Uint8Array, got string');
    expect(messageOf(() => b.assertBytes('key', null))).toBe('"key" expected Uint8Array, got null');
    expect(messageOf(() => b.assertBytes('key', [1, 2]))).toBe('"key" expected Uint8Array, got array');
    const ok = b.assertBytes('key', Buffer.alloc(32), 32);
    expect(Object.getPrototypeOf(ok)).toBe(Uint8Array.prototype);
  });

  it('assertString and assertInteger', () => {
    expect(messageOf(() => b.assertString('name', 5))).toBe('"name" expected string, got number');
    expect(messageOf(() => b.assertString('name', 'abcdef', 3))).toContain('"name"');
    expect(b.assertString('name', 'abc', 3)).toBe('abc');
    expect(messageOf(() => b.assertInteger('size', 1.5))).toBe('"size" expected an integer, got number');
    expect(messageOf(() => b.assertInteger('size', 2 ** 53))).toContain('"size"');
    expect(messageOf(() => b.assertInteger('size', -1))).toBe('"size" expected 0..9007199254740991, got -1');
    expect(messageOf(() => b.assertInteger('n', 11, 0, 10))).toBe('"n" expected 0..10, got 11');
    expect(b.assertInteger('n', 10, 0, 10)).toBe(10);
  });

  it('never puts the value of a byte argument in the message (it may be a secret)', () => {
    const secret = Uint8Array.from({ length: 31 }, (_, i) => 0xa0 + i);
    const m = messageOf(() => b.assertBytes('fileKey', secret, 16));
    expect(m).not.toContain('a0a1');
    expect(m).not.toContain('160');
  });
});
