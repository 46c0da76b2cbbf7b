/**
 * Keys an attacker (or an honest caller) chooses must never reach Object.prototype (issue 18,
 * item 7, and the same pattern elsewhere). Attacks: a digest algorithm named like a prototype
 * member ("constructor", "toString") ("__proto__" is refused by the CBOR layer itself).
 */
import { describe, expect, it } from 'vitest';
import { appendEvent, verifyChain } from '../../src/custody/index.js';
import { AUTH, build, code, D1, happySteps, HOUR, KEYS, T0, trust } from './fixture.js';

describe('custody digest carry-over looks at own digests only', () => {
  for (const alg of ['constructor']) {
    it(`a digest named "${alg}" carries over (no false ERR_DIGEST_CARRYOVER: the rule "digests carry over" compares like with like)`, () => {
      const steps = happySteps().slice(0, 2);
      steps[0]!.input = { ...steps[0]!.input, digests: { 'sha-256': D1, [alg]: D1 } };
      steps[1]!.input = { ...steps[1]!.input, digests: { 'sha-256': D1, [alg]: D1 } };
      const c = build(steps);
      const r = verifyChain(c, trust, { allowPendingTransfer: true });
      expect(r.failures).toEqual([]);
      expect(r.ok).toBe(true);
      // and a real change of that digest is still caught
      const changed = new Uint8Array(32).fill(0xee);
      expect(code(() => appendEvent(c, { type: 'sealed', time: T0 + 9 * HOUR, actor: { authority: AUTH.police, role: 'custodian' }, digests: { [alg]: changed } }, KEYS.police))).toBe('ERR_DIGEST_CARRYOVER');
    });
  }
});
