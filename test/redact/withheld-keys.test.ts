/**
 * minimize() must not leave the keys of withheld map entries behind (issue 18, item 6; the data
 * minimisation rule: only what the purpose needs goes out, and a map key such as a
 * correspondent's address is data). Attacks: a policy granting one entry's field while the
 * others' keys sit in clear; a wildcard policy and an entry without that field; a key under a
 * chosen container.
 */
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { commitRecord, minimize, parseDisclosurePolicy, presentRecord, verifyPresentation } from '../../src/redact/index.js';
import { binding, holderKey, issuerKey, trust } from './helpers.js';

const record = {
  recordType: 'contacts',
  contacts: {
    'lawyer@firm.example': { lastSeen: 1767225600, name: 'L' },
    'journalist@press.example': { lastSeen: 1767312000, name: 'J' },
    'friend@mail.example': { name: 'F' },
  },
};
const policyFor = (paths: string[]) =>
  parseDisclosurePolicy({ version: 1, id: 'p', public: ['recordType'], purposes: { 'CRIM-INV': { categories: { contacts: paths } } } });
const req = { purpose: 'CRIM-INV', categories: ['contacts'], requestId: binding.requestId };
const errCode = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'not a CustosError';
  }
  return undefined;
};

describe('minimize and the keys of withheld entries', () => {
  it('entries committed in clear: granting one correspondent\'s lastSeen is refused, it would show the others\' addresses', () => {
    const committed = commitRecord(record, { redactable: ['contacts.*.lastSeen', 'contacts.*.name'], signer: issuerKey });
    expect(errCode(() => minimize(committed, policyFor(['contacts["lawyer@firm.example"].lastSeen']), req))).toBe('ERR_POLICY_DENIED');
    // a wildcard grants the keys whose lastSeen goes out, but not friend's, which has none
    expect(errCode(() => minimize(committed, policyFor(['contacts.*.lastSeen']), req))).toBe('ERR_POLICY_DENIED');
    // granting the entries themselves (keys and all) is fine
    expect(minimize(committed, policyFor(['contacts']), req).disclosures.length).toBe(5);
  });

  it('entries committed redactable: only the granted entry\'s key goes out', () => {
    const committed = commitRecord(record, { redactable: ['contacts.*', 'contacts.*.lastSeen', 'contacts.*.name'], signer: issuerKey });
    const m = minimize(committed, policyFor(['contacts["lawyer@firm.example"].lastSeen']), req);
    const r = verifyPresentation(presentRecord(committed, m.disclosures, { ...binding, signer: holderKey }), { trust, expect: binding });
    expect(r.record).toEqual({ recordType: 'contacts', contacts: { 'lawyer@firm.example': { lastSeen: 1767225600 } } });
    expect(JSON.stringify(r.record)).not.toMatch(/journalist|friend/);
  });

  it('a clear key inside a chosen container is checked too', () => {
    const nested = { recordType: 'x', case: { parties: { 'witness@mail.example': { phone: '+43 1 234567' } }, ref: 'R-1' } };
    const committed = commitRecord(nested, { redactable: ['case', 'case.parties.*.phone', 'case.ref'], signer: issuerKey });
    expect(errCode(() => minimize(committed, policyFor(['case.ref']), req))).toBe('ERR_POLICY_DENIED');
  });

  it('field names the policy writes down are not data: an emptied array or map still shows its name', () => {
    const committed = commitRecord(record, { redactable: ['contacts.*'], signer: issuerKey });
    const p = parseDisclosurePolicy({
      version: 1,
      id: 'p',
      public: ['recordType'],
      purposes: { 'CRIM-INV': { categories: { meta: ['recordType'] } }, OTHER: { categories: { contacts: ['contacts.*.name'] } } },
    });
    const m = minimize(committed, p, { ...req, categories: ['meta'] });
    const r = verifyPresentation(presentRecord(committed, m.disclosures, { ...binding, signer: holderKey }), { trust, expect: binding });
    expect(r.record).toEqual({ recordType: 'contacts', contacts: {} });
  });
});
