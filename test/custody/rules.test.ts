import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { signSign1 } from '../../src/cose/index.js';
import {
  appendEvent,
  createChain,
  eventHash,
  openCustodyEvent,
  parseChain,
  serializeChain,
  verifyChain,
  type ChainReport,
} from '../../src/custody/index.js';
import type { ErrorCode } from '../../src/errors.js';
import { AUTH, build, code, D1, D2, forge, happySteps, HOUR, KEYS, T0, trust } from './fixture.js';

const happy = build(happySteps());
const ev = happy.events;

function codesAt(r: ChainReport, index: number): ErrorCode[] {
  return r.failures.filter((f) => f.index === index).map((f) => f.code);
}

describe('verifyChain: the happy path', () => {
  it('verifies, with a full report', () => {
    const r = verifyChain(happy, trust);
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.length).toBe(10);
    expect(r.chainId).toBe('AT-2026-000417/3');
    expect(r.custodian).toBe(AUTH.foreign);
    expect(r.terminal).toEqual({ index: 9, type: 'destroyed' });
    expect(r.digests?.['sha-256']).toEqual(D2);
    expect(r.head).toEqual(eventHash(ev[9]!));
    expect(r.events.map((e) => e.status)).toEqual(Array(10).fill('valid'));
    expect(r.events.map((e) => e.type)).toEqual(happySteps().map((s) => s.input.type));
    expect(r.events[3]!.actor).toEqual({ authority: AUTH.lab, role: 'custodian' });
  });

  it('the same from the file bytes, an array, and after parseChain', () => {
    const file = serializeChain(happy);
    expect(verifyChain(file, trust).ok).toBe(true);
    expect(verifyChain([...ev], trust).ok).toBe(true);
    const parsed = parseChain(file);
    expect(parsed.id).toBe(happy.id);
    expect(verifyChain(parsed, trust).ok).toBe(true);
    // a parsed chain can be appended to: the rules state is rebuilt from the events
    expect(code(() => appendEvent(parsed, { type: 'accessed', actor: { authority: AUTH.foreign, role: 'custodian' } }, KEYS.foreign))).toBe('ERR_AFTER_TERMINAL');
  });

  it('each prefix verifies (a pending transfer only with allowPendingTransfer)', () => {
    for (let n = 1; n <= ev.length; n++) {
      const r = verifyChain(ev.slice(0, n), trust, { allowPendingTransfer: true });
      expect(r.ok, `prefix ${n}`).toBe(true);
    }
    const inTransit = verifyChain(ev.slice(0, 3), trust);
    expect(inTransit.ok).toBe(false);
    expect(inTransit.failures).toMatchObject([{ index: 2, code: 'ERR_TRANSFER_INCOMPLETE' }]);
    expect(inTransit.pendingTransfer).toEqual({ index: 2, to: AUTH.lab });
    expect(inTransit.custodian).toBe(AUTH.police);
  });
});

