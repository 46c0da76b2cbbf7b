import * as crypto from '#crypto';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { encode } from '../../src/cbor.js';
import type { ErrorCode } from '../../src/errors.js';
import { commitRecord, presentRecord, verifyPresentation, type PresentationExpectation } from '../../src/redact/index.js';
import { decoyDigest, encodeDisclosure } from '../../src/redact/disclosure.js';
import {
  Tag,
  binding,
  expiredKey,
  forgeCommitted,
  forgePresentation,
  holderKey,
  issuerKey,
  sample,
  sampleRedactable,
  REVOKED_AT,
  revokedKey,
  strangerKey,
  trust,
} from './helpers.js';

const committed = commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey });
const other = commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey });
const byPath = (c: typeof committed, p: string) => c.disclosures.find((d) => d.path === p)!.bytes;
const name = byPath(committed, 'subscriber.name');
const s1 = byPath(committed, 'sessions[1]');
const s1ip = byPath(committed, 'sessions[1].ip');

function failures(pres: Uint8Array, expect_: PresentationExpectation = binding): ErrorCode[] {
  const r = verifyPresentation(pres, { trust, expect: expect_ });
  if (r.ok) return [];
  expect(r.record).toBeUndefined();
  expect(r.report.failures.length).toBeGreaterThan(0);
  return r.report.failures.map((f) => f.code!);
}

const salt = () => crypto.randomBytes(16);
const early = commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey, issuedAt: '2025-12-31T00:00:00Z' });

describe('verifyPresentation accepts the honest case', () => {
  it('verifies and returns only the disclosed fields', () => {
    const p = presentRecord(committed, [name, s1, s1ip], { ...binding, signer: holderKey });
    const r = verifyPresentation(p, { trust, expect: binding });
    expect(r.ok).toBe(true);
    expect(r.report.failures).toEqual([]);
    expect(r.record).toEqual({
      recordType: 'subscriber-and-traffic',
      subscriber: { name: 'Alice Example', since: 1577836800 },
      sessions: [{ ip: '198.51.100.7', start: 1700003600, bytes: 999 }],
    });
    expect(r.report.issuer?.authority).toBe('provider-x');
    expect(r.report.holder?.authority).toBe('holder-a');
    expect(r.report.disclosed).toBe(3);
  });
  it('a key revoked later still verifies what it signed before', () => {
    const p = presentRecord(early, [], { ...binding, signer: revokedKey, issuedAt: Date.parse(REVOKED_AT) - 500 });
    expect(failures(p)).toEqual([]);
  });
  it('the forge helper builds the same valid shape', () => {
    expect(failures(forgePresentation(committed.bytes, [name], holderKey), binding)).toEqual([]);
  });
});

