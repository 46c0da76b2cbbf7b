import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/cbor.js';
import { HEADER, signSign1 } from '../../src/cose/sign1.js';
import { isCustosError } from '../../src/errors.js';
import { openLog } from '../../src/node/logstore.js';
import {
  decodeStatusEvent,
  publishStatusEvent,
  signStatusEvent,
  STATUS_CONTENT_TYPE,
  type StatusEvent,
  type StatusInput,
} from '../../src/request/events.js';
import { ONCE_KINDS, STATUS_KINDS, TERMINAL_KINDS, TRANSITIONS, type StatusKind } from '../../src/request/kinds.js';
import { requestDigest } from '../../src/request/document.js';
import type { EvidenceRequest } from '../../src/request/schema.js';
import { requestStatus } from '../../src/request/status.js';
import { isVerifiedStatusChain, verifyStatusChain } from '../../src/request/verify.js';
import { buildChain, loadRequest, parties } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 60);
const P = parties();
const epoc = loadRequest('epoc-traffic.json');
const ID = epoc.id;
const pr = loadRequest('epoc-pr.json');
/** The MLA template under the EPOC's id: the generic party rules, no ex-post validation. */
const mla = { ...loadRequest('mla.json'), id: ID } as EvidenceRequest;

type Step = Omit<StatusInput, 'actor'> & { actor: 'issuer' | 'provider' | 'enforcer' };
const happy: Step[] = [
  { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' },
  { kind: 'received', at: '2026-03-27T17:00:00+01:00', actor: 'provider' },
  { kind: 'acknowledged', at: '2026-03-27T18:00:00+01:00', actor: 'provider' },
  { kind: 'delay-notified', at: '2026-04-03T10:00:00+02:00', actor: 'provider', reasons: ['account data held by an affiliate'], estimate: '2026-04-10T12:00:00+02:00' },
  { kind: 'fulfilled', at: '2026-04-09T12:00:00+02:00', actor: 'provider', items: 3 },
];

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
  return undefined;
}

/** Signs a payload directly, bypassing every check signStatusEvent makes (a forger's view). */
function forge(payload: StatusEvent, key = P.provider): Uint8Array {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return signSign1(encode(clean), key, { protectedHeaders: new Map<number, unknown>([[HEADER.contentType, STATUS_CONTENT_TYPE]]) });
}

describe('status events', () => {
  const chain = buildChain(epoc, happy, P.keys);

  it('a well-formed chain verifies, every check listed', () => {
    const r = verifyStatusChain(chain, P.trust, { request: epoc });
    expect(r.ok).toBe(true);
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(r.checks.map((c) => c.check))).toEqual(new Set(['decode', 'key', 'signature', 'actor', 'request', 'document', 'sequence', 'link', 'transition']));
    expect(r.chain?.events.map((e) => e.kind)).toEqual(happy.map((s) => s.kind));
    expect(isVerifiedStatusChain(r.chain)).toBe(true);
    expect(isVerifiedStatusChain({ ...r.chain })).toBe(false);
  });

  it('decodes to deterministic CBOR with seq and prev links', () => {
    const d = chain.map((b) => decodeStatusEvent(b));
    expect(d.map((x) => x.event.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(d[0]!.event.prev).toBeNull();
    expect(d[1]!.event.prev).toEqual(d[0]!.digest);
    expect(d[3]!.event.estimate).toBe('2026-04-10T12:00:00+02:00');
  });

  const failing: Array<[string, (c: Uint8Array[]) => Uint8Array[], string]> = [
    ['reordered', (c) => [c[0]!, c[2]!, c[1]!, c[3]!, c[4]!], 'ERR_CHAIN_SEQ'],
    ['middle dropped', (c) => [c[0]!, c[1]!, c[3]!, c[4]!], 'ERR_CHAIN_SEQ'],
    ['empty', () => [], 'ERR_CHAIN_EMPTY'],
    ['another request spliced in', (c) => [...c.slice(0, 4), buildChain({ ...epoc, id: 'OTHER-1' }, happy, P.keys)[4]!], 'ERR_CHAIN_ID'],
    ['a byte flipped in the signature', (c) => {
      const x = c.map((b) => b.slice());
      x[2]![x[2]!.length - 1]! ^= 1;
      return x;
    }, 'ERR_SIGNATURE_INVALID'],
    ['signed by an unknown key', (c) => [...c.slice(0, 4), forge({ ...decodeStatusEvent(c[4]!).event }, P.outsider)], 'ERR_KEY_UNKNOWN'],
    ['signed by another party than the actor', (c) => [...c.slice(0, 4), forge({ ...decodeStatusEvent(c[4]!).event }, P.enforcer)], 'ERR_ROLE_NOT_ALLOWED'],
    ['prev pointing elsewhere', (c) => {
      const e = decodeStatusEvent(c[4]!).event;
      return [...c.slice(0, 4), forge({ ...e, prev: decodeStatusEvent(c[2]!).digest })];
    }, 'ERR_CHAIN_BROKEN'],
    ['a forbidden transition, correctly signed', (c) => {
      const e = decodeStatusEvent(c[1]!).event;
      return [c[0]!, forge({ ...e, kind: 'fulfilled' })];
    }, 'ERR_TRANSITION'],
  ];
  it.each(failing)('%s → not ok (%s)', (_n, mutate, expected) => {
    const r = verifyStatusChain(mutate(chain), P.trust, { request: epoc });
    expect(r.ok).toBe(false);
    expect(r.chain).toBeUndefined();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.code)).toContain(expected);
  });

  it('a key used outside its validity window fails the key check', () => {
    const early = buildChain(epoc, [{ kind: 'issued', at: '2019-12-31T23:00:00Z', actor: 'issuer' }], P.keys);
    const r = verifyStatusChain(early, P.trust, { request: epoc });
    expect(r.checks.find((c) => !c.ok)?.code).toBe('ERR_KEY_NOT_VALID');
  });
});

