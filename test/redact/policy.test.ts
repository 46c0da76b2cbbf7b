import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import * as crypto from '#crypto';
import type { ErrorCode } from '../../src/errors.js';
import { commitRecord, loadCommittedRecord, minimize, parseDisclosurePolicy, presentRecord, redactionCustodyInput, verifyPresentation } from '../../src/redact/index.js';
import { binding, holderKey, issuerKey, sample, sampleRedactable, trust } from './helpers.js';

const doc = {
  version: 1,
  id: 'provider-x/2026-01',
  public: ['recordType'],
  purposes: {
    'CRIM-INV': {
      description: 'serious crime investigation',
      categories: {
        subscriber: ['subscriber.name', 'subscriber.msisdn', 'subscriber.since'],
        traffic: ['sessions[*].ip', 'sessions[*].start', 'sessions[*].bytes'],
        content: ['content'],
      },
    },
    IDENT: { categories: { subscriber: ['subscriber.name'] } },
    'IP-ONLY': { categories: { traffic: ['sessions[*].ip'] } },
    FULLSUB: { categories: { subscriber: ['subscriber'] } },
  },
};
const policy = parseDisclosurePolicy(doc);
const committed = commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey });
const req = (purpose: string, categories: string[]) => ({ purpose, categories, requestId: binding.requestId, audience: binding.audience });

describe('minimize', () => {
  it('subscriber only: exactly the allowed subscriber fields', () => {
    const m = minimize(committed, policy, req('CRIM-INV', ['subscriber']));
    expect(m.disclosures.map((d) => d.path).sort()).toEqual(['subscriber.msisdn', 'subscriber.name']);
    expect(m.event).toMatchObject({
      type: 'redacted',
      withheldCount: committed.disclosures.length - 2,
      policyId: 'provider-x/2026-01',
      policyHash: toHex(policy.hash),
      purpose: 'CRIM-INV',
      categories: ['subscriber'],
      requestId: binding.requestId,
      audience: binding.audience,
      recordDigest: toHex(crypto.sha256(committed.bytes)),
    });
    expect(m.event.disclosedDigests).toEqual(m.disclosures.map((d) => toHex(d.digest)).sort());
    const r = verifyPresentation(presentRecord(committed, m.disclosures, { ...binding, signer: holderKey }), { trust, expect: binding });
    expect(r.ok).toBe(true);
    expect(r.report.recordDigest).toBe(m.event.recordDigest); // links the presentation to the custody event
    expect(r.record).toEqual({
      recordType: 'subscriber-and-traffic',
      subscriber: { name: 'Alice Example', msisdn: '+43 660 1234567', since: 1577836800 },
      // the array itself is committed in clear (only its elements are redactable): it shows, empty
      sessions: [],
    });
  });

  it('traffic opens each session container to reach the IPs', () => {
    const m = minimize(committed, policy, req('CRIM-INV', ['traffic', 'subscriber']));
    expect(m.disclosures.map((d) => d.path).sort()).toEqual([
      'sessions[0]',
      'sessions[0].ip',
      'sessions[1]',
      'sessions[1].ip',
      'sessions[2]',
      'sessions[2].ip',
      'subscriber.msisdn',
      'subscriber.name',
    ]);
    const r = verifyPresentation(presentRecord(committed, m.disclosures, { ...binding, signer: holderKey }), { trust, expect: binding });
    expect(r.record?.sessions).toEqual(sample.sessions);
    expect(r.record).not.toHaveProperty('content');
    expect(r.record?.subscriber).not.toHaveProperty('address');
  });

  it('a whole-subtree path discloses nested entries too', () => {
    const p2 = parseDisclosurePolicy({ ...doc, public: ['recordType'] });
    const m = minimize(committed, p2, req('FULLSUB', ['subscriber']));
    expect(m.disclosures.map((d) => d.path).sort()).toEqual(['subscriber.address', 'subscriber.address.street', 'subscriber.msisdn', 'subscriber.name']);
  });

  it('everything allowed: event type disclosed', () => {
    const all = parseDisclosurePolicy({ version: 1, id: 'all', purposes: { ALL: { categories: { any: ['*'] } } } });
    const m = minimize(committed, all, req('ALL', ['any']));
    expect(m.disclosures.length).toBe(committed.disclosures.length);
    expect(m.event.type).toBe('disclosed');
    expect(m.event.withheldCount).toBe(0);
  });

  const denied: [string, () => unknown, ErrorCode][] = [
    ['unknown purpose', () => minimize(committed, policy, req('TAX', ['subscriber'])), 'ERR_POLICY_DENIED'],
    ['prototype name as purpose', () => minimize(committed, policy, req('constructor', ['subscriber'])), 'ERR_POLICY_DENIED'],
    ['category not allowed for the purpose', () => minimize(committed, policy, req('IDENT', ['traffic'])), 'ERR_POLICY_DENIED'],
    ['one of several categories not allowed', () => minimize(committed, policy, req('IDENT', ['subscriber', 'content'])), 'ERR_POLICY_DENIED'],
    ['a clear field the purpose does not allow', () => minimize(committed, policy, req('IDENT', ['subscriber'])), 'ERR_POLICY_DENIED'],
    ['opening a container would expose siblings', () => minimize(committed, parseDisclosurePolicy({ ...doc, public: ['recordType', 'subscriber.since'] }), req('IP-ONLY', ['traffic'])), 'ERR_POLICY_DENIED'],
    ['no categories', () => minimize(committed, policy, req('CRIM-INV', [])), 'ERR_INVALID_ARGUMENT'],
    ['unparsed policy', () => minimize(committed, doc as never, req('CRIM-INV', ['subscriber'])), 'ERR_INVALID_ARGUMENT'],
  ];
  it.each(denied.map(([n, f, c]) => [n, c, f] as const))('%s → %s', (_n, code, f) => {
    expect(f).toThrow(expect.objectContaining({ code }));
  });
});

