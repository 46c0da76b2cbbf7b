/**
 * verifySignedBy / trustedSignerAt: the one check "signed at time t by a key the trust store
 * holds for authority a" behind seals, custody events, presentations, status events and
 * bundle manifests.
 *
 * Attacks, each tested below:
 * - wrong authority: a valid signature by a trusted key of B on a payload that names A;
 * - kid of another authority: the kid of B's key put on a message signed by A's key;
 * - unknown kid: a kid no trusted key has, and no kid at all (or only an unprotected one);
 * - revoked before t / not yet valid at t / expired at t (the property test covers the window);
 * - revoked after t with `revocation: 'any'` (objects nothing logs: the signer's date is its word);
 * - back-dating: the same message judged at another time changes only through the window rules;
 * - tampered payload, tampered protected header (alg), a signature of the wrong algorithm;
 * - high-S ES256 (the (r, n − s) twin of a valid signature);
 * - detached/attached payload swap: a detached signature with another payload attached, an
 *   attached message where a detached one is expected, a detached message with none given;
 * - a check whose data is absent: no kid, a trust object that is not a TrustStore (misuse: throws).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../../src/bytes.js';
import { decode, encode, Tag } from '../../src/cbor.js';
import { decodeSign1, signSign1 } from '../../src/cose/index.js';
import { SigningKey, TrustStore, type TrustStoreDocument } from '../../src/keys/index.js';
import { signerOf, trustedSignerAt, verifySignedBy } from '../../src/keys/verify-signed.js';
import { flipSign1S } from '../support/p256.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 100);

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const edA = SigningKey.fromSecret(new Uint8Array(32).fill(1));
const edB = SigningKey.fromSecret(new Uint8Array(32).fill(2));
const esA = SigningKey.generate('ES256');
const stranger = SigningKey.fromSecret(new Uint8Array(32).fill(3));

interface Window {
  readonly notBefore: number;
  readonly notAfter?: number;
  readonly revokedAt?: number;
}

function entry(k: SigningKey, w: Window = { notBefore: T0 }) {
  return {
    alg: k.alg,
    publicKey: toBase64Url(k.publicKey),
    notBefore: iso(w.notBefore),
    ...(w.notAfter !== undefined ? { notAfter: iso(w.notAfter) } : {}),
    ...(w.revokedAt !== undefined ? { revokedAt: iso(w.revokedAt) } : {}),
  };
}

function store(aWindow: Window = { notBefore: T0 }): TrustStore {
  const doc: TrustStoreDocument = {
    version: 1,
    authorities: [
      { id: 'A', name: 'Authority A', jurisdiction: 'AT', roles: ['collector'], keys: [entry(edA, aWindow), entry(esA)] },
      { id: 'B', name: 'Authority B', jurisdiction: 'IE', roles: ['recipient'], keys: [entry(edB)] },
    ],
  };
  return TrustStore.parse(doc);
}

const trust = store();
const payload = utf8('{"authority":"A"}');
const signedByA = signSign1(payload, edA);

/** Re-encodes a COSE_Sign1 with some of its four parts replaced (unsigned: the signature stays). */
function rebuild(bytes: Uint8Array, f: (parts: unknown[]) => unknown[]): Uint8Array {
  const t = decode(bytes, { allowedTags: [18] }) as Tag;
  return encode(new Tag(f([...(t.value as unknown[])]), 18), { allowedTags: [18] });
}