describe('verifyChain: one table row per rule', () => {
  const p3 = ev.slice(0, 2); // collected, sealed: police holds the item
  const rows: Array<{ name: string; events: () => readonly Uint8Array[]; index: number; expect: ErrorCode; opts?: object }> = [
    { name: 'empty chain', events: () => [], index: -1, expect: 'ERR_CHAIN_EMPTY' },
    { name: 'dropped event', events: () => [ev[0]!, ev[2]!, ev[3]!], index: 1, expect: 'ERR_CHAIN_SEQ' },
    { name: 'dropped event breaks the link', events: () => [ev[0]!, ev[2]!, ev[3]!], index: 1, expect: 'ERR_CHAIN_BROKEN' },
    { name: 'dropped first event', events: () => ev.slice(1), index: 0, expect: 'ERR_CHAIN_BROKEN' },
    { name: 'swapped events', events: () => [ev[0]!, ev[2]!, ev[1]!, ...ev.slice(3)], index: 1, expect: 'ERR_CHAIN_BROKEN' },
    { name: 'duplicated event', events: () => [ev[0]!, ev[1]!, ev[1]!], index: 2, expect: 'ERR_CHAIN_SEQ' },
    { name: 'fork: two events on one predecessor', events: () => [...p3, forge(p3, {}, KEYS.police), forge(p3, { note: 'other branch' }, KEYS.police)], index: 3, expect: 'ERR_CHAIN_FORK' },
    { name: 'replayed from another chain', events: () => [...p3, forge(p3, { chainId: 'AT-2026-000417/4' }, KEYS.police)], index: 2, expect: 'ERR_CHAIN_ID' },
    { name: 'wrong seq with a correct link', events: () => [...p3, forge(p3, { seq: 7 }, KEYS.police)], index: 2, expect: 'ERR_CHAIN_SEQ' },
    { name: 'non-custodian acts', events: () => [...p3, forge(p3, { actor: { authority: AUTH.foreign, role: 'custodian', kid: KEYS.foreign.kid } }, KEYS.foreign)], index: 2, expect: 'ERR_NOT_CUSTODIAN' },
    { name: 'event while a transfer is pending', events: () => [...ev.slice(0, 3), forge(ev.slice(0, 3), {}, KEYS.police)], index: 3, expect: 'ERR_TRANSFER_INCOMPLETE', opts: { allowPendingTransfer: true } },
    { name: 'transfer never received', events: () => ev.slice(0, 3), index: 2, expect: 'ERR_TRANSFER_INCOMPLETE' },
    {
      name: 'received by someone the transfer does not name',
      events: () => [...ev.slice(0, 3), forge(ev.slice(0, 3), { type: 'received', ref: eventHash(ev[2]!), actor: { authority: AUTH.foreign, role: 'custodian', kid: KEYS.foreign.kid } }, KEYS.foreign)],
      index: 3,
      expect: 'ERR_TRANSFER_MISMATCH',
      opts: { allowPendingTransfer: true },
    },
    {
      name: 'received referencing another event',
      events: () => [...ev.slice(0, 3), forge(ev.slice(0, 3), { type: 'received', ref: eventHash(ev[1]!), actor: { authority: AUTH.lab, role: 'custodian', kid: KEYS.lab.kid } }, KEYS.lab)],
      index: 3,
      expect: 'ERR_TRANSFER_MISMATCH',
      opts: { allowPendingTransfer: true },
    },
    { name: 'received without a transfer', events: () => [...p3, forge(p3, { type: 'received', ref: eventHash(ev[1]!) }, KEYS.police)], index: 2, expect: 'ERR_TRANSFER_MISMATCH' },
    { name: 'digest changes without derived', events: () => [...p3, forge(p3, { type: 'examined', actor: { authority: AUTH.police, role: 'custodian', kid: KEYS.police.kid }, digests: { 'sha-256': D2 } }, KEYS.police)], index: 2, expect: 'ERR_DIGEST_CARRYOVER' },
    { name: 'event after destroyed', events: () => [...ev, forge(ev, { actor: { authority: AUTH.foreign, role: 'custodian', kid: KEYS.foreign.kid } }, KEYS.foreign)], index: 10, expect: 'ERR_AFTER_TERMINAL' },
    { name: 'time goes backwards', events: () => [...p3, forge(p3, { time: T0 + HOUR }, KEYS.police)], index: 2, expect: 'ERR_TIME_BACKWARDS' },
    { name: 'role the trust store does not grant', events: () => [...p3, forge(p3, { actor: { authority: AUTH.police, role: 'examiner', kid: KEYS.police.kid }, type: 'accessed' }, KEYS.police)], index: 2, expect: 'ERR_ROLE_NOT_ALLOWED' },
    { name: 'role not allowed for the event type', events: () => [...p3, forge(p3, { type: 'destroyed', actor: { authority: AUTH.police, role: 'collector', kid: KEYS.police.kid } }, KEYS.police)], index: 2, expect: 'ERR_ROLE_NOT_ALLOWED' },
    { name: 'unknown key', events: () => [...p3, forge(p3, { actor: { authority: AUTH.police, role: 'custodian', kid: KEYS.rogue.kid } }, KEYS.rogue)], index: 2, expect: 'ERR_KEY_UNKNOWN' },
    { name: 'key expired at event time', events: () => [...p3, forge(p3, { time: T0 + 3 * HOUR, actor: { authority: AUTH.police, role: 'custodian', kid: KEYS.expired.kid } }, KEYS.expired)], index: 2, expect: 'ERR_KEY_NOT_VALID' },
    { name: 'key revoked before event time', events: () => [...p3, forge(p3, { actor: { authority: AUTH.police, role: 'custodian', kid: KEYS.policeOld.kid } }, KEYS.policeOld)], index: 2, expect: 'ERR_KEY_NOT_VALID' },
    { name: "actor names another authority than the key's", events: () => [...p3, forge(p3, { actor: { authority: AUTH.police, role: 'custodian', kid: KEYS.foreign.kid } }, KEYS.foreign)], index: 2, expect: 'ERR_EVENT_INVALID' },
    { name: 'chain starting with a transfer', events: () => [forge([], { type: 'transferred', prev: null, seq: 0, counterparty: { authority: AUTH.lab } }, KEYS.police)], index: 0, expect: 'ERR_EVENT_INVALID' },
    { name: 'garbage bytes', events: () => [...p3, utf8('not an event')], index: 2, expect: 'ERR_EVENT_INVALID' },
    { name: 'a COSE_Sign1 that is not a custody event', events: () => [...p3, signSign1(utf8('hello'), KEYS.police)], index: 2, expect: 'ERR_EVENT_INVALID' },
  ];
  for (const row of rows) {
    it(`${row.name} → ${row.expect}`, () => {
      const r = verifyChain(row.events(), trust, row.opts);
      expect(r.ok).toBe(false);
      if (row.index >= 0) {
        expect(codesAt(r, row.index)).toContain(row.expect);
        expect(r.events[row.index]!.status).toBe('invalid');
        // nothing before the faulty index is blamed
        expect(r.failures.every((f) => f.index >= row.index)).toBe(true);
      } else expect(r.failures.map((f) => f.code)).toEqual([row.expect]);
    });
  }

  it('a flipped signature byte → ERR_SIGNATURE_INVALID at that event, ERR_CHAIN_BROKEN after it', () => {
    const t = ev[4]!.slice();
    t[t.length - 1]! ^= 1;
    const r = verifyChain([...ev.slice(0, 4), t, ...ev.slice(5)], trust);
    expect(codesAt(r, 4)).toEqual(['ERR_SIGNATURE_INVALID']);
    expect(codesAt(r, 5)).toEqual(['ERR_CHAIN_BROKEN']);
  });

  it('expectedId pins the exhibit', () => {
    expect(verifyChain(happy, trust, { expectedId: happy.id }).ok).toBe(true);
    expect(codesAt(verifyChain(happy, trust, { expectedId: 'other' }), 0)).toContain('ERR_CHAIN_ID');
  });

  it("roles: 'any' turns the per-type policy off, a custom policy replaces it", () => {
    const events = [...p3, forge(p3, { type: 'destroyed', actor: { authority: AUTH.police, role: 'collector', kid: KEYS.police.kid } }, KEYS.police)];
    expect(verifyChain(events, trust, { roles: 'any' }).ok).toBe(true);
    expect(verifyChain(events, trust, { roles: { destroyed: ['collector'] } }).ok).toBe(true);
    expect(verifyChain(p3, trust, { roles: { sealed: ['examiner'] } }).ok).toBe(false);
  });

  it('misuse throws', () => {
    expect(code(() => verifyChain(happy, {} as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => verifyChain('chain' as never, trust))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('appendEvent refuses what the verifier would reject', () => {
  const base = build(happySteps().slice(0, 2));
  const police = { authority: AUTH.police, role: 'custodian' };
  const cases: Array<[string, () => unknown, ErrorCode]> = [
    ['non-custodian', () => appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: { authority: AUTH.foreign, role: 'custodian' } }, KEYS.foreign), 'ERR_NOT_CUSTODIAN'],
    ['time backwards', () => appendEvent(base, { type: 'accessed', time: T0, actor: police }, KEYS.police), 'ERR_TIME_BACKWARDS'],
    ['digest change', () => appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: police, digests: { 'sha-256': D2 } }, KEYS.police), 'ERR_DIGEST_CARRYOVER'],
    ['transfer without receiver', () => appendEvent(base, { type: 'transferred', time: T0 + 5 * HOUR, actor: police }, KEYS.police), 'ERR_EVENT_INVALID'],
    ['bad time text', () => appendEvent(base, { type: 'accessed', time: '2026-11-01 10:00', actor: police }, KEYS.police), 'ERR_TIME_INVALID'],
    ['signer not in trust', () => appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.rogue, { trust }), 'ERR_KEY_UNKNOWN'],
    ['signer of another authority', () => appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.lab, { trust }), 'ERR_EVENT_INVALID'],
    ['role not granted', () => appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: { authority: AUTH.police, role: 'examiner' } }, KEYS.police, { trust }), 'ERR_ROLE_NOT_ALLOWED'],
    ['unknown event type', () => appendEvent(base, { type: 'lost' as never, time: T0 + 5 * HOUR, actor: police }, KEYS.police), 'ERR_EVENT_INVALID'],
    ['empty chain id', () => createChain(''), 'ERR_INVALID_ARGUMENT'],
  ];
  for (const [name, f, want] of cases) it(`${name} → ${want}`, () => expect(code(f)).toBe(want));

  it('appending never changes the chain it was given', () => {
    const before = base.events.length;
    const { chain } = appendEvent(base, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.police);
    expect(base.events.length).toBe(before);
    expect(chain.events.length).toBe(before + 1);
    expect(openCustodyEvent(chain.events[before]!).event.prev).toEqual(eventHash(base.events[before - 1]!));
  });

  it('received fills in the pending transfer by default', () => {
    const c = build(happySteps().slice(0, 3));
    const { chain } = appendEvent(c, { type: 'received', time: T0 + 5 * HOUR, actor: { authority: AUTH.lab, role: 'custodian' } }, KEYS.lab, { trust });
    expect(openCustodyEvent(chain.events[3]!).event.ref).toEqual(eventHash(c.events[2]!));
    expect(verifyChain(chain, trust).ok).toBe(true);
    // the transfer named the lab's kid: another lab key would not do (here: the police key claiming the lab)
    expect(code(() => appendEvent(c, { type: 'received', time: T0 + 5 * HOUR, actor: { authority: AUTH.lab, role: 'custodian' } }, KEYS.police))).toBe('ERR_TRANSFER_MISMATCH');
  });

  it('derived replaces the digests; the new ones carry over afterwards', () => {
    const c = build(happySteps().slice(0, 6));
    expect(verifyChain(c, trust).digests?.['sha-256']).toEqual(D2);
    expect(code(() => appendEvent(c, { type: 'examined', time: T0 + 9 * HOUR, actor: { authority: AUTH.lab, role: 'examiner' }, digests: { 'sha-256': D1 } }, KEYS.lab))).toBe('ERR_DIGEST_CARRYOVER');
  });
});

describe('appendEvent on a hand-built chain with a hole', () => {
  it('refuses the hole (ERR_INVALID_ARGUMENT) instead of chaining onto the event before it', () => {
    const events = happy.events.slice(0, 3);
    events.length = 4; // index 3 is a hole
    const holed = { id: happy.id, events } as unknown as typeof happy;
    const step = happySteps()[3]!;
    expect(code(() => appendEvent(holed, step.input, step.key, { trust }))).toBe('ERR_INVALID_ARGUMENT');
  });
});