describe('hostile status events', () => {
  const chain = buildChain(epoc, happy, P.keys);
  it('property: any single bit flip anywhere in the chain is caught, never thrown', () => {
    fc.assert(
      fc.property(fc.nat({ max: chain.length - 1 }), fc.nat(), fc.nat({ max: 7 }), (i, pos, bit) => {
        const mutated = chain.map((b) => b.slice());
        const target = mutated[i]!;
        target[pos % target.length]! ^= 1 << bit;
        const r = verifyStatusChain(mutated, P.trust, { request: epoc });
        expect(r.ok).toBe(false);
        for (const c of r.checks) if (!c.ok) expect(typeof c.code).toBe('string');
      }),
      { numRuns: RUNS * 3 },
    );
  });
  it('property: truncations and random bytes decode to CustosErrors only', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: chain[3]!.length - 1 }).map((n) => chain[3]!.slice(0, n))), (bytes) => {
        const c = code(() => decodeStatusEvent(bytes));
        expect(c === undefined || !c.startsWith('not a CustosError')).toBe(true);
        expect(verifyStatusChain([bytes], P.trust, { request: epoc }).ok).toBe(false);
      }),
      { numRuns: RUNS * 3 },
    );
  });
  it('oversized events and foreign COSE content are refused', () => {
    const big = forge({ ...decodeStatusEvent(chain[0]!).event, note: 'x'.repeat(70_000) } as StatusEvent, P.issuer);
    expect(code(() => decodeStatusEvent(big))).toBe('ERR_CBOR_SIZE');
    const foreign = signSign1(encode({ v: 1 }), P.issuer);
    expect(code(() => decodeStatusEvent(foreign))).toBe('ERR_EVENT_INVALID');
    const notCbor = signSign1(new Uint8Array([0xff]), P.issuer, { protectedHeaders: new Map<number, unknown>([[HEADER.contentType, STATUS_CONTENT_TYPE]]) });
    expect(code(() => decodeStatusEvent(notCbor))?.startsWith('ERR_CBOR')).toBe(true);
  });
});

