/**
 * Regression tests for issue 18, items 4 and 5, each naming the rule the old code broke.
 * Attacks: a period owed in one zone counted in the issuer's fixed offset (six hours late), one
 * that crosses a DST change; an EPOC or EPOC-PR addressed to the provider at large.
 */
import { describe, expect, it } from 'vitest';
import { deadlines } from '../../src/request/deadlines.js';
import { requestIssues, validateRequest } from '../../src/request/validate.js';
import { loadJson } from './helpers.js';

function mlaFromIssue(issuedAt: string): ReturnType<typeof validateRequest> {
  const j = loadJson('mla.json');
  j.issuedAt = issuedAt;
  j.treaty.periods = [{ id: 'execution', label: 'execution', amount: 10, unit: 'days', from: 'issue', basis: 'Art. 5' }];
  return validateRequest(j);
}

describe('item 4: a period from issue is counted where the act is owed (Regulation 1182/71 Art. 2(1), 3(1), 3(2)(b))', () => {
  it('10 days from issue at 10:00 −04:00, owed in Vienna: the end of 20 April in Vienna, 22:00Z (not 04:00Z on the 21st)', () => {
    const r = mlaFromIssue('2026-04-10T10:00:00-04:00');
    const [d] = deadlines(r, '2026-04-11T09:00:00+02:00', { timeZone: 'Europe/Vienna' });
    expect(d).toMatchObject({ id: 'execution', from: 'issue', dueAt: '2026-04-20T22:00:00Z', countedIn: 'Europe/Vienna' });
  });
  it('across the DST change in Vienna (29 March 2026): the last day ends at 00:00 CEST', () => {
    const r = mlaFromIssue('2026-03-20T10:00:00-04:00'); // 15:00 CET in Vienna
    const [d] = deadlines(r, '2026-03-21T09:00:00+01:00', { timeZone: 'Europe/Vienna' });
    expect(d?.dueAt).toBe('2026-03-30T22:00:00Z'); // 31 March 00:00 +02:00
  });
  it('without an IANA zone, the offset of the receipt (where the act is done) counts, not the issuer\'s', () => {
    const r = mlaFromIssue('2026-04-10T10:00:00-04:00');
    const [d] = deadlines(r, '2026-04-11T09:00:00+02:00');
    expect(d?.dueAt).toBe('2026-04-20T22:00:00Z');
    expect(d?.countedIn).toBe('UTC+02:00 (fixed offset)');
  });
});

describe('item 5: 2023/1543 Art. 7(1): an EPOC or EPOC-PR goes to a designated establishment or legal representative', () => {
  for (const file of ['epoc-traffic.json', 'epoc-pr.json']) {
    it(`${file}: addressee.kind "service-provider" is refused, citing Art. 7`, () => {
      const j = loadJson(file);
      j.addressee.kind = 'service-provider';
      const issues = requestIssues(j);
      expect(issues).toContainEqual({ path: 'addressee.kind', message: expect.stringContaining('2023/1543 Art. 7') });
      j.addressee.kind = 'legal-representative';
      expect(requestIssues(j)).toEqual([]);
    });
  }
});
