/**
 * Status chains bound to their request document, and who may record what (issue 18, items 2
 * and 3). Attacks, each tested:
 * - swap the document: pair a verified chain with the document edited after issue (same id,
 *   emergency: true), in verifyStatusChain, requestStatus, statistics and when appending;
 * - omit the binding: an `issued` without the document digest (forged past the signer);
 * - a check whose data is absent: verifyStatusChain without the document is misuse;
 * - the wrong party: the addressee records the issuing side's ex-post validation (2023/1543
 *   Art. 4(5)) or an EPOC-PR extension / production-request confirmation (Art. 11(1)–(2)); an
 *   authority of another state validates; an EIO is "objected";
 * - replay of an extension: two extensions of an EPOC-PR, with no instrument passed by anyone.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/cbor.js';
import { HEADER, signSign1 } from '../../src/cose/sign1.js';
import { isCustosError } from '../../src/errors.js';
import type { SigningKey } from '../../src/keys/signing.js';
import { requestDigest } from '../../src/request/document.js';
import { decodeStatusEvent, signStatusEvent, STATUS_CONTENT_TYPE, type StatusInput } from '../../src/request/events.js';
import type { EvidenceRequest } from '../../src/request/schema.js';
import { statistics } from '../../src/request/statistics.js';
import { requestStatus } from '../../src/request/status.js';
import { verifyStatusChain, type StatusChainReport } from '../../src/request/verify.js';
import { buildChain, loadRequest, parties } from './helpers.js';

const P = parties();
type Actor = 'issuer' | 'provider' | 'enforcer' | 'validator';
type Step = Omit<StatusInput, 'actor'> & { actor: Actor };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
  return undefined;
}
function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return '';
}
const failed = (r: StatusChainReport) => r.checks.filter((c) => !c.ok).map((c) => ({ check: c.check, code: c.code, message: c.detail }));

/** Signs the next event of `chain` directly, bypassing the signer's checks (a forger's view). */
function forgeNext(chain: readonly Uint8Array[], request: EvidenceRequest, s: Step, extra: Record<string, unknown> = {}): Uint8Array {
  const prev = chain.length === 0 ? null : decodeStatusEvent(chain[chain.length - 1]!).digest;
  const payload = Object.fromEntries(Object.entries({ v: 1, request: request.id, seq: chain.length, prev, ...s, ...extra }).filter(([, v]) => v !== undefined));
  return signSign1(encode(payload), P.keys[s.actor] as SigningKey, { protectedHeaders: new Map<number, unknown>([[HEADER.contentType, STATUS_CONTENT_TYPE]]) });
}

