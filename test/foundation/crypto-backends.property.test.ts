/**
 * Property tests: the node (OpenSSL) and web (noble) backends produce identical bytes for every
 * deterministic function on random inputs, agree on every verdict, and fail with the same code.
 * ECDSA signing is randomised in OpenSSL (noble uses RFC 6979), so for p256Sign the property is
 * that each backend verifies the other's signatures, including the high-S twin.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import * as nodeB from '../../src/crypto/node.js';
import * as webB from '../../src/crypto/web.js';
import { CustosError } from '../../src/errors.js';

const runs = Number(process.env.CUSTOS_FC_RUNS ?? 40);
const cfg = { numRuns: runs };

const bytes = (max = 300) => fc.uint8Array({ minLength: 0, maxLength: max });
const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const b12 = fc.uint8Array({ minLength: 12, maxLength: 12 });

/** Result of f as comparable text: hex of the output, or the error code. */
function outcome(f: () => Uint8Array | boolean): string {
  try {
    const r = f();
    if (typeof r === 'boolean') return String(r);
    if (Object.getPrototypeOf(r) !== Uint8Array.prototype) return 'returned a non-plain Uint8Array';
    return toHex(r);
  } catch (e) {
    return e instanceof CustosError ? `err:${e.code}` : `crash:${String(e)}`;
  }
}

function same(f: (b: typeof nodeB) => Uint8Array | boolean): void {
  const n = outcome(() => f(nodeB));
  const w = outcome(() => f(webB as unknown as typeof nodeB));
  expect(n).toBe(w);
  expect(n.startsWith('crash:')).toBe(false);
}

/** Splits `data` at random cut points. */
const splits = bytes(2000).chain((data) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: data.length }), { maxLength: 8 })
    .map((cuts) => {
      const pts = [0, ...cuts.sort((a, b) => a - b), data.length];
      return { data, parts: pts.slice(1).map((e, i) => data.subarray(pts[i]!, e)) };
    }),
);

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

