/**
 * Issue 17, attack 1: time anchored to the witnesses. A key revoked yesterday signs events, seal
 * and manifest today, dated three days ago, and has the events logged and cosigned today.
 *
 * Attacks on verifyBundle covered here:
 * - back-date: events, seal and manifest dated before the revocation, logged after it;
 * - a check whose data is absent: the revoked key's events not logged at all (custody.logged
 *   waived), a seal and a manifest that nothing logs;
 * - forward-date: an event dated later than its witnessed time plus the skew tolerance;
 * - the honest case: a key revoked tomorrow, everything witnessed today, verifies, and the report
 *   lists the witnessed times it used.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/node/bundle.js';
import { SIGNED_TIME_SKEW_MS } from '../../src/bundle/timeanchor.js';
import { senderManifestKey, story, trustWith, type StorySpec } from './story.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const day = 86400_000;
const yesterday = new Date(Date.now() - day);
const threeDaysAgo = new Date(Date.now() - 3 * day);
async function verify(spec: StorySpec, revokedAt: Date | undefined, policy: Parameters<typeof verifyBundle>[1]['policy'] = {}) {
  const s = await story(spec);
  dirs.push(s.dir);
  return verifyBundle(s.path, { trust: trustWith(revokedAt), policy });
}
const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);

describe('attack 1: a revoked key forges a complete bundle', () => {
  it('everything signed today by the key revoked yesterday, dated three days ago: the manifest fails', async () => {
    const r = await verify({ dated: threeDaysAgo }, yesterday);
    expect(r.ok).toBe(false);
    expect(failed(r)).toContain('manifest.signature:ERR_KEY_NOT_VALID');
  });

  it('with the manifest under another key, the back-dated seal and events fail their time check', async () => {
    const r = await verify({ dated: threeDaysAgo, signer: senderManifestKey }, yesterday);
    expect(r.ok).toBe(false);
    const times = r.checks.filter((c) => c.check === 'time' && !c.ok);
    expect(times.map((c) => c.code)).toEqual(['ERR_KEY_NOT_VALID', 'ERR_KEY_NOT_VALID']); // the seal, then the events
    expect(times.some((c) => /first witnessed at .* after the revocation/.test(c.detail))).toBe(true);
  });

  it('the revoked key\'s events, never logged (custody.logged waived), still fail', async () => {
    const r = await verify({ dated: threeDaysAgo, signer: senderManifestKey, items: [{ id: 'disk', logged: false }] }, yesterday, { waive: ['custody.logged'] });
    expect(failed(r).filter((c) => c.startsWith('time:'))).toHaveLength(2);
  });

  it('a key revoked tomorrow: today\'s witnessed events count, and the report lists the witnessed times', async () => {
    const r = await verify({ signer: senderManifestKey }, new Date(Date.now() + day));
    // the seal is signed by a key with a revokedAt and nothing logs it: refused even so
    expect(failed(r)).toEqual(['time:ERR_KEY_NOT_VALID']);
    const ev = r.checks.find((c) => c.check === 'time' && c.ok);
    expect(ev?.detail).toMatch(/verified times: event 0 witnessed \d{4}-/);
  });

  it('no revocation: back-dated events are allowed (witnessed later is no contradiction)', async () => {
    const r = await verify({ dated: threeDaysAgo }, undefined);
    expect(failed(r)).toEqual([]);
  });

  it('an event dated later than its witnessed time plus the skew fails', async () => {
    const r = await verify({ dated: new Date(Date.now() + SIGNED_TIME_SKEW_MS + 5 * 60_000) }, undefined);
    expect(failed(r)).toContain('time:ERR_TIME_INVALID');
  });
});