describe('item 2: issued binds the request document by its deterministic-CBOR digest', () => {
  const epoc = loadRequest('epoc-traffic.json');
  const steps: Step[] = [
    { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' },
    { kind: 'received', at: '2026-03-27T17:00:00+01:00', actor: 'provider' },
    { kind: 'fulfilled', at: '2026-03-30T12:00:00+02:00', actor: 'provider' },
  ];
  const chain = buildChain(epoc, steps, P.keys);
  const verified = verifyStatusChain(chain, P.trust, { request: epoc }).chain!;
  // the same id, edited after issue: an emergency (8 h instead of 10 days) would make the
  // fulfilment late and move the request to the emergency cell
  const edited = { ...epoc, emergency: { flag: true, justification: 'added after issue' } } as EvidenceRequest;

  it('the digest is over the deterministic CBOR: key order does not matter, any edit does', () => {
    const reordered = Object.fromEntries(Object.entries(epoc).reverse()) as EvidenceRequest;
    expect(requestDigest(reordered)).toEqual(requestDigest(epoc));
    expect(requestDigest(edited)).not.toEqual(requestDigest(epoc));
    expect(decodeStatusEvent(chain[0]!).event.document).toEqual(requestDigest(epoc));
    expect(verified.document).toEqual(requestDigest(epoc));
    expect(verified.request).toEqual(epoc);
    expect(Object.isFrozen(verified.request.emergency)).toBe(true);
  });
  it('verifyStatusChain: the chain does not verify for the edited document (ERR_REQUEST_MISMATCH at the document check)', () => {
    const r = verifyStatusChain(chain, P.trust, { request: edited });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual([expect.objectContaining({ check: 'document', code: 'ERR_REQUEST_MISMATCH' })]);
  });
  it('requestStatus: the verified chain paired with the edited document is refused, not re-judged as met-late', () => {
    expect(requestStatus(epoc, verified, '2026-04-20T00:00:00Z').deadlines.find((d) => d.id === 'production')?.state).toBe('met');
    expect(code(() => requestStatus(edited, verified, '2026-04-20T00:00:00Z'))).toBe('ERR_REQUEST_MISMATCH');
  });
  it('statistics: counted from the verified document only; an edited document is refused', () => {
    const period = { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };
    const s = statistics([epoc], [verified], period, { suppressBelow: 0 });
    expect(s.byEmergency.cells).toEqual({ emergency: 0, 'non-emergency': 1 });
    expect(s.overdue.cells.overdue).toBe(0);
    expect(code(() => statistics([edited], [verified], period, { suppressBelow: 0 }))).toBe('ERR_REQUEST_MISMATCH');
  });
  it('appending to a chain with another version of the document is refused', () => {
    expect(code(() => signStatusEvent(chain.slice(0, 2), edited, steps[2]!, P.provider))).toBe('ERR_REQUEST_MISMATCH');
  });
  it('an issued event without the digest does not decode; verifying without the document is misuse', () => {
    const bare = forgeNext([], epoc, steps[0]!);
    expect(code(() => decodeStatusEvent(bare))).toBe('ERR_EVENT_INVALID');
    const stray = forgeNext(chain.slice(0, 2), epoc, steps[2]!, { document: requestDigest(epoc) });
    expect(code(() => decodeStatusEvent(stray))).toBe('ERR_EVENT_INVALID');
    expect(code(() => verifyStatusChain(chain, P.trust, undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => verifyStatusChain(chain, P.trust, {} as never))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('item 3: who may sign each status, per instrument, from the bound document', () => {
  const emergency = loadRequest('epoc-emergency-subscriber.json'); // DE → NL, ex-post validation
  const base: Step[] = [
    { kind: 'issued', at: '2026-10-25T01:30:00+02:00', actor: 'issuer' },
    { kind: 'received', at: '2026-10-25T01:40:00+02:00', actor: 'provider' },
  ];
  const validatedBy = (actor: Actor): Step => ({ kind: 'validated', at: '2026-10-25T09:00:00+01:00', actor });

  it('2023/1543 Art. 4(5): the addressee cannot record the ex-post validation (signing and verifying)', () => {
    const chain = buildChain(emergency, base, P.keys);
    expect(message(() => signStatusEvent(chain, emergency, validatedBy('provider'), P.provider))).toContain('2023/1543 Art. 4(5)');
    const r = verifyStatusChain([...chain, forgeNext(chain, emergency, validatedBy('provider'))], P.trust, { request: emergency });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual([expect.objectContaining({ check: 'transition', code: 'ERR_ROLE_NOT_ALLOWED', message: expect.stringContaining('Art. 4(5)') })]);
  });
  it('2023/1543 Art. 4(5): an authority of another state than the issuing state cannot validate; one of the issuing state can', () => {
    const chain = buildChain(emergency, base, P.keys);
    const r = verifyStatusChain([...chain, forgeNext(chain, emergency, validatedBy('enforcer'))], P.trust, { request: emergency });
    expect(failed(r)).toEqual([expect.objectContaining({ code: 'ERR_ROLE_NOT_ALLOWED', message: expect.stringContaining('issuing state DE') })]);
    const good = [...chain, signStatusEvent(chain, emergency, validatedBy('validator'), P.validator)];
    const v = verifyStatusChain(good, P.trust, { request: emergency });
    expect(v.ok).toBe(true);
    expect(requestStatus(emergency, v.chain!, '2026-10-26T00:00:00Z').deadlines.find((d) => d.id === 'ex-post-validation')?.state).toBe('met');
  });
  it('2023/1543 Art. 4(5): no validated event for a request validated before issue', () => {
    const epoc = loadRequest('epoc-traffic.json');
    const chain = buildChain(epoc, [{ kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' }], P.keys);
    expect(message(() => signStatusEvent(chain, epoc, { kind: 'validated', at: '2026-03-27T18:00:00+01:00', actor: 'issuer' }, P.issuer))).toContain('Art. 4(5)');
  });

  describe('EPOC-PR (2023/1543 Art. 11(1)–(2)): only the issuing authority extends or confirms', () => {
    const pr = loadRequest('epoc-pr.json');
    const prBase: Step[] = [
      { kind: 'issued', at: '2026-02-27T09:00:00+01:00', actor: 'issuer' },
      { kind: 'received', at: '2026-02-27T11:00:00+01:00', actor: 'provider' },
    ];
    const chain = buildChain(pr, prBase, P.keys);
    for (const c of ['preservation-30-days', 'production-request-confirmed'] as const) {
      it(`${c} by the addressee is refused (signing and verifying)`, () => {
        const s: Step = { kind: 'extended', at: '2026-04-20T10:00:00+02:00', actor: 'provider', extension: { code: c } };
        expect(message(() => signStatusEvent(chain, pr, s, P.provider))).toContain('Art. 11(1)');
        const r = verifyStatusChain([...chain, forgeNext(chain, pr, s)], P.trust, { request: pr });
        expect(failed(r)).toEqual([expect.objectContaining({ check: 'transition', code: 'ERR_ROLE_NOT_ALLOWED' })]);
        // … and preservation therefore never becomes open-ended on the addressee's word
        expect(r.chain).toBeUndefined();
      });
    }
    it('two extensions are refused with the instrument taken from the document (nobody passes it)', () => {
      const ext = (h: number, c: 'preservation-30-days' | 'production-request-confirmed'): Step => ({ kind: 'extended', at: `2026-04-2${h}T10:00:00+02:00`, actor: 'issuer', extension: { code: c } });
      const one = [...chain, signStatusEvent(chain, pr, ext(0, 'preservation-30-days'), P.issuer)];
      expect(verifyStatusChain(one, P.trust, { request: pr }).ok).toBe(true);
      const two = [...one, forgeNext(one, { ...pr }, ext(1, 'production-request-confirmed'))];
      expect(failed(verifyStatusChain(two, P.trust, { request: pr }))).toEqual([expect.objectContaining({ code: 'ERR_TRANSITION', message: expect.stringContaining('Art. 11(1)') })]);
    });
  });

  describe('EIO (2014/41)', () => {
    const eio = loadRequest('eio.json');
    const chain = buildChain(eio, [
      { kind: 'issued', at: '2026-01-30T12:00:00+01:00', actor: 'issuer' },
      { kind: 'received', at: '2026-01-30T14:00:00+01:00', actor: 'provider' },
    ], P.keys);
    it('Art. 12(5): the executing authority extends recognition, the issuer cannot', () => {
      const s = (actor: Actor): Step => ({ kind: 'extended', at: '2026-02-20T10:00:00+01:00', actor, extension: { code: 'recognition-30-days' } });
      expect(message(() => signStatusEvent(chain, eio, s('issuer'), P.issuer))).toContain('2014/41 Art. 12(5)');
      expect(verifyStatusChain([...chain, signStatusEvent(chain, eio, s('provider'), P.provider)], P.trust, { request: eio }).ok).toBe(true);
    });
    it('Art. 11: an EIO has no enforcing authority to object', () => {
      const s: Step = { kind: 'objected', at: '2026-02-20T10:00:00+01:00', actor: 'enforcer', grounds: [{ code: 'immunity' }] };
      expect(message(() => signStatusEvent(chain, eio, s, P.enforcer))).toContain('2014/41 Art. 11');
      expect(failed(verifyStatusChain([...chain, forgeNext(chain, eio, s)], P.trust, { request: eio }))).toEqual([expect.objectContaining({ code: 'ERR_TRANSITION' })]);
    });
  });
});
