/**
 * The one Check shape (src/report.ts): every verifier's report lists its checks with the same
 * fields, so one printer, one JSON schema and one "first failure" lookup serve them all.
 *
 * Attacks on the shape: an empty report passing as verified (allPassed refuses it); a verifier
 * drifting back to its own field names (name/message), which a caller reading `check`/`detail`
 * would see as absent: each report below is taken from a real verifier on hostile input and
 * its checks must carry only the Check fields (plus `index` where the check is about an event).
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../../src/bytes.js';
import { allPassed, type Check } from '../../src/report.js';
import { SigningKey, TrustStore } from '../../src/keys/index.js';
import { verifySeal } from '../../src/seal/index.js';
import { verifyChain } from '../../src/custody/index.js';
import { verifyPresentation } from '../../src/redact/index.js';
import { bytesSource, verifyBundle } from '../../src/bundle/index.js';
import { generateNoteKey, verifyCheckpoint } from '../../src/log/index.js';

const key = SigningKey.fromSecret(new Uint8Array(32).fill(5));
const trust = TrustStore.parse({
  version: 1,
  authorities: [{ id: 'A', name: 'A', jurisdiction: 'AT', roles: ['collector'], keys: [{ alg: 'EdDSA', publicKey: toBase64Url(key.publicKey), notBefore: '2026-01-01T00:00:00Z' }] }],
});

const FIELDS = new Set(['check', 'ok', 'code', 'detail', 'subject', 'index']);

function expectCheckShape(checks: readonly Check[]): void {
  expect(checks.length).toBeGreaterThan(0);
  for (const c of checks) {
    expect(typeof c.check).toBe('string');
    expect(typeof c.ok).toBe('boolean');
    for (const k of Object.keys(c)) expect(FIELDS.has(k), `unexpected field ${k} in ${JSON.stringify(c)}`).toBe(true);
    if (!c.ok) expect(typeof c.code).toBe('string');
  }
}

describe('Check', () => {
  it('allPassed: false for no checks and for any failure, true only when every check passed', () => {
    expect(allPassed([])).toBe(false);
    expect(allPassed([{ check: 'a', ok: true }, { check: 'b', ok: false, code: 'ERR_SIGNATURE_INVALID' }])).toBe(false);
    expect(allPassed([{ check: 'a', ok: true }, { check: 'b', ok: true }])).toBe(true);
  });

  it('every verifier reports its checks in the one shape', async () => {
    const seal = await verifySeal(utf8('not a seal'), { trust });
    expect(seal.ok).toBe(false);
    expectCheckShape(seal.checks);
    expect(seal.checks[0]).toMatchObject({ check: 'decode', ok: false, code: 'ERR_SEAL_MALFORMED' });

    const chain = verifyChain([], trust);
    expectCheckShape(chain.failures);
    expect(chain.failures[0]).toMatchObject({ check: 'chain', index: -1, ok: false, code: 'ERR_CHAIN_EMPTY' });
    const junk = verifyChain([utf8('junk')], trust);
    expectCheckShape(junk.failures);
    expect(junk.failures[0]).toMatchObject({ check: 'event', index: 0, ok: false });

    const pres = verifyPresentation(utf8('junk'), { trust, expect: { audience: 'A', requestId: 'R', purpose: 'P', nonce: 'n' } });
    expectCheckShape(pres.report.checks);
    expect(pres.report.failures[0]).toMatchObject({ check: 'presentation.structure', ok: false, code: 'ERR_RECORD_INVALID' });

    const bundle = await verifyBundle(bytesSource(utf8('not a tar archive')), { trust });
    expectCheckShape(bundle.checks);
    expect(bundle.checks[0]).toMatchObject({ check: 'tar', ok: false });

    const cp = verifyCheckpoint('not a note', [generateNoteKey('log.example/a').vkey]);
    expectCheckShape(cp.checks);
    expect(cp.ok).toBe(false);
  });
});
