/**
 * The shared-store event views behind appendEvent (src/custody/events.ts): appending is O(1)
 * (no copy of the array), and a chain value still never changes.
 *
 * Attacks on the views and on appending, each tested below:
 * - writing through a view (index, length, push/pop/splice/sort/reverse/fill/copyWithin,
 *   defineProperty, delete, setPrototypeOf, freeze): refused, the view unchanged;
 * - a fork (two events appended to one chain value, or appending to an old chain after it was
 *   extended): the other chains unchanged, each sees its own history;
 * - non-canonical index keys ("01", "-0", "1e0", " 1") and indices past the end: no element;
 * - a hand-built chain whose events change between reads (a getter swapping bytes after the
 *   rules checked them): the copy is what was checked, the new chain verifies;
 * - a hand-built chain changed after an append (the old per-object cache went stale and signed
 *   a second event at the same seq): the next append follows the current events;
 * - a hand-built chain whose length lies (small for the limit check, huge for the copy): ERR_LIMIT
 *   before anything is copied.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendEvent, createChain, openCustodyEvent, parseChain, serializeChain, verifyChain, MAX_CHAIN_EVENTS, eventHash, type CustodyChain } from '../../src/custody/index.js';
import { emptyEvents, eventsWith, isEventsView, snapshotEvents } from '../../src/custody/events.js';
import { isCustosError } from '../../src/errors.js';
import { AUTH, HOUR, KEYS, T0, build, happySteps, trust } from './fixture.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
const b = (n: number) => new Uint8Array([n & 255, n >> 8]);
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
  return 'no error';
};

function viewOf(n: number): readonly Uint8Array[] {
  let v = emptyEvents();
  for (let i = 0; i < n; i++) v = eventsWith(v, b(i));
  return v;
}

describe('event views', () => {
  it('read like a plain array', () => {
    const v = viewOf(5);
    const plain = Array.from({ length: 5 }, (_, i) => b(i));
    expect(Array.isArray(v)).toBe(true);
    expect(v.length).toBe(5);
    expect(v[4]).toEqual(b(4));
    expect(v[5]).toBeUndefined();
    expect(v.at(-1)).toEqual(b(4));
    expect([...v]).toEqual(plain);
    expect(v).toEqual(plain);
    expect(v.slice(1, 3)).toEqual(plain.slice(1, 3));
    expect(Array.isArray(v.slice()) && !isEventsView(v.slice())).toBe(true);
    expect(v.map((x) => x[0])).toEqual([0, 1, 2, 3, 4]);
    expect(v.indexOf(v[2]!)).toBe(2);
    expect(Object.keys(v)).toEqual(['0', '1', '2', '3', '4']);
    expect(2 in v && !(5 in v)).toBe(true);
    expect(JSON.stringify(v)).toBe(JSON.stringify(plain));
    expect(Object.getPrototypeOf(v)).toBe(Array.prototype);
    let n = 0;
    for (const x of v) expect(x).toEqual(b(n++));
    expect(n).toBe(5);
  });

  it('print as the events they hold (console.log formats a Proxy by its target)', () => {
    const v = viewOf(3);
    expect(inspect(v)).toBe(inspect([b(0), b(1), b(2)]));
    expect(inspect({ events: v })).toBe(inspect({ events: [b(0), b(1), b(2)] }));
    expect(Object.keys(v)).toEqual(['0', '1', '2']);
  });

  it('non-canonical keys and indices past the end name no element', () => {
    const v = viewOf(3) as unknown as Record<string, unknown>;
    for (const k of ['01', '-0', '1e0', ' 1', '1 ', '+1', '3', '9007199254740993']) expect(v[k], k).toBeUndefined();
  });

  it('refuse every write and stay as they were', () => {
    const v = viewOf(3) as Uint8Array[];
    const writes: Array<[string, () => unknown]> = [
      ['index', () => (v[0] = b(9))],
      ['append by index', () => (v[3] = b(9))],
      ['length', () => (v.length = 1)],
      ['push', () => v.push(b(9))],
      ['pop', () => v.pop()],
      ['shift', () => v.shift()],
      ['splice', () => v.splice(0, 1)],
      ['sort', () => v.sort(() => -1)],
      ['reverse', () => v.reverse()],
      ['fill', () => v.fill(b(9))],
      ['copyWithin', () => v.copyWithin(0, 1)],
      ['defineProperty', () => Object.defineProperty(v, '0', { value: b(9) })],
      ['delete', () => delete v[0]],
      ['setPrototypeOf', () => Object.setPrototypeOf(v, null)],
      ['freeze', () => Object.freeze(v)],
      ['new property', () => Object.assign(v, { extra: 1 })],
    ];
    for (const [name, w] of writes) expect(w, name).toThrow(TypeError);
    expect([...v]).toEqual([b(0), b(1), b(2)]);
    expect(Object.getPrototypeOf(v)).toBe(Array.prototype);
  });

  it('forks: any sequence of extensions from any earlier view leaves every view as it was made', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), (picks) => {
        const views: Array<{ v: readonly Uint8Array[]; model: Uint8Array[] }> = [{ v: emptyEvents(), model: [] }];
        picks.forEach((p, k) => {
          const from = views[p % views.length]!;
          const x = b(k);
          views.push({ v: eventsWith(from.v, x), model: [...from.model, x] });
        });
        for (const { v, model } of views) {
          expect(v.length).toBe(model.length);
          for (let i = 0; i < model.length; i++) expect(v[i]).toBe(model[i]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a snapshot reads the length and each index once, and refuses a length over the limit first', () => {
    let reads = 0;
    const swapping = new Proxy([b(0), b(1)], {
      get: (t, k, r) => (k === '1' ? (reads++ === 0 ? b(1) : b(99)) : Reflect.get(t, k, r)),
    });
    const s = snapshotEvents(swapping, 10);
    expect([s[1], s[1]]).toEqual([b(1), b(1)]);
    expect(reads).toBe(1);
    let lengthReads = 0;
    const lying = new Proxy([] as Uint8Array[], { get: (t, k, r) => (k === 'length' ? (lengthReads++ === 0 ? 1 : 2 ** 32 - 1) : Reflect.get(t, k, r)) });
    expect(codeOf(() => snapshotEvents(lying, 10))).toBe('no error'); // first read: 1 event (undefined), read once
    expect(lengthReads).toBe(1);
    expect(codeOf(() => snapshotEvents(lying, 10))).toBe('ERR_LIMIT');
    expect(codeOf(() => eventsWith([], b(0)))).toBe('ERR_INTERNAL');
  });
});

describe('appendEvent on views', () => {
  const police = { authority: AUTH.police, role: 'custodian' };
  const step = (chain: CustodyChain, i: number) => appendEvent(chain, { type: 'accessed', time: T0 + (10 + i) * HOUR, actor: police }, KEYS.police).chain;
  const collected = () => appendEvent(createChain('EV-1'), { type: 'collected', time: T0, actor: { authority: AUTH.police, role: 'collector' } }, KEYS.police).chain;

  it('every intermediate chain keeps its own events while the chain grows', () => {
    const chains = [collected()];
    for (let i = 0; i < 40; i++) chains.push(step(chains[chains.length - 1]!, i));
    const last = chains[chains.length - 1]!;
    chains.forEach((c, k) => {
      expect(c.events.length).toBe(k + 1);
      for (let i = 0; i <= k; i++) expect(c.events[i]).toBe(last.events[i]);
      expect(Object.isFrozen(c)).toBe(true);
    });
    expect(verifyChain(last, trust).ok).toBe(true);
    expect(parseChain(serializeChain(last)).events).toEqual([...last.events]);
  });

  it('two events appended to one chain value: two chains, neither sees the other', () => {
    const base = step(collected(), 0);
    const a = step(base, 1);
    const c = step(base, 2);
    const a2 = step(a, 3);
    expect([base.events.length, a.events.length, c.events.length, a2.events.length]).toEqual([2, 3, 3, 4]);
    expect(a.events[2]).not.toBe(c.events[2]);
    expect(a2.events[2]).toBe(a.events[2]);
    for (const ch of [a, c, a2]) expect(verifyChain(ch, trust).ok).toBe(true);
  });

  it('a hand-built chain changed after an append: the next append follows its current events', () => {
    const parsed = parseChain(serializeChain(build(happySteps().slice(0, 2)))) as { id: string; events: Uint8Array[] };
    const first = appendEvent(parsed, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.police);
    parsed.events.push(first.event);
    const second = appendEvent(parsed, { type: 'accessed', time: T0 + 6 * HOUR, actor: police }, KEYS.police);
    expect(openCustodyEvent(second.event).event.seq).toBe(3);
    expect(openCustodyEvent(second.event).event.prev).toEqual(first.hash);
    expect(verifyChain(second.chain, trust).ok).toBe(true);
  });

  it('a hand-built chain whose events swap between reads: the new chain holds what the rules checked', () => {
    const good = build(happySteps().slice(0, 2));
    const evil = happySteps()[5]!; // a lab event: would break the chain at index 1
    const forged = appendEvent(build(happySteps().slice(0, 6)), { type: 'accessed', time: T0 + 9 * HOUR, actor: { authority: AUTH.lab, role: 'examiner' } }, evil.key).event;
    let reads = 0;
    const events = new Proxy([...good.events], { get: (t, k, r) => (k === '1' && reads++ > 0 ? forged : Reflect.get(t, k, r)) });
    const { chain } = appendEvent({ id: good.id, events }, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.police);
    expect(chain.events[1]).toBe(good.events[1]);
    expect(eventHash(chain.events[1]!)).toEqual(eventHash(good.events[1]!));
    expect(verifyChain(chain, trust).ok).toBe(true);
  });

  it('a hand-built chain whose length lies: ERR_LIMIT, nothing copied', () => {
    const good = build(happySteps().slice(0, 1));
    let n = 0;
    const events = new Proxy([...good.events], { get: (t, k, r) => (k === 'length' ? (n++ === 0 ? 1 : MAX_CHAIN_EVENTS + 1) : Reflect.get(t, k, r)) });
    expect(codeOf(() => appendEvent({ id: good.id, events }, { type: 'accessed', time: T0 + 5 * HOUR, actor: police }, KEYS.police))).toBe('ERR_LIMIT');
  });
});