describe('transitions at signing', () => {
  const base = happy.slice(0, 2);
  const at = (h: number) => new Date(Date.UTC(2026, 2, 28, h)).toISOString();
  const table: Array<[string, Step[], string, 'EPOC' | 'EPOC-PR' | 'EIO' | undefined]> = [
    ['first event must be issued', [{ kind: 'received', at: at(1), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['fulfilled before received', [happy[0]!, { kind: 'fulfilled', at: at(1), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['received twice', [...base, { kind: 'received', at: at(1), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['issued twice', [...base, { kind: 'issued', at: at(1), actor: 'issuer' }], 'ERR_TRANSITION', undefined],
    ['anything after fulfilled', [...base, { kind: 'fulfilled', at: at(1), actor: 'provider' }, { kind: 'in-progress', at: at(2), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['anything after withdrawn', [...base, { kind: 'withdrawn', at: at(1), actor: 'issuer' }, { kind: 'received', at: at(2), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['acknowledged before received', [happy[0]!, { kind: 'acknowledged', at: at(2), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['an EPOC has no extension', [...base, { kind: 'extended', at: at(1), actor: 'issuer', extension: { code: 'other' } }], 'ERR_TRANSITION', 'EPOC'],
    ['EPOC-PR extends once', [...base, { kind: 'extended', at: at(1), actor: 'issuer', extension: { code: 'preservation-30-days' } }, { kind: 'extended', at: at(2), actor: 'issuer', extension: { code: 'preservation-30-days' } }], 'ERR_TRANSITION', 'EPOC-PR'],
    ['objected then fulfilled', [...base, { kind: 'objected', at: at(1), actor: 'enforcer', grounds: [{ code: 'immunity' }] }, { kind: 'fulfilled', at: at(2), actor: 'provider' }], 'ERR_TRANSITION', undefined],
    ['time going back', [...base, { kind: 'acknowledged', at: '2026-03-27T15:00:00Z', actor: 'provider' }], 'ERR_TIME_BACKWARDS', undefined],
    ['withdrawn by the provider', [...base, { kind: 'withdrawn', at: at(1), actor: 'provider' }], 'ERR_ROLE_NOT_ALLOWED', undefined],
    ['fulfilled by the enforcing authority', [...base, { kind: 'fulfilled', at: at(1), actor: 'enforcer' }], 'ERR_ROLE_NOT_ALLOWED', undefined],
    ['objected by the provider', [...base, { kind: 'objected', at: at(1), actor: 'provider', grounds: [{ code: 'x' }] }], 'ERR_ROLE_NOT_ALLOWED', undefined],
    ['issuer receives its own request', [happy[0]!, { kind: 'received', at: at(1), actor: 'issuer' }], 'ERR_ROLE_NOT_ALLOWED', undefined],
    ['refused without grounds', [...base, { kind: 'refused', at: at(1), actor: 'provider' }], 'ERR_EVENT_INVALID', undefined],
    ['grounds on a fulfilment', [...base, { kind: 'fulfilled', at: at(1), actor: 'provider', grounds: [{ code: 'x' }] }], 'ERR_EVENT_INVALID', undefined],
    ['delay without estimate', [...base, { kind: 'delay-notified', at: at(1), actor: 'provider', reasons: ['x'] }], 'ERR_EVENT_INVALID', undefined],
    ['estimate before the notice', [...base, { kind: 'delay-notified', at: at(5), actor: 'provider', reasons: ['x'], estimate: at(4) }], 'ERR_EVENT_INVALID', undefined],
    ['floating local time', [...base, { kind: 'acknowledged', at: '2026-03-28T10:00:00', actor: 'provider' }], 'ERR_TIME_INVALID', undefined],
    ['unknown kind', [...base, { kind: 'lost' as never, at: at(1), actor: 'provider' }], 'ERR_EVENT_INVALID', undefined],
  ];
  it.each(table)('%s → %s', (_n, steps, expected, instrument) => {
    const chain: Uint8Array[] = [];
    let err: string | undefined;
    for (const s of steps) {
      err = code(() => chain.push(signStatusEvent(chain, instrument === 'EPOC-PR' ? pr : epoc, s, P.keys[s.actor]!)));
      if (err !== undefined) break;
    }
    expect(err).toBe(expected);
    expect(chain.length).toBe(steps.length - 1);
  });
});

/** The documented rules, restated independently of checkTransition. */
function invariantsHold(kinds: readonly StatusKind[]): boolean {
  if (kinds[0] !== 'issued') return false;
  for (let i = 1; i < kinds.length; i++) {
    if (!TRANSITIONS[kinds[i - 1]!].includes(kinds[i]!)) return false;
  }
  for (const k of ONCE_KINDS) if (kinds.filter((x) => x === k).length > 1) return false;
  if (kinds.slice(0, -1).some((k) => TERMINAL_KINDS.has(k))) return false;
  // the MLA document asks for no ex-post validation, so validated is refused (see parties.ts)
  if (kinds.includes('validated')) return false;
  const firstReceived = kinds.indexOf('received');
  return kinds.every((k, i) => ['issued', 'received', 'validated', 'withdrawn'].includes(k) || (firstReceived >= 0 && firstReceived < i));
}

describe('transition properties', () => {
  const actorFor = (k: StatusKind): 'issuer' | 'provider' | 'enforcer' =>
    k === 'issued' || k === 'withdrawn' || k === 'extended' ? 'issuer' : k === 'objected' || k === 'validated' ? 'enforcer' : 'provider';
  const input = (k: StatusKind, i: number): Step => ({
    kind: k,
    actor: actorFor(k),
    at: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
    ...(k === 'delay-notified' ? { reasons: ['r'], estimate: new Date(Date.UTC(2026, 1, 1)).toISOString() } : {}),
    ...(k === 'refused' || k === 'objected' ? { grounds: [{ code: 'g' }] } : {}),
    ...(k === 'extended' ? { extension: { code: 'other' as const } } : {}),
  });

  it('signing accepts exactly the sequences the graph allows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUS_KINDS), { minLength: 1, maxLength: 8 }), (kinds) => {
        const chain: Uint8Array[] = [];
        const accepted: StatusKind[] = [];
        kinds.forEach((k, i) => {
          const before = [...accepted, k];
          const ok = code(() => chain.push(signStatusEvent(chain, mla, input(k, i), P.keys[actorFor(k)]!))) === undefined;
          expect(ok).toBe(invariantsHold(before));
          if (ok) accepted.push(k);
        });
        if (chain.length > 0) expect(verifyStatusChain(chain, P.trust, { request: mla }).ok).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('a forged chain verifies only when the graph allows it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUS_KINDS), { minLength: 1, maxLength: 7 }), (kinds) => {
        const chain: Uint8Array[] = [];
        let prev: Uint8Array | null = null;
        kinds.forEach((k, i) => {
          const bytes = forge({ v: 1, request: ID, seq: i, prev, ...input(k, i), ...(k === 'issued' ? { document: requestDigest(mla) } : {}) } as StatusEvent, P.keys[actorFor(k)]);
          chain.push(bytes);
          prev = decodeStatusEvent(bytes).digest;
        });
        expect(verifyStatusChain(chain, P.trust, { request: mla }).ok).toBe(invariantsHold(kinds));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('requestStatus', () => {
  const chain = buildChain(epoc, happy, P.keys);
  const verified = verifyStatusChain(chain, P.trust, { request: epoc }).chain!;
  const byId = (s: ReturnType<typeof requestStatus>, id: string) => s.deadlines.find((d) => d.id === id);

  it('before the deadline: pending, escalation scheduled', () => {
    const s = requestStatus(epoc, verified, '2026-04-01T00:00:00Z');
    expect(s.current).toBe('acknowledged');
    expect(byId(s, 'production')).toMatchObject({ state: 'pending', dueAt: '2026-04-06T23:00:00Z' });
    expect(s.due.map((d) => d.id)).toEqual(['production', 'objection']);
    expect(s.overdue).toEqual([]);
    expect(s.escalation).toEqual({ owed: false, at: '2026-04-06T23:00:00Z', reasons: [] });
  });
  it('after the deadline: overdue, escalation owed, delay reported', () => {
    const s = requestStatus(epoc, verified, '2026-04-08T00:00:00Z');
    expect(s.current).toBe('delay-notified');
    expect(byId(s, 'production')?.state).toBe('overdue');
    expect(byId(s, 'objection')?.state).toBe('lapsed');
    expect(s.delay).toEqual({ notifiedAt: '2026-04-03T10:00:00+02:00', estimate: '2026-04-10T12:00:00+02:00', reasons: ['account data held by an affiliate'] });
    expect(s.escalation.owed).toBe(true);
    expect(s.escalation.at).toBe('2026-04-06T23:00:00Z');
  });
  it('a grace period defers escalation', () => {
    const s = requestStatus(epoc, verified, '2026-04-08T00:00:00Z', { escalationGraceHours: 48 });
    expect(s.escalation).toEqual({ owed: false, at: '2026-04-08T23:00:00Z', reasons: [] });
  });
  it('fulfilled late: met-late, closed, nothing owed', () => {
    const s = requestStatus(epoc, verified, '2026-04-20T00:00:00Z');
    expect(s.closed).toBe(true);
    expect(byId(s, 'production')).toMatchObject({ state: 'met-late', metAt: '2026-04-09T12:00:00+02:00' });
    expect(s.escalation).toEqual({ owed: false, at: null, reasons: [] });
  });
  it('a passed delay estimate is a reason to escalate on its own', () => {
    const steps: Step[] = [
      { kind: 'issued', at: '2026-02-27T09:00:00+01:00', actor: 'issuer' },
      { kind: 'received', at: '2026-02-27T11:00:00+01:00', actor: 'provider' },
      { kind: 'extended', at: '2026-04-20T10:00:00+02:00', actor: 'issuer', extension: { code: 'preservation-30-days' } },
    ];
    const v = verifyStatusChain(buildChain(pr, steps, P.keys), P.trust, { request: pr }).chain!;
    const s = requestStatus(pr, v, '2026-05-01T00:00:00Z', { timeZone: 'Europe/Luxembourg' });
    expect(byId(s, 'preservation')).toMatchObject({ state: 'pending', dueAt: '2026-05-28T22:00:00Z' });
    expect(byId(s, 'extension-or-confirmation')).toBeUndefined();
  });
  it('an unused EPOC-PR extension lapses without escalation', () => {
    const steps: Step[] = [
      { kind: 'issued', at: '2026-02-27T09:00:00+01:00', actor: 'issuer' },
      { kind: 'received', at: '2026-02-27T11:00:00+01:00', actor: 'provider' },
    ];
    const v = verifyStatusChain(buildChain(pr, steps, P.keys), P.trust, { request: pr }).chain!;
    const s = requestStatus(pr, v, '2026-05-10T00:00:00Z');
    expect(byId(s, 'extension-or-confirmation')?.state).toBe('lapsed');
    expect(byId(s, 'preservation')?.state).toBe('lapsed');
    expect(s.escalation).toEqual({ owed: false, at: null, reasons: [] });
  });
  it('withdrawn after the due time: missed; before: closed', () => {
    const late = buildChain(epoc, [...happy.slice(0, 3), { kind: 'withdrawn', at: '2026-04-08T10:00:00+02:00', actor: 'issuer' }], P.keys);
    const v1 = verifyStatusChain(late, P.trust, { request: epoc }).chain!;
    expect(byId(requestStatus(epoc, v1, '2026-05-01T00:00:00Z'), 'production')?.state).toBe('missed');
    const early = buildChain(epoc, [...happy.slice(0, 3), { kind: 'withdrawn', at: '2026-04-01T10:00:00+02:00', actor: 'issuer' }], P.keys);
    const v2 = verifyStatusChain(early, P.trust, { request: epoc }).chain!;
    const s = requestStatus(epoc, v2, '2026-05-01T00:00:00Z');
    expect(byId(s, 'production')?.state).toBe('closed');
    expect(byId(s, 'objection')?.state).toBe('closed');
    expect(s.escalation.owed).toBe(false);
  });
  it('verified events are frozen', () => {
    expect(Object.isFrozen(verified.events)).toBe(true);
    expect(Object.isFrozen(verified.events[3])).toBe(true);
    expect(Object.isFrozen(verified.events[3]!.reasons)).toBe(true);
  });
  it('refuses unverified look-alike chains and foreign chains', () => {
    expect(code(() => requestStatus(epoc, { ...verified }, '2026-04-01T00:00:00Z'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => requestStatus(loadRequest('eio.json'), verified, '2026-04-01T00:00:00Z'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => requestStatus(epoc, verified, '2026-04-01T00:00:00'))).toBe('ERR_TIME_INVALID');
  });
});

describe('publishing to a transparency log', () => {
  it('appends every step and returns its index (in-memory log)', async () => {
    const entries: Uint8Array[] = [];
    const log = { append: async (e: Uint8Array) => ({ index: entries.push(e) - 1 }) };
    const chain: Uint8Array[] = [];
    for (const s of happy) {
      const { bytes, index } = await publishStatusEvent(log, chain, epoc, s, P.keys[s.actor]!);
      expect(index).toBe(chain.length);
      chain.push(bytes);
    }
    expect(entries).toEqual(chain);
  });
  it('works with the fs-backed log store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-req-'));
    try {
      const log = await openLog(dir, { signer: P.issuer, origin: 'example.org/requests' });
      const chain: Uint8Array[] = [];
      for (const s of happy.slice(0, 3)) {
        const { bytes, index } = await publishStatusEvent(log, chain, epoc, s, P.keys[s.actor]!);
        chain.push(bytes);
        expect(await log.entry(index)).toEqual(bytes);
      }
      await log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a failing log is ERR_IO and the event is not returned', async () => {
    const log = { append: async () => Promise.reject(new Error('disk full')) };
    await expect(publishStatusEvent(log, [], epoc, happy[0]!, P.issuer)).rejects.toMatchObject({ code: 'ERR_IO' });
  });
});

describe('status chain findings F-8 and F-9 (regressions)', () => {
  const start = happy.slice(0, 4);
  it('F-9: a hole in the array is a coded decode failure at its index, never skipped', () => {
    const chain = buildChain(epoc, start, P.keys);
    expect(verifyStatusChain(chain, P.trust, { request: epoc }).ok).toBe(true);
    const trailing = chain.slice(0, 2);
    trailing.length = 3; // a pre-sized array: index 2 is a hole
    const r = verifyStatusChain(trailing, P.trust, { request: epoc });
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ index: 2, check: 'decode', code: 'ERR_INVALID_ARGUMENT' })]);
    const deleted = [...chain];
    delete deleted[3];
    expect(verifyStatusChain(deleted, P.trust, { request: epoc }).checks.find((c) => !c.ok)).toMatchObject({ index: 3, code: 'ERR_INVALID_ARGUMENT' });
    // signing on a sparse chain refuses the hole too (it used to throw a TypeError)
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isCustosError(e) ? e.code : String(e);
      }
    };
    expect(code(() => signStatusEvent(trailing, epoc, happy[4]!, P.keys[happy[4]!.actor]!))).toBe('ERR_INVALID_ARGUMENT');
    const holes = verifyStatusChain(new Array<Uint8Array>(2), P.trust, { request: epoc });
    expect(holes.ok).toBe(false);
    expect(holes.checks.filter((c) => !c.ok).map((c) => [c.index, c.code])).toEqual([[0, 'ERR_INVALID_ARGUMENT'], [1, 'ERR_INVALID_ARGUMENT']]);
  });
  it('F-8: signStatusEvent refuses an event no reader would accept (ERR_CBOR_SIZE), and signs one that fits', () => {
    const chain = buildChain(epoc, start, P.keys);
    const delay = (chars: string, n: number): StatusInput => ({
      kind: 'delay-notified',
      at: '2026-04-03T10:00:00+02:00',
      actor: 'provider',
      reasons: Array.from({ length: n }, () => chars.repeat(1992)),
      estimate: '2026-04-10T12:00:00+02:00',
    });
    // 20 reasons of 1,992 Greek characters: inside the schema (characters), ~80 KB of UTF-8
    let code: unknown;
    try {
      signStatusEvent(chain, epoc, delay('Ω', 20), P.provider);
    } catch (e) {
      code = isCustosError(e) ? e.code : e;
    }
    expect(code).toBe('ERR_CBOR_SIZE');
    // the same in ASCII is ~40 KB: signed, and it verifies in the chain
    const ok = signStatusEvent(chain, epoc, delay('a', 20), P.provider);
    expect(verifyStatusChain([...chain, ok], P.trust, { request: epoc }).ok).toBe(true);
  });
});
