import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';

export const issuerKey = SigningKey.generate();
export const holderKey = SigningKey.generate();
export const strangerKey = SigningKey.generate();
/** Revoked at {@link REVOKED_AT}. */
export const revokedKey = SigningKey.generate();
export const REVOKED_AT = '2026-01-01T00:00:00.000Z';
/** Valid only until 2020: anything signed now is signed after it expired. */
export const expiredKey = SigningKey.generate();

export const trust = TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'provider-x', name: 'Provider X', jurisdiction: 'AT', roles: ['provider'], keys: [trustedKeyEntry('EdDSA', issuerKey.publicKey, '2020-01-01T00:00:00Z')] },
    { id: 'holder-a', name: 'Holder A', jurisdiction: 'AT', roles: ['holder'], keys: [trustedKeyEntry('EdDSA', holderKey.publicKey, '2020-01-01T00:00:00Z')] },
    {
      id: 'revoked',
      name: 'Revoked',
      jurisdiction: 'FR',
      roles: ['holder'],
      keys: [{ ...trustedKeyEntry('EdDSA', revokedKey.publicKey, '2020-01-01T00:00:00Z'), revokedAt: REVOKED_AT }],
    },
    {
      id: 'old',
      name: 'Old',
      jurisdiction: 'DE',
      roles: ['holder'],
      keys: [trustedKeyEntry('EdDSA', expiredKey.publicKey, '2010-01-01T00:00:00Z', { notAfter: '2020-01-01T00:00:00Z' })],
    },
  ],
});

export const binding = { audience: 'DE-BKA', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce: 'n-0b1f3c' } as const;

export const sample = {
  recordType: 'subscriber-and-traffic',
  subscriber: { name: 'Alice Example', msisdn: '+43 660 1234567', address: { street: 'Ring 1', city: 'Wien' }, since: 1577836800 },
  sessions: [
    { ip: '192.0.2.10', start: 1700000000, bytes: 12345 },
    { ip: '198.51.100.7', start: 1700003600, bytes: 999 },
    { ip: '203.0.113.99', start: 1700007200, bytes: 0 },
  ],
  content: { subject: 'secret plans', body: new Uint8Array([1, 2, 3, 4]) },
};

export const sampleRedactable = [
  'subscriber.name',
  'subscriber.msisdn',
  'subscriber.address',
  'subscriber.address.street',
  'sessions[*]',
  'sessions[*].ip',
  'content',
];

export function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

import * as crypto from '#crypto';
import { encode, Tag } from '../../src/cbor.js';
import { signSign1 } from '../../src/cose/sign1.js';
import type { SyncSigner as Signer } from '../../src/keys/signing.js';
import { RECORD_TYP } from '../../src/redact/commit.js';
import { disclosuresHash, PRESENTATION_LABELS, PRESENTATION_TYP } from '../../src/redact/present.js';

/** Builds a presentation without presentRecord's checks (what a malicious holder could send). */
export function forgePresentation(
  committed: Uint8Array,
  disclosures: Uint8Array[],
  signer: Signer,
  over: Partial<{ aud: string; req: string; purpose: string; nonce: unknown; iat: number; rec: Uint8Array; sd: Uint8Array; typ: string; extra: [string, unknown] }> = {},
): Uint8Array {
  const payload = new Map<string, unknown>([
    ['v', 1],
    ['aud', over.aud ?? binding.audience],
    ['req', over.req ?? binding.requestId],
    ['purpose', over.purpose ?? binding.purpose],
    ['nonce', over.nonce ?? binding.nonce],
    ['iat', over.iat ?? Date.now()],
    ['rec', over.rec ?? crypto.sha256(committed)],
    ['sd', over.sd ?? disclosuresHash(disclosures)],
  ]);
  if (over.extra) payload.set(over.extra[0], over.extra[1]);
  return signSign1(encode(payload), signer, {
    protectedHeaders: new Map([[16, over.typ ?? PRESENTATION_TYP]]),
    unprotectedHeaders: new Map<string, unknown>([
      [PRESENTATION_LABELS.record, committed],
      [PRESENTATION_LABELS.disclosures, disclosures],
    ]),
  });
}

/** Builds a committed record from a raw committed map (Maps, tag-60 Tags allowed). */
export function forgeCommitted(record: unknown, signer: Signer = issuerKey, extra: [string, unknown][] = []): Uint8Array {
  const payload = new Map<string, unknown>([['v', 1], ['iat', Date.now()], ['record', record], ...extra]);
  return signSign1(encode(payload, { allowedTags: [60] }), signer, { protectedHeaders: new Map([[16, RECORD_TYP]]) });
}

export { Tag };