// Each row: a presentation (or a way to make one) and the code the report must carry.
const rows: [string, () => Uint8Array, ErrorCode, PresentationExpectation?][] = [
  ['disclosure from another record', () => forgePresentation(committed.bytes, [name, byPath(other, 'subscriber.name')], holderKey), 'ERR_DISCLOSURE_UNREFERENCED'],
  ['child disclosed without its container', () => forgePresentation(committed.bytes, [s1ip], holderKey), 'ERR_DISCLOSURE_UNREFERENCED'],
  ['decoy-shaped disclosure', () => forgePresentation(committed.bytes, [encode([salt()])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['disclosure given twice', () => forgePresentation(committed.bytes, [name, name], holderKey), 'ERR_DISCLOSURE_DUPLICATE'],
  [
    'digest appearing twice in one map',
    () => {
      const d = encodeDisclosure(salt(), 'x', 'k');
      const h = crypto.sha256(d);
      return forgePresentation(forgeCommitted(new Map([['_sd', [h, h]]])), [d], holderKey);
    },
    'ERR_DIGEST_DUPLICATE',
  ],
  [
    'digest appearing in two places',
    () => {
      const h = decoyDigest();
      return forgePresentation(forgeCommitted(new Map<string, unknown>([['_sd', [h]], ['list', [new Tag(h, 60)]]])), [], holderKey);
    },
    'ERR_DIGEST_DUPLICATE',
  ],
  ['audience', () => presentRecord(committed, [name], { ...binding, audience: 'FR-OCLCTIC', signer: holderKey }), 'ERR_BINDING_MISMATCH'],
  ['request id', () => presentRecord(committed, [name], { ...binding, requestId: 'EPOC-2026-0043', signer: holderKey }), 'ERR_BINDING_MISMATCH'],
  ['purpose', () => presentRecord(committed, [name], { ...binding, purpose: 'TAX', signer: holderKey }), 'ERR_BINDING_MISMATCH'],
  ['nonce', () => presentRecord(committed, [name], { ...binding, nonce: 'n-other', signer: holderKey }), 'ERR_BINDING_MISMATCH'],
  ['nonce as bytes vs string', () => presentRecord(committed, [name], { ...binding, nonce: utf8(binding.nonce), signer: holderKey }), 'ERR_BINDING_MISMATCH'],
  [
    'stale presentation',
    () => presentRecord(committed, [name], { ...binding, issuedAt: Date.now() - 3_600_000, signer: holderKey }),
    'ERR_BINDING_MISMATCH',
    { ...binding, maxAgeSeconds: 600 },
  ],
  [
    'presentation from the future',
    () => presentRecord(committed, [name], { ...binding, issuedAt: Date.now() + 3_600_000, signer: holderKey }),
    'ERR_BINDING_MISMATCH',
    { ...binding, maxAgeSeconds: 600 },
  ],
  [
    'record bound to another holder',
    () => forgePresentation(commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey, holder: strangerKey.kid }).bytes, [], holderKey),
    'ERR_BINDING_MISMATCH',
  ],
  [
    'presented before the record was committed',
    () => forgePresentation(committed.bytes, [name], holderKey, { iat: Date.now() - 86_400_000 }),
    'ERR_BINDING_MISMATCH',
  ],
  ['unknown holder key', () => presentRecord(committed, [name], { ...binding, signer: strangerKey }), 'ERR_KEY_UNKNOWN'],
  ['unknown issuer key', () => presentRecord(commitRecord(sample, { redactable: sampleRedactable, signer: strangerKey }), [], { ...binding, signer: holderKey }), 'ERR_KEY_UNKNOWN'],
  [
    'holder key revoked half a second before signing',
    () => presentRecord(early, [], { ...binding, signer: revokedKey, issuedAt: Date.parse(REVOKED_AT) + 500 }),
    'ERR_KEY_NOT_VALID',
  ],
  ['expired holder key', () => presentRecord(committed, [name], { ...binding, signer: expiredKey }), 'ERR_KEY_NOT_VALID'],
  ['issuer key not yet valid', () => presentRecord(commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey, issuedAt: '2019-06-01T00:00:00Z' }), [], { ...binding, signer: holderKey }), 'ERR_KEY_NOT_VALID'],
  [
    'expected issuer authority differs',
    () => presentRecord(committed, [], { ...binding, signer: holderKey }),
    'ERR_KEY_UNKNOWN',
    { ...binding, issuer: 'someone-else' },
  ],
  [
    'holder signature flipped',
    () => {
      const p = presentRecord(committed, [name], { ...binding, signer: holderKey });
      p[p.length - 1]! ^= 1;
      return p;
    },
    'ERR_SIGNATURE_INVALID',
  ],
  [
    'issuer signature over another payload',
    () => {
      const c = forgeCommitted(new Map([['a', 1]]));
      const other = forgeCommitted(new Map([['a', 2]]));
      const forged = new Uint8Array([...c.subarray(0, c.length - 64), ...other.subarray(other.length - 64)]);
      return forgePresentation(forged, [], holderKey);
    },
    'ERR_SIGNATURE_INVALID',
  ],
  ['committed record swapped', () => forgePresentation(other.bytes, [], holderKey, { rec: crypto.sha256(committed.bytes) }), 'ERR_DIGEST_MISMATCH'],
  ['disclosure added after signing', () => forgePresentation(committed.bytes, [name, s1], holderKey, { sd: crypto.sha256(encode([name])) }), 'ERR_DIGEST_MISMATCH'],
  ['reserved key in a disclosure', () => {
    const d = encodeDisclosure(salt(), 'x', '_sd');
    return forgePresentation(forgeCommitted(new Map([['_sd', [crypto.sha256(d)]]])), [d], holderKey);
  }, 'ERR_RESERVED_KEY'],
  ['array disclosure in a map', () => {
    const d = encodeDisclosure(salt(), 'x');
    return forgePresentation(forgeCommitted(new Map([['_sd', [crypto.sha256(d)]]])), [d], holderKey);
  }, 'ERR_DISCLOSURE_MALFORMED'],
  ['map disclosure in an array', () => {
    const d = encodeDisclosure(salt(), 'x', 'k');
    return forgePresentation(forgeCommitted(new Map([['list', [new Tag(crypto.sha256(d), 60)]]])), [d], holderKey);
  }, 'ERR_DISCLOSURE_MALFORMED'],
  ['disclosed key already in the map', () => {
    const d = encodeDisclosure(salt(), 'x', 'k');
    return forgePresentation(forgeCommitted(new Map<string, unknown>([['k', 'y'], ['_sd', [crypto.sha256(d)]]])), [d], holderKey);
  }, 'ERR_DISCLOSURE_MALFORMED'],
  ['two disclosures for one key', () => {
    const a = encodeDisclosure(salt(), 'x', 'k');
    const b = encodeDisclosure(salt(), 'y', 'k');
    return forgePresentation(forgeCommitted(new Map([['_sd', [crypto.sha256(a), crypto.sha256(b)]]])), [a, b], holderKey);
  }, 'ERR_DISCLOSURE_MALFORMED'],
  ['15-byte salt', () => forgePresentation(committed.bytes, [encode([crypto.randomBytes(15), 'x', 'k'])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['integer key', () => forgePresentation(committed.bytes, [encode([salt(), 'x', 501])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['four elements', () => forgePresentation(committed.bytes, [encode([salt(), 'x', 'k', 1])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['not CBOR', () => forgePresentation(committed.bytes, [new Uint8Array([0xff, 0x00])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['non-canonical disclosure', () => forgePresentation(committed.bytes, [new Uint8Array([0x83, 0x50, ...salt(), 0x18, 0x01, 0x61, 0x6b])], holderKey), 'ERR_DISCLOSURE_MALFORMED'],
  ['short digest in _sd', () => forgePresentation(forgeCommitted(new Map([['_sd', [new Uint8Array(31)]]])), [], holderKey), 'ERR_RECORD_INVALID'],
  ['empty _sd list', () => forgePresentation(forgeCommitted(new Map([['_sd', []]])), [], holderKey), 'ERR_RECORD_INVALID'],
  ['tag 60 as a map value', () => forgePresentation(forgeCommitted(new Map([['a', new Tag(decoyDigest(), 60)]])), [], holderKey), 'ERR_RECORD_INVALID'],
  ['integer map key in the record', () => forgePresentation(forgeCommitted(new Map([[1, 'a']])), [], holderKey), 'ERR_RECORD_INVALID'],
  ['unknown field in the committed record', () => forgePresentation(forgeCommitted(new Map([['a', 1]]), issuerKey, [['extra', 1]]), [], holderKey), 'ERR_RECORD_INVALID'],
  ['unknown field in the presentation', () => forgePresentation(committed.bytes, [], holderKey, { extra: ['x', 1] }), 'ERR_RECORD_INVALID'],
  ['committed record passed as a presentation', () => committed.bytes, 'ERR_RECORD_INVALID'],
  ['presentation typ on a committed record', () => forgePresentation(committed.bytes, [], holderKey, { typ: 'application/custos-record+cose' }), 'ERR_RECORD_INVALID'],
  ['garbage', () => new Uint8Array([1, 2, 3]), 'ERR_RECORD_INVALID'],
  ['empty input', () => new Uint8Array(0), 'ERR_RECORD_INVALID'],
];

describe('verifyPresentation rejections', () => {
  it.each(rows.map(([n, f, c, e]) => [n, c, f, e] as const))('%s → %s', (_name, code, make, exp) => {
    const codes = failures(make(), exp ?? binding);
    expect(codes).toContain(code);
  });
});

describe('holder-side checks (presentRecord refuses what a verifier would)', () => {
  const rowsP: [string, () => unknown, ErrorCode][] = [
    ['unreferenced', () => presentRecord(committed, [byPath(other, 'subscriber.name')], { ...binding, signer: holderKey }), 'ERR_DISCLOSURE_UNREFERENCED'],
    ['child without container', () => presentRecord(committed, [s1ip], { ...binding, signer: holderKey }), 'ERR_DISCLOSURE_UNREFERENCED'],
    ['duplicate', () => presentRecord(committed, [name, name], { ...binding, signer: holderKey }), 'ERR_DISCLOSURE_DUPLICATE'],
    ['wrong holder', () => presentRecord(commitRecord(sample, { redactable: [], signer: issuerKey, holder: strangerKey.kid }), [], { ...binding, signer: holderKey }), 'ERR_BINDING_MISMATCH'],
    ['empty nonce', () => presentRecord(committed, [], { ...binding, nonce: '', signer: holderKey }), 'ERR_INVALID_ARGUMENT'],
    ['not a record', () => presentRecord(new Uint8Array([1]), [], { ...binding, signer: holderKey }), 'ERR_RECORD_INVALID'],
  ];
  it.each(rowsP.map(([n, f, c]) => [n, c, f] as const))('%s → %s', (_n, code, f) => {
    expect(f).toThrow(expect.objectContaining({ code }));
  });
});

describe('commitRecord input checks', () => {
  const rowsC: [string, () => unknown, ErrorCode][] = [
    ['reserved key at top level', () => commitRecord({ _sd: 1 } as never, { redactable: [], signer: issuerKey }), 'ERR_RESERVED_KEY'],
    ['reserved key nested', () => commitRecord({ a: [{ b: { _sd: [] } }] } as never, { redactable: [], signer: issuerKey }), 'ERR_RESERVED_KEY'],
    ['float', () => commitRecord({ a: 1.5 }, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['NaN', () => commitRecord({ a: Number.NaN }, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['undefined', () => commitRecord({ a: undefined } as never, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['Date', () => commitRecord({ a: new Date() } as never, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['Map', () => commitRecord({ a: new Map() } as never, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['bigint', () => commitRecord({ a: 1n } as never, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['__proto__ key', () => commitRecord(JSON.parse('{"__proto__": 1}'), { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['array as record', () => commitRecord([] as never, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['too deep', () => commitRecord({ a: JSON.parse('['.repeat(40) + ']'.repeat(40)) }, { redactable: [], signer: issuerKey }), 'ERR_RECORD_INVALID'],
    ['bad path', () => commitRecord(sample, { redactable: ['subscriber..name'], signer: issuerKey }), 'ERR_PATH_SYNTAX'],
    ['path matching nothing', () => commitRecord(sample, { redactable: ['subscriber.nmae'], signer: issuerKey }), 'ERR_INVALID_ARGUMENT'],
    ['bucket 0', () => commitRecord(sample, { redactable: [], signer: issuerKey, bucket: 0 }), 'ERR_INVALID_ARGUMENT'],
  ];
  it.each(rowsC.map(([n, f, c]) => [n, c, f] as const))('%s → %s', (_n, code, f) => {
    expect(f).toThrow(expect.objectContaining({ code }));
  });
  it('allowUnmatched accepts a path that matches nothing', () => {
    expect(commitRecord(sample, { redactable: ['nothing.here'], signer: issuerKey, allowUnmatched: true }).disclosures).toEqual([]);
  });
});

describe('misuse throws', () => {
  it('rejects non-bytes and missing options', () => {
    expect(() => verifyPresentation('x' as never, { trust, expect: binding })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => verifyPresentation(new Uint8Array(1), { trust: {} as never, expect: binding })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => verifyPresentation(new Uint8Array(1), { trust, expect: { ...binding, nonce: 5 as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('records with holes', () => {
  it('a sparse array is not a record value (its hole would vanish and shift the indices after it)', () => {
    const sparse: unknown[] = ['a', 'b', 'c'];
    delete sparse[1];
    let code: unknown;
    try {
      commitRecord({ ...sample, sparse } as unknown as typeof sample, { redactable: sampleRedactable, signer: issuerKey });
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    expect(code).toBe('ERR_RECORD_INVALID');
  });
  it('a hole in the disclosures given to presentRecord is ERR_INVALID_ARGUMENT, not skipped', () => {
    const list = [name, s1];
    list.length = 3;
    let code: unknown;
    try {
      presentRecord(committed, list, { ...binding, signer: holderKey });
    } catch (e) {
      code = (e as { code?: unknown }).code ?? String(e);
    }
    expect(code).toBe('ERR_INVALID_ARGUMENT');
  });
});
