import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER, signSign1 } from '../../src/cose/index.js';
import {
  appendEvent,
  createChain,
  CUSTODY_EVENT_CONTENT_TYPE,
  encodeCustodyEvent,
  openCustodyEvent,
  serializeChain,
  splitChain,
  verifyChain,
  type CustodyChain,
  type CustodyEventInput,
} from '../../src/custody/index.js';
import type { ErrorCode } from '../../src/errors.js';
import type { SigningKey } from '../../src/keys/index.js';
import { AUTH, D1, HOUR, KEYS, T0, trust } from './fixture.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);

type Who = keyof typeof AUTH;
const KEY_OF: Record<Who, SigningKey> = { police: KEYS.police, lab: KEYS.lab, foreign: KEYS.foreign };
const WHO: Who[] = ['police', 'lab', 'foreign'];

/**
 * Interprets a list of random choices as a valid custody history: at each step it picks, among
 * the events the rules allow next, the one the choice selects.
 */
function history(choices: readonly number[], gaps: readonly number[], id: string): { chain: CustodyChain; checkpoints: CustodyChain[] } {
  let chain = createChain(id);
  const checkpoints: CustodyChain[] = [];
  let holder: Who = 'police';
  let pendingTo: Who | undefined;
  let digest = D1;
  let t = T0;
  const push = (who: Who, input: Omit<CustodyEventInput, 'time'>) => {
    t += gaps[checkpoints.length % gaps.length] ?? 0;
    chain = appendEvent(chain, { ...input, time: t }, KEY_OF[who], { trust }).chain;
    checkpoints.push(chain);
  };
  push('police', { type: 'collected', actor: { authority: AUTH.police, role: 'collector' }, digests: { 'sha-256': digest } });
  for (const c of choices) {
    if (pendingTo !== undefined) {
      push(pendingTo, { type: 'received', actor: { authority: AUTH[pendingTo], role: 'custodian' }, ...(c % 2 ? { digests: { 'sha-256': digest } } : {}) });
      holder = pendingTo;
      pendingTo = undefined;
      continue;
    }
    const options: Array<() => void> = [
      () => push(holder, { type: 'accessed', actor: { authority: AUTH[holder], role: 'custodian' } }),
      () => push(holder, { type: 'preserved', actor: { authority: AUTH[holder], role: 'custodian' }, digests: { 'sha-256': digest } }),
      () => push(holder, { type: 'sealed', actor: { authority: AUTH[holder], role: 'custodian' }, seals: [`S-${c}`] }),
      () => {
        const to = WHO.filter((w) => w !== holder)[c % 2]!;
        push(holder, { type: 'transferred', actor: { authority: AUTH[holder], role: 'custodian' }, counterparty: { authority: AUTH[to] } });
        pendingTo = to;
      },
    ];
    if (holder === 'lab') {
      options.push(() => push('lab', { type: 'examined', actor: { authority: AUTH.lab, role: 'examiner' } }));
      options.push(() => {
        digest = new Uint8Array(32).fill(c & 0xff);
        push('lab', { type: 'derived', actor: { authority: AUTH.lab, role: 'examiner' }, digests: { 'sha-256': digest } });
      });
    }
    if (holder === 'foreign') options.push(() => push('foreign', { type: 'disclosed', actor: { authority: AUTH.foreign, role: 'disclosure-officer' } }));
    options[c % options.length]!();
  }
  return { chain, checkpoints };
}

const arbHistory = fc.record({
  choices: fc.array(fc.nat(1000), { minLength: 3, maxLength: 10 }),
  gaps: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * HOUR })), { minLength: 1, maxLength: 4 }),
});

const INTEGRITY: ErrorCode[] = ['ERR_EVENT_INVALID', 'ERR_SIGNATURE_INVALID', 'ERR_KEY_UNKNOWN', 'ERR_KEY_NOT_VALID', 'ERR_CHAIN_BROKEN', 'ERR_CHAIN_SEQ', 'ERR_CHAIN_ID'];

function resign(bytes: Uint8Array, key: SigningKey): Uint8Array {
  const { event } = openCustodyEvent(bytes);
  const payload = encodeCustodyEvent({ ...event, actor: { ...event.actor, kid: key.kid } });
  return signSign1(payload, key, { protectedHeaders: new Map<number | string, unknown>([[HEADER.contentType, CUSTODY_EVENT_CONTENT_TYPE]]) });
}