describe('node and web backends agree byte for byte', () => {
  it('sha256 one-shot, and incremental over random splits equals one-shot', () => {
    fc.assert(
      fc.property(splits, ({ data, parts }) => {
        same((b) => b.sha256(data));
        for (const b of [nodeB, webB]) {
          const h = b.createSha256();
          for (const p of parts) h.update(p);
          expect(toHex(h.digest())).toBe(toHex(b.sha256(data)));
        }
      }),
      cfg,
    );
  });

  it('hmac-sha256 with keys shorter and longer than the block', () => {
    fc.assert(fc.property(bytes(130), bytes(), (k, m) => same((b) => b.hmacSha256(k, m))), cfg);
  });

  it('hkdf-sha256 for every output length 0..8161 (8161 rejected by both)', () => {
    fc.assert(
      fc.property(bytes(80), bytes(80), bytes(80), fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 8150, max: 8161 })), (ikm, salt, info, len) =>
        same((b) => b.hkdfSha256(ikm, salt, info, len)),
      ),
      cfg,
    );
  });

  it('chacha20-poly1305 seal equal; open round-trips; any byte flip rejected by both', () => {
    fc.assert(
      fc.property(b32, b12, bytes(), fc.option(bytes(40), { nil: undefined }), fc.nat(), (k, n, pt, aad, flip) => {
        same((b) => b.chacha20poly1305Seal(k, n, pt, aad));
        const sealed = nodeB.chacha20poly1305Seal(k, n, pt, aad);
        for (const b of [nodeB, webB]) {
          const { ciphertext, tag } = b.chacha20poly1305SealParts(k, n, pt, aad);
          expect(toHex(ciphertext) + toHex(tag)).toBe(toHex(sealed));
          expect(tag.length).toBe(16);
        }
        same((b) => b.chacha20poly1305Open(k, n, sealed, aad));
        expect(toHex(webB.chacha20poly1305Open(k, n, sealed, aad))).toBe(toHex(pt));
        const bad = sealed.slice();
        bad[flip % bad.length] = bad[flip % bad.length]! ^ (1 << (flip % 8));
        same((b) => b.chacha20poly1305Open(k, n, bad, aad));
        expect(outcome(() => nodeB.chacha20poly1305Open(k, n, bad, aad))).toBe('err:ERR_AEAD_AUTH');
      }),
      cfg,
    );
  });

  it('chacha20-poly1305 rejects wrong key and nonce sizes identically', () => {
    fc.assert(
      fc.property(bytes(40), bytes(20), (k, n) => {
        same((b) => b.chacha20poly1305Seal(k, n, new Uint8Array(3)));
        same((b) => b.chacha20poly1305Open(k, n, new Uint8Array(20)));
      }),
      cfg,
    );
  });

  it('ed25519: same public key, same (deterministic) signature, same verdicts on tampering', () => {
    fc.assert(
      fc.property(b32, bytes(), fc.nat(), (seed, msg, flip) => {
        same((b) => b.ed25519PublicKey(seed));
        same((b) => b.ed25519Sign(seed, msg));
        const pk = nodeB.ed25519PublicKey(seed);
        const sig = nodeB.ed25519Sign(seed, msg);
        expect(webB.ed25519Verify(pk, msg, sig)).toBe(true);
        same((b) => b.ed25519Verify(pk, msg, sig));
        const bad = sig.slice();
        bad[flip % 64] = bad[flip % 64]! ^ (1 << (flip % 8));
        same((b) => b.ed25519Verify(pk, msg, bad));
        expect(nodeB.ed25519Verify(pk, msg, bad)).toBe(false);
      }),
      cfg,
    );
  });

  it('a signing key mutated in place signs with its new value (no stale cached key)', () => {
    for (const b of [nodeB, webB]) {
      const seed = new Uint8Array(32).fill(1);
      const msg = Uint8Array.of(1, 2, 3);
      const s1 = b.ed25519Sign(seed, msg);
      const p1 = b.p256Sign(seed, msg);
      seed[0] = 2;
      const s2 = b.ed25519Sign(seed, msg);
      expect(toHex(s2)).not.toBe(toHex(s1));
      expect(toHex(s2)).toBe(toHex(b.ed25519Sign(seed.slice(), msg)));
      expect(b.ed25519Verify(b.ed25519PublicKey(seed), msg, s2)).toBe(true);
      const p2 = b.p256Sign(seed, msg);
      expect(b.p256Verify(b.p256PublicKey(seed), msg, p2)).toBe(true);
      expect(b.p256Verify(b.p256PublicKey(seed), msg, p1)).toBe(false);
    }
  });

  it('ed25519 verify agrees on random garbage keys and signatures', () => {
    fc.assert(fc.property(b32, bytes(70), bytes(20), (pk, sig, msg) => same((b) => b.ed25519Verify(pk, msg, sig))), cfg);
  });

  it('x25519: same public key and same shared secret', () => {
    fc.assert(
      fc.property(b32, b32, (a, peer) => {
        same((b) => b.x25519PublicKey(a));
        same((b) => b.x25519(a, peer)); // peer is a random u-coordinate, often on the twist
        const pub = nodeB.x25519PublicKey(peer);
        expect(toHex(webB.x25519(a, pub))).toBe(toHex(nodeB.x25519(peer, nodeB.x25519PublicKey(a))));
      }),
      cfg,
    );
  });

  it('p256: same public key; each backend verifies the other, signatures are low-S, the high-S twin and tampering rejected', () => {
    fc.assert(
      fc.property(b32, bytes(), fc.nat(), (sk, msg, flip) => {
        same((b) => b.p256PublicKey(sk));
        const d = BigInt(`0x${toHex(sk)}`);
        if (d === 0n || d >= P256_N) {
          expect(outcome(() => nodeB.p256PublicKey(sk))).toBe('err:ERR_CRYPTO');
          return;
        }
        const pk = nodeB.p256PublicKey(sk);
        const compressed = Uint8Array.of(2 + (pk[64]! & 1), ...pk.subarray(1, 33));
        for (const [signer, verifier] of [
          [nodeB, webB],
          [webB, nodeB],
        ] as const) {
          const sig = signer.p256Sign(sk, msg);
          expect(verifier.p256Verify(pk, msg, sig)).toBe(true);
          expect(verifier.p256Verify(compressed, msg, sig)).toBe(true);
          // custos produces low-S only and refuses the high-S twin (r, n - s), valid in plain
          // ECDSA (custos policy, src/crypto/p256-policy.ts).
          const s = BigInt(`0x${toHex(sig.subarray(32))}`);
          expect(s <= P256_N / 2n).toBe(true);
          const twin = Uint8Array.of(...sig.subarray(0, 32), ...hex32(P256_N - s));
          same((b) => b.p256Verify(pk, msg, twin));
          expect(nodeB.p256Verify(pk, msg, twin)).toBe(false);
          const bad = sig.slice();
          bad[flip % 64] = bad[flip % 64]! ^ (1 << (flip % 8));
          same((b) => b.p256Verify(pk, msg, bad));
          expect(nodeB.p256Verify(pk, msg, bad)).toBe(false);
        }
      }),
      cfg,
    );
  });

  it('p256 verify agrees on garbage keys and signatures', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(70), fc.uint8Array({ minLength: 65, maxLength: 65 }), fc.uint8Array({ minLength: 33, maxLength: 33 })), bytes(70), (pk, sig) =>
        same((b) => b.p256Verify(pk, new Uint8Array(1), sig)),
      ),
      cfg,
    );
  });

  it('scrypt with small parameters', () => {
    fc.assert(
      fc.property(bytes(40), bytes(40), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 64 }), (pw, salt, logN, r, len) =>
        same((b) => b.scrypt(pw, salt, logN, r, 1, len)),
      ),
      { numRuns: Math.min(runs, 20) },
    );
  });

  it('randomBytes returns plain Uint8Arrays of the asked length that differ between calls', () => {
    for (const b of [nodeB, webB]) {
      for (const n of [0, 1, 32, 1000, 65536, 65537, 200_000, 3_158_073]) {
        const r = b.randomBytes(n);
        expect(Object.getPrototypeOf(r)).toBe(Uint8Array.prototype);
        expect(r.length).toBe(n);
      }
      expect(toHex(b.randomBytes(32))).not.toBe(toHex(b.randomBytes(32)));
      // a large request is random throughout, not just in its first 64 KiB
      const big = b.randomBytes(200_000);
      expect(toHex(big.subarray(199_968))).not.toBe('00'.repeat(32));
      expect(toHex(big.subarray(65_536, 65_568))).not.toBe(toHex(big.subarray(0, 32)));
      for (const bad of [-1, 1.5, Number.NaN]) expect(outcome(() => b.randomBytes(bad))).toBe('err:ERR_INVALID_ARGUMENT');
    }
  });

  it('accepts Buffer inputs and never returns a Buffer', () => {
    const k = Buffer.alloc(32, 1);
    const n = Buffer.alloc(12, 2);
    for (const b of [nodeB, webB]) {
      for (const out of [
        b.sha256(Buffer.from('abc')),
        b.createSha256().update(Buffer.from('abc')).digest(),
        b.hmacSha256(k, Buffer.from('abc')),
        b.hkdfSha256(k, k, k, 42),
        b.chacha20poly1305Seal(k, n, Buffer.from('abc')),
        b.chacha20poly1305Open(k, n, Buffer.from(b.chacha20poly1305Seal(k, n, Buffer.from('abc')))),
        b.ed25519PublicKey(k),
        b.ed25519Sign(k, Buffer.from('abc')),
        b.x25519PublicKey(k),
        b.x25519(k, Buffer.from(b.x25519PublicKey(Buffer.alloc(32, 3)))),
        b.p256PublicKey(k),
        b.p256Sign(k, Buffer.from('abc')),
        b.scrypt(k, k, 2, 1, 1, 16),
      ]) {
        expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
      }
    }
  });
});

function hex32(x: bigint): Uint8Array {
  const h = x.toString(16).padStart(64, '0');
  return Uint8Array.from(h.match(/../g)!, (c) => parseInt(c, 16));
}
