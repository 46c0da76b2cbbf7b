/**
 * Issue 17, attacks 2-6: verification binds the whole story and fails closed. Each test fails on
 * the code before issue 17 (which said ok to every one of these bundles).
 *
 * Attacks on verifyBundle covered here:
 * - a check whose data is absent: no receipts at all while the trust store lists a log (attack 2);
 *   a chain stating no sha-256 (attack 3); a manifest naming no request;
 * - omit: one event's receipts left out;
 * - splice: the chain of another exhibit under an item (attack 3), the seal of another request,
 *   a record/seal/manifest request and case that disagree (attack 4);
 * - replay: one chain named by two items (the chain id names one item);
 * - swap: a chain whose events state another purpose; a chain whose digest is another item's;
 * - a pending transfer to anyone (attack 5): not the verifier's audience, not in the trust store;
 *   a bundle sent by someone who is not the chain's custodian;
 * - a verdict over part of a bundle (attack 6): `notChecked` names the items left out;
 * - waivers: named, listed, and an unknown name is refused.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { verifyBundle } from '../../src/node/bundle.js';
import { verdictLine } from '../../src/bundle/report.js';
import { receiver, story, trust, type StorySpec } from './story.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function verify(spec: StorySpec, policy: Parameters<typeof verifyBundle>[1]['policy'] = {}, only?: string[]) {
  const s = await story(spec);
  dirs.push(s.dir);
  return verifyBundle(s.path, { trust, policy, ...(only !== undefined ? { only } : {}) });
}
const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);
const detail = (r: { checks: readonly { ok: boolean; check: string; detail: string }[] }, check: string) => r.checks.filter((c) => !c.ok && c.check === check).map((c) => c.detail).join('\n');

describe('issue 17: the default policy', () => {
  it('a complete bundle verifies with a plain VERIFIED, with and without the audience', async () => {
    const r = await verify({ items: [{ id: 'disk' }, { id: 'mail' }] });
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.waived).toEqual([]);
    expect(r.notChecked).toEqual([]);
    expect(verdictLine(r)).toMatch(/^VERIFIED: /);
    expect(r.checks.filter((c) => c.check === 'binding' && c.ok)).toHaveLength(2);
    expect(r.checks.filter((c) => c.check === 'custody.logged' && c.ok)).toHaveLength(2);
    const a = await verify({}, { audience: 'AT-R' });
    expect(failed(a)).toEqual([]);
  });
});

describe('attack 2: custody.logged is required when the trust store lists a log', () => {
  it('an item whose events were never logged fails (no receipts at all)', async () => {
    const r = await verify({ items: [{ id: 'disk', logged: false }] });
    expect(failed(r)).toEqual(['custody.logged:ERR_RECEIPT_INVALID']);
    expect(detail(r, 'custody.logged')).toContain('0, 1');
  });
  it('waived by name, it passes, and the report and verdict say so', async () => {
    const r = await verify({ items: [{ id: 'disk', logged: false }] }, { waive: ['custody.logged'] });
    expect(failed(r)).toEqual([]);
    expect(r.waived).toEqual(['custody.logged']);
    expect(verdictLine(r)).toMatch(/^VERIFIED WITH WAIVERS: custody\.logged/);
  });
  it('an unknown waiver is refused before any work', async () => {
    await expect(verify({}, { waive: ['everything'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
  it('a quorum larger than the witnesses is never lowered: it fails', async () => {
    const r = await verify({}, { witnessQuorum: 2 });
    expect(failed(r)).toContain('witness.quorum:ERR_WITNESS_QUORUM');
    expect(failed(r).filter((c) => c.startsWith('receipt:')).length).toBeGreaterThan(0);
  });
});

describe('attack 3: custody.digest is required and the chain id names the item', () => {
  it('a chain that states no sha-256 fails', async () => {
    const r = await verify({ items: [{ id: 'disk', digest: false }] });
    expect(failed(r)).toEqual(['custody.digest:ERR_DIGEST_MISMATCH']);
  });
  it('a chain stating another plaintext digest fails', async () => {
    const r = await verify({ items: [{ id: 'disk', digest: crypto.randomBytes(32) }] });
    expect(failed(r)).toEqual(['custody.digest:ERR_DIGEST_MISMATCH']);
  });
  it('the chain of another exhibit (its id names another item) fails', async () => {
    const r = await verify({ items: [{ id: 'disk', chainId: 'REQ-1/phone' }] });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
    expect(detail(r, 'binding')).toContain('"REQ-1/disk"');
    expect(detail(r, 'binding')).toContain('"REQ-1/phone"');
  });
  it('the chain of the same item under another request fails', async () => {
    const r = await verify({ items: [{ id: 'disk', chainId: 'REQ-2/disk' }] });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
  });
});

describe('attack 4: manifest, seal, record and chain agree', () => {
  it('a seal for another request fails, naming both values', async () => {
    const r = await verify({ items: [{ id: 'disk', seal: { requestId: 'REQ-2' } }] });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
    expect(detail(r, 'binding')).toMatch(/"REQ-1".*"REQ-2"/);
  });
  it('a seal for another case fails', async () => {
    const r = await verify({ items: [{ id: 'disk', seal: { caseId: 'CASE-9' } }] });
    expect(detail(r, 'binding')).toMatch(/case.*"CASE-1".*"CASE-9"/);
  });
  it('custody events that state another purpose than the seal fail', async () => {
    const r = await verify({ items: [{ id: 'disk', eventPurpose: 'marketing' }] });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
    expect(detail(r, 'binding')).toContain('"marketing"');
  });
});

describe('attack 5: the sender holds the chain; a pending transfer names the verifier', () => {
  it('a transfer in transit to an authority not in the trust store fails', async () => {
    const r = await verify({ items: [{ id: 'disk', transferTo: 'XX-NOBODY' }] });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
  });
  it('a transfer to someone else than the verifier\'s audience fails', async () => {
    const r = await verify({ items: [{ id: 'disk', transferTo: 'XX-NOBODY' }] }, { audience: 'AT-R' });
    expect(detail(r, 'binding')).toMatch(/"AT-R".*"XX-NOBODY"/);
  });
  it('a bundle sent by an authority that is not the chain\'s custodian fails', async () => {
    const r = await verify({ issuer: 'AT-R', signer: receiver });
    expect(failed(r)).toEqual(['binding:ERR_BINDING_MISMATCH']);
    expect(detail(r, 'binding')).toMatch(/custodian.*"AT-R".*"IE-P"/);
  });
});

describe('attack 6: a verdict over part of a bundle', () => {
  it('--item disk with another item broken: the other item is named as not checked, never a plain VERIFIED', async () => {
    const r = await verify({ items: [{ id: 'disk' }, { id: 'mail', digest: false }] }, {}, ['disk']);
    expect(r.ok).toBe(true);
    expect(r.notChecked).toEqual(['mail']);
    expect(verdictLine(r)).toMatch(/^VERIFIED IN PART: .*items NOT checked: mail/);
  });
});

describe('replay: one chain for two items', () => {
  it('two items naming the same chain: the second fails its binding', async () => {
    const r = await verify({ items: [{ id: 'disk' }, { id: 'copy', chainId: 'REQ-1/disk' }] });
    expect(failed(r)).toContain('binding:ERR_BINDING_MISMATCH');
  });
});