describe('verifySignedBy: the rules', () => {
  it('accepts a message signed by a trusted key of the authority it names, valid at t', () => {
    const r = verifySignedBy(signedByA, trust, { at: T0 + DAY, authority: 'A' });
    expect(r).toMatchObject({ ok: true, authority: { id: 'A' } });
    expect(signerOf(r)?.key.kid).toEqual(edA.kid);
    // a decoded message, and an ISO or Date time, give the same verdict
    expect(verifySignedBy(decodeSign1(signedByA), trust, { at: iso(T0 + DAY), authority: 'A' }).ok).toBe(true);
    expect(verifySignedBy(signedByA, trust, { at: new Date(T0 + DAY) }).ok).toBe(true);
  });

  it('property: accepts exactly when the key window, the revocation rule and the authority say so', () => {
    const offset = fc.integer({ min: -30, max: 30 }).map((d) => d * DAY);
    fc.assert(
      fc.property(
        offset,
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        fc.option(fc.integer({ min: -35, max: 35 }), { nil: undefined }),
        offset,
        fc.constantFrom('A', 'B', undefined),
        fc.constantFrom('at-time' as const, 'any' as const),
        (nb, len, rev, signedAt, claimed, revocation) => {
          const w: Window = {
            notBefore: T0 + nb,
            ...(len !== undefined ? { notAfter: T0 + nb + len * DAY } : {}),
            ...(rev !== undefined ? { revokedAt: T0 + rev * DAY } : {}),
          };
          const t = store(w);
          const at = T0 + signedAt;
          const inWindow = at >= w.notBefore && (w.notAfter === undefined || at < w.notAfter) && (w.revokedAt === undefined || at < w.revokedAt);
          const authorityOk = claimed === undefined || claimed === 'A';
          const revocationOk = revocation === 'at-time' || w.revokedAt === undefined;
          const r = verifySignedBy(signedByA, t, { at, ...(claimed !== undefined ? { authority: claimed } : {}), revocation });
          expect(r.ok).toBe(inWindow && authorityOk && revocationOk);
          // the first rule broken is the one reported, in the documented order
          if (!inWindow) expect(r).toMatchObject({ ok: false, step: 'key', code: 'ERR_KEY_NOT_VALID' });
          else if (!authorityOk) expect(r).toMatchObject({ ok: false, step: 'authority', code: 'ERR_SIGNATURE_INVALID' });
          else if (!revocationOk) expect(r).toMatchObject({ ok: false, step: 'revoked', code: 'ERR_KEY_NOT_VALID' });
          // the signer-side check agrees with the message check on every rule but the signature
          const s = trustedSignerAt(t, edA.kid, { at, ...(claimed !== undefined ? { authority: claimed } : {}), revocation });
          expect(s.ok).toBe(r.ok);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('verifySignedBy: attacks', () => {
  it('wrong authority: a valid signature by B on a payload naming A fails with the caller code', () => {
    const byB = signSign1(payload, edB);
    const r = verifySignedBy(byB, trust, { at: T0, authority: 'A', authorityCode: 'ERR_EVENT_INVALID' });
    expect(r).toMatchObject({ ok: false, step: 'authority', code: 'ERR_EVENT_INVALID', signer: { authority: { id: 'B' } } });
    expect(verifySignedBy(byB, trust, { at: T0, authority: 'A' })).toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
  });

  it('kid of another authority: B\'s kid on a message A signed does not verify under B\'s key', () => {
    const forged = rebuild(signedByA, ([, u, p, s]) => [encode(new Map<number, unknown>([[1, -8], [4, edB.kid]])), u, p, s]);
    expect(verifySignedBy(forged, trust, { at: T0, authority: 'B' })).toMatchObject({ ok: false, step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
  });

  it('unknown kid, no kid, and a kid only in the unprotected header', () => {
    expect(verifySignedBy(signSign1(payload, stranger), trust, { at: T0 })).toMatchObject({ ok: false, step: 'key', code: 'ERR_KEY_UNKNOWN' });
    const noKid = signSign1(payload, edA, { includeKid: false });
    expect(verifySignedBy(noKid, trust, { at: T0 })).toMatchObject({ ok: false, step: 'kid', code: 'ERR_KEY_UNKNOWN' });
    // the unprotected header is not signed: a kid there is not believed
    const unprotectedKid = rebuild(noKid, ([pb, , p, s]) => [pb, new Map<number, unknown>([[4, edA.kid]]), p, s]);
    expect(decodeSign1(unprotectedKid).kid).toEqual(edA.kid);
    expect(verifySignedBy(unprotectedKid, trust, { at: T0 })).toMatchObject({ ok: false, step: 'kid', code: 'ERR_KEY_UNKNOWN' });
    expect(trustedSignerAt(trust, undefined, { at: T0 })).toMatchObject({ ok: false, step: 'kid' });
    expect(trustedSignerAt(trust, stranger.kid, { at: T0 })).toMatchObject({ ok: false, step: 'key', code: 'ERR_KEY_UNKNOWN' });
  });

  it('revoked before t, not yet valid at t, expired at t; revoked after t passes unless revocation is "any"', () => {
    const t = store({ notBefore: T0, notAfter: T0 + 20 * DAY, revokedAt: T0 + 10 * DAY });
    expect(verifySignedBy(signedByA, t, { at: T0 - 1 })).toMatchObject({ step: 'key', code: 'ERR_KEY_NOT_VALID' });
    expect(verifySignedBy(signedByA, t, { at: T0 + 10 * DAY })).toMatchObject({ step: 'key', code: 'ERR_KEY_NOT_VALID' });
    expect(verifySignedBy(signedByA, store({ notBefore: T0, notAfter: T0 + DAY }), { at: T0 + DAY })).toMatchObject({ step: 'key', code: 'ERR_KEY_NOT_VALID' });
    // back-dated before the revocation: the window accepts it, the 'any' rule does not
    expect(verifySignedBy(signedByA, t, { at: T0 + 9 * DAY }).ok).toBe(true);
    const any = verifySignedBy(signedByA, t, { at: T0 + 9 * DAY, revocation: 'any' });
    expect(any).toMatchObject({ ok: false, step: 'revoked', code: 'ERR_KEY_NOT_VALID' });
    expect(signerOf(any)?.key.revokedAt).toBe(T0 + 10 * DAY);
  });

  it('tampered payload, tampered alg header, a key of another algorithm', () => {
    const tampered = rebuild(signedByA, ([pb, u, , s]) => [pb, u, utf8('{"authority":"B"}'), s]);
    expect(verifySignedBy(tampered, trust, { at: T0 })).toMatchObject({ ok: false, step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
    // alg −7 (ES256) in the protected header of an EdDSA signature by an EdDSA key
    const algSwapped = rebuild(signedByA, ([, u, p, s]) => [encode(new Map<number, unknown>([[1, -7], [4, edA.kid]])), u, p, s]);
    expect(verifySignedBy(algSwapped, trust, { at: T0 })).toMatchObject({ ok: false, step: 'signature', code: 'ERR_COSE_ALG' });
    const unknownAlg = rebuild(signedByA, ([, u, p, s]) => [encode(new Map<number, unknown>([[1, -35], [4, edA.kid]])), u, p, s]);
    expect(verifySignedBy(unknownAlg, trust, { at: T0 })).toMatchObject({ ok: false, step: 'signature', code: 'ERR_COSE_ALG' });
    // not a COSE_Sign1 at all
    expect(verifySignedBy(utf8('not cbor'), trust, { at: T0 })).toMatchObject({ ok: false, step: 'decode' });
  });

  it('high-S ES256: the (r, n − s) twin of a valid signature is refused', () => {
    const es = signSign1(payload, esA);
    expect(verifySignedBy(es, trust, { at: T0, authority: 'A' }).ok).toBe(true);
    expect(verifySignedBy(flipSign1S(es), trust, { at: T0, authority: 'A' })).toMatchObject({ ok: false, step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
  });

  it('detached/attached payload swap', () => {
    const detached = signSign1(payload, edA, { detached: true });
    expect(verifySignedBy(detached, trust, { at: T0, detachedPayload: payload }).ok).toBe(true);
    // another payload supplied, or attached to the detached signature
    expect(verifySignedBy(detached, trust, { at: T0, detachedPayload: utf8('other') })).toMatchObject({ step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
    const attached = rebuild(detached, ([pb, u, , s]) => [pb, u, utf8('other'), s]);
    expect(verifySignedBy(attached, trust, { at: T0 })).toMatchObject({ step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
    // the caller expects a detached payload but the message brings its own (even the right one)
    expect(verifySignedBy(signedByA, trust, { at: T0, detachedPayload: payload })).toMatchObject({ step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
    // a detached message with no payload given is a failure, not an exception
    expect(verifySignedBy(detached, trust, { at: T0 })).toMatchObject({ step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
  });

  it('external AAD is part of what was signed', () => {
    const aad = utf8('context');
    const m = signSign1(payload, edA, { externalAad: aad });
    expect(verifySignedBy(m, trust, { at: T0, externalAad: aad }).ok).toBe(true);
    expect(verifySignedBy(m, trust, { at: T0 })).toMatchObject({ step: 'signature', code: 'ERR_SIGNATURE_INVALID' });
  });

  it('misuse throws: a trust object that is not a TrustStore, an invalid time', () => {
    expect(() => verifySignedBy(signedByA, {} as TrustStore, { at: T0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => verifySignedBy(signedByA, trust, { at: 'yesterday' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