describe('policy documents', () => {
  it('hash is independent of key order and changes with content', () => {
    const reordered = JSON.parse(JSON.stringify({ purposes: doc.purposes, id: doc.id, public: doc.public, version: 1 }));
    expect(toHex(parseDisclosurePolicy(JSON.stringify(reordered)).hash)).toBe(toHex(policy.hash));
    const changed = parseDisclosurePolicy({ ...doc, public: ['recordType', 'x'] });
    expect(toHex(changed.hash)).not.toBe(toHex(policy.hash));
  });
  const bad: [string, unknown][] = [
    ['not JSON', '{version: 1'],
    ['wrong version', { ...doc, version: 2 }],
    ['unknown field', { ...doc, extra: true }],
    ['no purposes', { ...doc, purposes: {} }],
    ['bad path', { ...doc, purposes: { X: { categories: { a: ['sessions[*'] } } } }],
    ['empty path list', { ...doc, purposes: { X: { categories: { a: [] } } } }],
    ['bad purpose code', { ...doc, purposes: { 'has space': { categories: { a: ['x'] } } } }],
    ['__proto__ purpose', JSON.parse('{"version":1,"id":"p","purposes":{"__proto__":{"categories":{"a":["x"]}}}}')],
    ['missing id', { version: 1, purposes: doc.purposes }],
    ['null', null],
  ];
  it.each(bad)('rejects %s', (_n, input) => {
    expect(() => parseDisclosurePolicy(input)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_INVALID' }));
  });
});

describe('the holder keeps decoys (SD-CWT style) so its own view is exact', () => {
  it('loadCommittedRecord reproduces the paths', () => {
    const again = loadCommittedRecord(committed.bytes, committed.disclosures.map((d) => d.bytes), committed.decoys);
    expect(again.disclosures.map((d) => d.path).sort()).toEqual(committed.disclosures.map((d) => d.path).sort());
    expect(committed.decoys.length).toBeGreaterThan(0);
  });
  it('a lost disclosure keeps the other elements at their original index', () => {
    const kept = committed.disclosures.filter((d) => !d.path.startsWith('sessions[0]'));
    const again = loadCommittedRecord(committed.bytes, kept.map((d) => d.bytes), committed.decoys);
    expect(again.disclosures.map((d) => d.path)).toContain('sessions[2].ip');
    const m = minimize(again, policy, req('CRIM-INV', ['traffic', 'subscriber']));
    expect(m.disclosures.map((d) => d.path).filter((p) => p.startsWith('sessions')).sort()).toEqual([
      'sessions[1]',
      'sessions[1].ip',
      'sessions[2]',
      'sessions[2].ip',
    ]);
    expect(m.event.unavailableCount).toBe(1); // sessions[0]; its nested ip is out of reach
  });
  it('a decoy from another record is refused', () => {
    const other = commitRecord(sample, { redactable: sampleRedactable, signer: issuerKey });
    expect(() => loadCommittedRecord(committed.bytes, committed.disclosures.map((d) => d.bytes), [...committed.decoys, other.decoys[0]!])).toThrow(
      expect.objectContaining({ code: 'ERR_DISCLOSURE_UNREFERENCED' }),
    );
  });
  it('decoys are never accepted as disclosures', () => {
    expect(() => presentRecord(committed, [committed.decoys[0]!], { ...binding, signer: holderKey })).toThrow(
      expect.objectContaining({ code: 'ERR_DISCLOSURE_MALFORMED' }),
    );
  });
  it('a custody event records the minimisation and the chain verifies', () => {
    const m = minimize(committed, policy, req('CRIM-INV', ['subscriber']));
    const input = redactionCustodyInput(m.event, { authority: 'provider-x', role: 'disclosure-officer' });
    expect(input).toMatchObject({ type: 'redacted', purpose: 'CRIM-INV', authorisation: { type: 'request', reference: binding.requestId }, counterparty: { authority: binding.audience } });
    expect(JSON.parse(input.note!)).toMatchObject({ policyHash: toHex(policy.hash), disclosed: 2, disclosureSetDigest: m.event.disclosureSetDigest });
  });
});
