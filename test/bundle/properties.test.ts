/**
 * Issue 17, properties of the default policy (runs: CUSTOS_FC_RUNS, default 6 here: each run
 * builds and verifies a bundle).
 *
 * Attacks covered:
 * - splice: any member (age file, seal, custody chain, receipts) of one valid bundle put into
 *   another valid bundle (same request and item id, or another request), the manifest re-signed
 *   by the sender: fails;
 * - omit: any member removed and the manifest re-signed by the sender: fails unless the policy
 *   waives exactly that requirement (and fails under any other single waiver);
 * - back-date: a chain or seal signed by a key after its revokedAt, dated at any time before the
 *   revocation: fails.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle, verifyBundle, type BundleItemInput } from '../../src/node/bundle.js';
import { REQUIREMENTS, type Requirement } from '../../src/bundle/policy.js';
import { senderManifestKey, story, trust, trustWith } from './story.js';

const runs = Number(process.env.CUSTOS_FC_RUNS ?? 6);
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
let a: Awaited<ReturnType<typeof story>>;
let same: Awaited<ReturnType<typeof story>>;
let other: Awaited<ReturnType<typeof story>>;
beforeAll(async () => {
  a = await story({});
  same = await story({});
  other = await story({ request: 'REQ-2', case: 'CASE-2' });
  made.push(a.dir, same.dir, other.dir);
});
let n = 0;
async function rebuilt(item: BundleItemInput, base = a): Promise<string> {
  const p = join(a.dir, `p-${n++}.tar`);
  await createBundle(p, { ...base.args, items: [item] });
  return p;
}
const MEMBERS = ['encrypted', 'seal', 'custody', 'receipts'] as const;

describe('issue 17 properties', () => {
  it('the three source bundles verify', async () => {
    for (const s of [a, same, other]) expect((await verifyBundle(s.path, { trust })).checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('splicing any member between two valid bundles fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...MEMBERS), fc.boolean(), async (member, sameRequest) => {
        const from = (sameRequest ? same : other).inputs[0]!;
        const item = { ...a.inputs[0]!, [member]: from[member] } as BundleItemInput;
        const r = await verifyBundle(await rebuilt(item), { trust });
        expect(r.ok).toBe(false);
      }),
      { numRuns: runs },
    );
  });

  it('removing a member and re-signing fails unless exactly its requirement is waived', async () => {
    const removals: Record<'seal' | 'custody' | 'receipts', { drop: (keyof BundleItemInput)[]; waiver: Requirement }> = {
      seal: { drop: ['seal'], waiver: 'seal' },
      custody: { drop: ['custody', 'receipts'], waiver: 'custody' }, // a chain's receipts go with it
      receipts: { drop: ['receipts'], waiver: 'custody.logged' },
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('seal', 'custody', 'receipts' as const), fc.constantFrom(...REQUIREMENTS), async (what, waiver) => {
        const rm = removals[what];
        const item = { ...a.inputs[0]! } as Record<string, unknown>;
        for (const k of rm.drop) delete item[k];
        const p = await rebuilt(item as unknown as BundleItemInput);
        expect((await verifyBundle(p, { trust })).ok).toBe(false);
        const r = await verifyBundle(p, { trust, policy: { waive: [waiver] } });
        expect(r.ok).toBe(waiver === rm.waiver);
        if (r.ok) expect(r.waived).toEqual([waiver]);
      }),
      { numRuns: runs },
    );
  });

  it('a chain or seal signed after its key\'s revokedAt, under any dating, fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 29 * 24 }), fc.integer({ min: 1, max: 24 * 7 }), async (hoursAgo, revokedHoursAgo) => {
        const revokedAt = new Date(Date.now() - revokedHoursAgo * 3600_000);
        const dated = new Date(Date.now() - hoursAgo * 3600_000);
        const s = await story({ dated, signer: senderManifestKey }, a.dir);
        const r = await verifyBundle(s.path, { trust: trustWith(revokedAt) });
        expect(r.ok).toBe(false);
        expect(r.checks.filter((c) => c.check === 'time' && !c.ok).length + r.checks.filter((c) => c.check === 'custody' && !c.ok).length).toBeGreaterThan(0);
      }),
      { numRuns: runs },
    );
  });
});
