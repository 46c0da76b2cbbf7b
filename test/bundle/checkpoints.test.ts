/**
 * Issue 17, attack 7: the checkpoints of one log in a bundle tell one history, and a verifier's
 * own newest checkpoint pins it.
 *
 * Attacks on verifyBundle covered here:
 * - splice: a signed, cosigned checkpoint of a fork (other entries, same log key) at a smaller
 *   size than the newest one, added to a valid bundle;
 * - a check whose data is absent: an older genuine checkpoint with no consistency receipt to
 *   the newest;
 * - replay / rollback: a bundle whose log view is older than the checkpoint the verifier knows;
 * - fork: a known checkpoint of the same size with another root, or an older one not a prefix;
 * - the honest cases: an older genuine checkpoint with its consistency receipt, a known
 *   checkpoint equal to or older than (and consistent with) the bundle's newest.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint, parseNote } from '../../src/log/index.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';
import { forkCheckpoint, proofCheckpoint, story, trust } from './story.js';

let s: Awaited<ReturnType<typeof story>>;
let older = ''; // the tree the first event was included in (size 1)
beforeAll(async () => {
  s = await story({ items: [{ id: 'disk' }] });
  older = proofCheckpoint(s.inputs[0]!.receipts![0]!.bytes);
});
afterAll(() => rmSync(s.dir, { recursive: true, force: true }));
const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);
const sizeOf = (cp: string) => parseCheckpoint(parseNote(cp).text).size;
async function withCheckpoints(name: string, extra: { name: string; text: string }[]): Promise<string> {
  const p = join(s.dir, name);
  await createBundle(p, { ...s.args, checkpoints: [...s.args.checkpoints!, ...extra] });
  return p;
}

describe('attack 7: checkpoints of one log in one bundle', () => {
  it('the base bundle verifies; its newest checkpoint has size 3 (a first entry, then two events)', async () => {
    expect(failed(await verifyBundle(s.path, { trust }))).toEqual([]);
    expect(sizeOf(s.args.checkpoints![0]!.text)).toBe(3);
    expect(sizeOf(older)).toBe(2);
  });
  it('an older genuine checkpoint with its consistency receipt passes', async () => {
    const r = await verifyBundle(await withCheckpoints('older.tar', [{ name: 'older', text: older }]), { trust });
    expect(failed(r)).toEqual([]);
    expect(r.checks.some((c) => c.check === 'checkpoint.consistency' && c.ok)).toBe(true);
  });
  it('a fork at size 1, signed and cosigned, fails', async () => {
    const r = await verifyBundle(await withCheckpoints('fork.tar', [{ name: 'fork', text: await forkCheckpoint(s.dir, 1) }]), { trust });
    expect(failed(r)).toEqual(['checkpoint.consistency:ERR_CONSISTENCY']);
  });
  it('an older genuine checkpoint without a consistency receipt fails', async () => {
    const p = join(s.dir, 'noproof.tar');
    await createBundle(p, { ...s.args, checkpoints: [...s.args.checkpoints!, { name: 'older', text: older }], consistency: [] });
    expect(failed(await verifyBundle(p, { trust }))).toContain('checkpoint.consistency:ERR_CONSISTENCY');
  });
});

describe('attack 7: the verifier\'s known checkpoint', () => {
  it('the same checkpoint, or an older consistent one, passes', async () => {
    for (const known of [s.args.checkpoints![0]!.text, older]) {
      const r = await verifyBundle(s.path, { trust, knownCheckpoint: known });
      expect(failed(r)).toEqual([]);
      expect(r.checks.some((c) => c.check === 'checkpoint.known' && c.ok)).toBe(true);
    }
  });
  it('a newer known checkpoint: the bundle\'s view is a rollback', async () => {
    const r = await verifyBundle(s.path, { trust, knownCheckpoint: await forkCheckpoint(s.dir, 3) });
    expect(failed(r)).toEqual(['checkpoint.known:ERR_CONSISTENCY']);
  });
  it('a known checkpoint of the same size with another root: a fork', async () => {
    const r = await verifyBundle(s.path, { trust, knownCheckpoint: await forkCheckpoint(s.dir, 2) });
    expect(failed(r)).toEqual(['checkpoint.known:ERR_CONSISTENCY']);
  });
  it('an older known checkpoint that is not a prefix: a fork', async () => {
    const r = await verifyBundle(s.path, { trust, knownCheckpoint: await forkCheckpoint(s.dir, 1) });
    expect(failed(r)).toEqual(['checkpoint.known:ERR_CONSISTENCY']);
  });
  it('a known checkpoint that does not verify with the trust store fails', async () => {
    const r = await verifyBundle(s.path, { trust, knownCheckpoint: 'not a checkpoint\n' });
    expect(failed(r)).toContain('checkpoint.known:ERR_NOTE_UNVERIFIED');
  });
});
