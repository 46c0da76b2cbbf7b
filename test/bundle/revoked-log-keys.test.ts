/**
 * The bundle's newest checkpoint is judged with the trust store's windows of the log and witness
 * keys (as every tlog-proof receipt already is): a witness revoked yesterday cannot make today's
 * checkpoint meet the quorum, and a log key revoked yesterday cannot sign it.
 *
 * Attacks on verifyBundle covered here:
 * - a check whose data is absent: COSE receipts only (no tlog-proof whose own checkpoint would
 *   be judged with the windows), so the newest checkpoint is all that anchors the log;
 * - replay of a revoked key: the witness's cosignature, and the log key's signature, dated after
 *   their revocation;
 * - the same with the witness quorum waived: a revoked log key's checkpoint is still refused;
 * - the honest case: the same bundle with no revocation verifies.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrustStore } from '../../src/keys/trust.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';
import { story, trust } from './story.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const yesterday = new Date(Date.now() - 86400_000).toISOString();

/** The story's bundle with only the COSE receipts (no tlog-proofs). */
async function coseOnly(): Promise<string> {
  const s = await story();
  dirs.push(s.dir);
  const path = join(s.dir, 'cose-only.tar');
  await createBundle(path, { ...s.args, items: s.args.items.map((i) => ({ ...i, receipts: (i.receipts ?? []).filter((r) => r.name.endsWith('.receipt.cose')) })) });
  return path;
}

const doc = trust.document;
const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);

describe('the newest checkpoint under revoked log and witness keys', () => {
  it('the honest bundle (COSE receipts only) verifies', async () => {
    const r = await verifyBundle(await coseOnly(), { trust });
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('a witness revoked yesterday: today\'s cosignature does not meet the quorum', async () => {
    const t = TrustStore.parse({ ...doc, witnesses: (doc.witnesses ?? []).map((w) => ({ ...w, revokedAt: yesterday })) });
    const r = await verifyBundle(await coseOnly(), { trust: t });
    expect(r.ok).toBe(false);
    expect(failed(r)).toContain('witness.quorum:ERR_KEY_NOT_VALID');
  });

  it('a log key revoked yesterday: today\'s checkpoint is refused', async () => {
    const t = TrustStore.parse({ ...doc, logs: (doc.logs ?? []).map((l) => ({ ...l, revokedAt: yesterday })) });
    const r = await verifyBundle(await coseOnly(), { trust: t });
    expect(r.ok).toBe(false);
    expect(failed(r)).toContain('witness.quorum:ERR_KEY_NOT_VALID');
  });

  it('a log key revoked yesterday, the witness quorum waived: nothing shows when it signed, refused', async () => {
    const t = TrustStore.parse({ ...doc, logs: (doc.logs ?? []).map((l) => ({ ...l, revokedAt: yesterday })) });
    const r = await verifyBundle(await coseOnly(), { trust: t, policy: { waive: ['witness.quorum'] } });
    expect(r.ok).toBe(false);
    expect(failed(r)).toContain('checkpoint:ERR_KEY_NOT_VALID');
  });
});
