/**
 * ES256 malleability (issue 17, item 9): ECDSA (r, s) and (r, n − s) both verify in plain
 * ECDSA, so an ES256-signed event would have a second valid byte string, with another hash
 * (event identity, chain links and log entries are hashes of bytes). custos policy: high-S is
 * refused everywhere ES256 is verified and never produced.
 *
 * Attacks covered: flipping s of a signature custos made (both backends, the raw verifier and
 * COSE_Sign1, attached and detached); a signer (HSM/KMS adapter) that returns high-S (normalised
 * on the COSE path, so what goes out is low-S and verifies); an ES256 custody event whose s is
 * flipped (a second byte string, another event hash) is refused by verifyChain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nodeB from '../../src/crypto/node.js';
import * as webB from '../../src/crypto/web.js';
import { decodeSign1, signSign1, verifySign1 } from '../../src/cose/index.js';
import { SigningKey, type SyncSigner } from '../../src/keys/index.js';
import { verifySignature } from '../../src/keys/signing.js';
import { eventHash, verifyChain } from '../../src/custody/index.js';
import { build, happySteps, trust } from '../custody/fixture.js';
import { flipS, flipSign1S, isHighS, P256_N, sOf } from '../support/p256.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 40);

/** A valid P-256 scalar from 32 random bytes (1 ≤ d < n). */
const scalar = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => {
  const d = (BigInt(`0x${Buffer.from(b).toString('hex')}`) % (P256_N - 1n)) + 1n;
  return Uint8Array.from(d.toString(16).padStart(64, '0').match(/../g)!, (h) => parseInt(h, 16));
});
const message = fc.uint8Array({ maxLength: 200 });

describe('ES256: high-S refused, never produced', () => {
  for (const [name, b] of [['node', nodeB], ['web', webB]] as const) {
    it(`${name} backend: every signature it produces is low-S and verifies; its (r, n − s) twin is refused by both backends`, () => {
      fc.assert(
        fc.property(scalar, message, (sk, msg) => {
          const pk = b.p256PublicKey(sk);
          const sig = b.p256Sign(sk, msg);
          expect(isHighS(sig)).toBe(false);
          expect(sOf(sig) > 0n).toBe(true);
          expect(nodeB.p256Verify(pk, msg, sig)).toBe(true);
          expect(webB.p256Verify(pk, msg, sig)).toBe(true);
          const twin = flipS(sig);
          expect(isHighS(twin)).toBe(true);
          expect(nodeB.p256Verify(pk, msg, twin)).toBe(false);
          expect(webB.p256Verify(pk, msg, twin)).toBe(false);
          expect(verifySignature('ES256', pk, msg, twin)).toBe(false);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('COSE_Sign1: a message with s flipped to n − s is refused (attached and detached)', () => {
    const key = SigningKey.generate('ES256');
    fc.assert(
      fc.property(message, fc.boolean(), (payload, detached) => {
        const msg = signSign1(payload, key, { detached });
        const d = decodeSign1(msg);
        expect(isHighS(d.signature)).toBe(false);
        const opts = detached ? { detachedPayload: payload } : {};
        expect(verifySign1(d, key, opts)).toBe(true);
        const flipped = decodeSign1(flipSign1S(msg));
        expect(verifySign1(flipped, key, opts)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('COSE_Sign1: a signer that returns high-S (an HSM or KMS may) still produces a low-S message that verifies', () => {
    const inner = SigningKey.generate('ES256');
    let highSeen = 0;
    const hsm: SyncSigner = {
      alg: 'ES256',
      kid: inner.kid,
      publicKey: inner.publicKey,
      sign: (m) => {
        const s = inner.sign(m);
        highSeen++;
        return flipS(s); // always the high-S form
      },
    };
    fc.assert(
      fc.property(message, (payload) => {
        const d = decodeSign1(signSign1(payload, hsm));
        expect(isHighS(d.signature)).toBe(false);
        expect(verifySign1(d, inner)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(highSeen).toBeGreaterThan(0);
  });

  it('custody: an ES256-signed event with s flipped (same event, another hash) fails verifyChain with ERR_SIGNATURE_INVALID', () => {
    // the lab's key is ES256; the chain up to its "received" event ends with an ES256 event
    const events = build(happySteps().slice(0, 4)).events;
    const last = events.length - 1;
    expect(decodeSign1(events[last]!).alg).toBe('ES256');
    expect(verifyChain(events, trust).ok).toBe(true);
    const twin = flipSign1S(events[last]!);
    expect(eventHash(twin)).not.toEqual(eventHash(events[last]!));
    const r = verifyChain([...events.slice(0, last), twin], trust);
    expect(r.ok).toBe(false);
    expect(r.failures.filter((f) => f.index === last).map((f) => f.code)).toContain('ERR_SIGNATURE_INVALID');
  });
});
