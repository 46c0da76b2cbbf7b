/**
 * Ed25519 strictness beyond Wycheproof: OpenSSL (node backend) and noble with zip215:false
 * (web backend) must give the same verdict on small-order keys and R values, non-canonical
 * point encodings and non-reduced S (the "Taming the many EdDSAs" edge cases, Chalkias et al.
 * 2020). A divergence would let one verifier accept a signature another rejects.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import * as nodeB from '../../src/crypto/node.js';
import * as webB from '../../src/crypto/web.js';

// The 8 small-order points in canonical form, then non-canonical encodings (y ≥ p, or x = 0 with
// the sign bit set), then one ordinary public key.
const POINTS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  toHex(nodeB.ed25519PublicKey(new Uint8Array(32).fill(7))),
];
const L = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'; // group order, LE
const SCALARS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  L,
  'ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', // L - 1
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0f',
];

// From novifinancial/ed25519-speccheck cases.json (message, public key, signature).
const SPECCHECK: readonly (readonly [string, string, string])[] = [
  ['8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000'],
  ['9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04'],
  ['aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e'],
  ['9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009'],
  ['e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09'],
  ['e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405'],
  ['85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', 'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514'],
  ['85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', '8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22'],
  ['fdaebc429f4a735932a160da1301080c13280eea8bc280d1b392c6b9e6ba3a5a', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f454d370c8d9fc323a41450f8d513eafeb5b0697390c1e505a0d4ddc71f566607'],
  ['84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09'],
];

describe('ed25519 verification edge cases: node and web agree', () => {
  it('agree on every small-order / non-canonical public key × R × S combination', () => {
    const msg = fromHex('48656c6c6f');
    const disagreements: string[] = [];
    let accepted = 0;
    for (const a of POINTS) {
      for (const r of POINTS) {
        for (const s of SCALARS) {
          const sig = fromHex(r + s);
          const n = nodeB.ed25519Verify(fromHex(a), msg, sig);
          const w = webB.ed25519Verify(fromHex(a), msg, sig);
          if (n !== w) disagreements.push(`A=${a.slice(0, 8)} R=${r.slice(0, 8)} S=${s.slice(0, 8)}: node=${n} web=${w}`);
          if (n) accepted++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    // S ≥ L is never accepted (RFC 8032 §5.1.7), so S = L and S = 2^252+… above must all fail.
    for (const a of POINTS) {
      for (const r of POINTS) {
        expect(nodeB.ed25519Verify(fromHex(a), msg, fromHex(r + L))).toBe(false);
      }
    }
    expect(accepted).toBeLessThan(POINTS.length * POINTS.length * SCALARS.length);
  });

  it('give the custos-policy verdict on the ed25519-speccheck cases', () => {
    const verdicts = SPECCHECK.map(([m, pk, sig]) => {
      const n = nodeB.ed25519Verify(fromHex(pk), fromHex(m), fromHex(sig));
      const w = webB.ed25519Verify(fromHex(pk), fromHex(m), fromHex(sig));
      return n === w ? n : `node=${n} web=${w}`;
    });
    // 0-1: small-order A; 2: small-order R; 3: ordinary; 4-5: valid only cofactored (mixed-order
    // A); 6-7: S ≥ L; 8-9: non-canonical R. Only case 3 passes the strict cofactorless rules.
    expect(verdicts).toEqual([false, false, false, true, false, false, false, false, false, false]);
  });

  it('a small-order public key does not "sign" every message (R = identity, S = 0)', () => {
    const sig = new Uint8Array(64);
    sig[0] = 1; // R = identity (0x01 00…00), S = 0
    for (const a of POINTS.slice(0, 8)) {
      for (const msg of [new Uint8Array(0), fromHex('00'), fromHex('deadbeef')]) {
        expect(nodeB.ed25519Verify(fromHex(a), msg, sig)).toBe(false);
        expect(webB.ed25519Verify(fromHex(a), msg, sig)).toBe(false);
      }
    }
  });
});
