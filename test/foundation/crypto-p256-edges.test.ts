/**
 * ECDSA P-256 verification edge cases beyond Wycheproof: node (OpenSSL) and web (noble) must
 * give the same verdict on odd public-key encodings and out-of-range r, s, and both refuse
 * the high-S twin (custos policy, src/crypto/p256-policy.ts).
 */
import { describe, expect, it } from 'vitest';
import * as nodeB from '../../src/crypto/node.js';
import * as webB from '../../src/crypto/web.js';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const be32 = (x: bigint) => Uint8Array.from(x.toString(16).padStart(64, '0').match(/../g)!, (h) => parseInt(h, 16));

describe('p256 verification edge cases: node and web agree', () => {
  const sk = new Uint8Array(32).fill(3);
  const msg = Uint8Array.of(1, 2, 3);
  const pk = nodeB.p256PublicKey(sk);
  const sig = nodeB.p256Sign(sk, msg);
  const y = BigInt(`0x${Buffer.from(pk.subarray(33)).toString('hex')}`);
  const x = pk.subarray(1, 33);

  const keys: [string, Uint8Array, boolean][] = [
    ['uncompressed', pk, true],
    ['compressed', Uint8Array.of(2 + Number(y & 1n), ...x), true],
    ['compressed, wrong parity', Uint8Array.of(3 - Number(y & 1n), ...x), false],
    ['hybrid 0x06/0x07 (OpenSSL alone accepts it)', Uint8Array.of(6 + Number(y & 1n), ...pk.subarray(1)), false],
    ['hybrid with the wrong parity bit', Uint8Array.of(7 - Number(y & 1n), ...pk.subarray(1)), false],
    ['uncompressed with a compressed prefix', Uint8Array.of(2, ...pk.subarray(1)), false],
    ['compressed with prefix 0x04', Uint8Array.of(4, ...x), false],
    ['off the curve (y + 1)', Uint8Array.of(4, ...x, ...be32((y + 1n) % P)), false],
    ['y + p (non-reduced coordinate)', Uint8Array.of(4, ...x, ...be32(y + P).slice(-32)), false],
    ['point at infinity (0x00)', Uint8Array.of(0), false],
    ['all-zero uncompressed', Uint8Array.of(4, ...new Uint8Array(64)), false],
    ['compressed x ≥ p', Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), false],
  ];
  it.each(keys)('%s', (_name, key, expected) => {
    expect(nodeB.p256Verify(key, msg, sig)).toBe(expected);
    expect(webB.p256Verify(key, msg, sig)).toBe(expected);
  });

  const r = BigInt(`0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`);
  const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
  const sigs: [string, bigint, bigint, boolean][] = [
    ['as signed', r, s, true],
    ['high-S twin (refused: custos low-S policy)', r, N - s, false],
    ['r = 0', 0n, s, false],
    ['s = 0', r, 0n, false],
    ['r + n', r + N < 2n ** 256n ? r + N : r, s, r + N >= 2n ** 256n],
    ['s + n', r, s + N < 2n ** 256n ? s + N : s, s + N >= 2n ** 256n],
    ['r = n', N, s, false],
    ['s = n', r, N, false],
  ];
  it.each(sigs)('signature %s', (_name, rr, ss, expected) => {
    const sg = Uint8Array.of(...be32(rr), ...be32(ss));
    expect(nodeB.p256Verify(pk, msg, sg)).toBe(expected);
    expect(webB.p256Verify(pk, msg, sg)).toBe(expected);
  });
});