function codesAt(events: readonly Uint8Array[], index: number): ErrorCode[] {
  return verifyChain(events, trust, { allowPendingTransfer: true, expectedId: 'P-1' }).failures.filter((f) => f.index === index).map((f) => f.code);
}

describe('custody properties', () => {
  it('random valid histories verify after every append', () => {
    fc.assert(
      fc.property(arbHistory, ({ choices, gaps }) => {
        const { checkpoints } = history(choices, gaps, 'P-1');
        for (const c of checkpoints) {
          const r = verifyChain(c, trust, { allowPendingTransfer: true });
          expect(r.failures).toEqual([]);
        }
        // and the file form of the final chain splits back into the same events
        const last = checkpoints[checkpoints.length - 1]!;
        expect(splitChain(serializeChain(last)).events).toEqual(last.events);
      }),
      { numRuns: RUNS },
    );
  });

  it('dropping, reordering, duplicating, re-signing or replaying an event is caught at that index with the right code', () => {
    fc.assert(
      fc.property(arbHistory, fc.nat(), fc.constantFrom('drop', 'swap', 'dup', 'resign-rogue', 'resign-trusted', 'replay'), ({ choices, gaps }, pick, how) => {
        const events = history(choices, gaps, 'P-1').chain.events;
        const n = events.length;
        const k = pick % (n - 1); // never the last event: a truncated tail is not visible in the chain alone
        const m = [...events];
        let want: ErrorCode[];
        let at = k;
        switch (how) {
          case 'drop':
            m.splice(k, 1);
            want = ['ERR_CHAIN_SEQ', 'ERR_CHAIN_BROKEN'];
            break;
          case 'swap':
            [m[k], m[k + 1]] = [m[k + 1]!, m[k]!];
            want = ['ERR_CHAIN_SEQ', 'ERR_CHAIN_BROKEN'];
            break;
          case 'dup':
            m.splice(k + 1, 0, events[k]!);
            at = k + 1;
            want = ['ERR_CHAIN_SEQ'];
            break;
          case 'resign-rogue':
            m[k] = resign(events[k]!, KEYS.rogue);
            want = ['ERR_KEY_UNKNOWN'];
            break;
          case 'resign-trusted': {
            // another trusted authority's key re-signs the same event
            const actor = openCustodyEvent(events[k]!).event.actor.authority;
            m[k] = resign(events[k]!, actor === AUTH.foreign ? KEYS.police : KEYS.foreign);
            want = ['ERR_EVENT_INVALID'];
            break;
          }
          case 'replay': {
            // the same history, recorded for another exhibit
            m[k] = history(choices, gaps, 'P-2').chain.events[k]!;
            want = ['ERR_CHAIN_ID'];
            break;
          }
        }
        const codes = codesAt(m, at);
        expect(codes.some((c) => want.includes(c)), `${how} at ${k}: ${codes.join(',')}`).toBe(true);
        const r = verifyChain(m, trust, { allowPendingTransfer: true, expectedId: 'P-1' });
        expect(r.ok).toBe(false);
        // a changed event's hash no longer matches what its successor names
        if (how.startsWith('resign') || how === 'replay') expect(codesAt(m, k + 1)).toContain('ERR_CHAIN_BROKEN');
        // nothing before the change is blamed
        expect(r.failures.every((f) => f.index >= Math.min(at, k))).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('flipping any byte of the chain file is caught at the event holding it', () => {
    const { chain } = history([3, 1, 0, 2, 5], [HOUR], 'P-3');
    const file = serializeChain(chain);
    const starts: number[] = [];
    let o = 0;
    for (const e of chain.events) {
      starts.push(o);
      o += e.length;
    }
    fc.assert(
      fc.property(fc.nat(file.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const t = file.slice();
        t[pos]! ^= x;
        const r = verifyChain(t, trust, { allowPendingTransfer: true });
        expect(r.ok).toBe(false);
        let idx = starts.length - 1;
        while (starts[idx]! > pos) idx--;
        const first = r.failures[0]!;
        expect(first.index).toBe(idx);
        expect(INTEGRITY).toContain(first.code);
      }),
      { numRuns: RUNS * 4 },
    );
  });
});
