/**
 * The fast readers (event envelope and payload) against the generic strict decoders: on valid
 * events and on every kind of mutation, they must accept exactly what the generic path accepts
 * and return the same values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/cbor.js';
import { decodeSign1 } from '../../src/cose/index.js';
import { fastSign1 } from '../../src/custody/chain.js';
import { decodeCustodyEvent, openCustodyEvent, parseCustodyEvent } from '../../src/custody/index.js';
import { isCustosError } from '../../src/errors.js';
import { build, happySteps } from './fixture.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 300);
const events = build(happySteps()).events;

/** The reference: generic strict CBOR decode, then map integer keys to field names. */
function genericPayload(payload: Uint8Array): unknown {
  const v = decode(payload, { maxDepth: 8 });
  const names = ['', 'chainId', 'seq', 'prev', 'type', 'time', 'actor', 'counterparty', 'location', 'purpose', 'authorisation', 'digests', 'derivedFrom', 'seals', 'note', 'ref'];
  const map = (m: unknown, labels: string[]): Record<string, unknown> => {
    if (!(m instanceof Map)) throw new Error('not a map');
    const o: Record<string, unknown> = {};
    for (const [k, x] of m) {
      if (typeof k !== 'number' || !labels[k]) throw new Error('bad key');
      o[labels[k]!] = x;
    }
    return o;
  };
  const o = map(v, names);
  if (o.actor !== undefined) o.actor = map(o.actor, ['', 'authority', 'role', 'kid']);
  if (o.counterparty !== undefined) o.counterparty = map(o.counterparty, ['', 'authority', 'role', 'kid']);
  if (o.authorisation !== undefined) o.authorisation = map(o.authorisation, ['', 'type', 'reference']);
  if (o.digests instanceof Map) o.digests = Object.fromEntries(o.digests);
  if (Array.isArray(o.derivedFrom)) o.derivedFrom = o.derivedFrom.map((d) => map(d, ['', 'chainId', 'event']));
  return parseCustodyEvent(o);
}

function outcome(f: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (isCustosError(e) || e instanceof Error) return { ok: false };
    throw e;
  }
}

const mutate = (b: Uint8Array) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(b.length - 1), x: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(b.length - 1), x: fc.constant(0) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(b.length), x: fc.nat(255) }),
  );

function apply(b: Uint8Array, m: { kind: 'flip' | 'cut' | 'insert'; at: number; x: number }): Uint8Array {
  if (m.kind === 'flip') {
    const t = b.slice();
    t[m.at]! ^= m.x;
    return t;
  }
  if (m.kind === 'cut') return b.slice(0, m.at);
  return new Uint8Array([...b.subarray(0, m.at), m.x, ...b.subarray(m.at)]);
}

describe('fast event readers agree with the generic strict decoders', () => {
  it('valid events take the fast path and decode identically', () => {
    for (const e of events) {
      const fast = fastSign1(e);
      expect(fast).toBeDefined();
      const slow = decodeSign1(e);
      expect(fast).toEqual(slow);
      expect(decodeCustodyEvent(slow.payload!)).toEqual(genericPayload(slow.payload!));
    }
  });

  it('property: mutated envelopes — fast result, when any, equals the generic one', () => {
    const e = events[3]!;
    fc.assert(
      fc.property(mutate(e), (m) => {
        const t = apply(e, m);
        const fast = outcome(() => fastSign1(t));
        const slow = outcome(() => decodeSign1(t));
        if (fast.ok && fast.value !== undefined) {
          expect(slow.ok).toBe(true);
          expect(fast.value).toEqual((slow as { value: unknown }).value);
        }
        // and opening agrees with the generic path in accept/reject
        const opened = outcome(() => openCustodyEvent(t));
        const reference = outcome(() => {
          const s = decodeSign1(t);
          return genericPayload(s.payload!);
        });
        if (opened.ok) expect(reference.ok).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('property: mutated payloads — accepted by the fast reader iff by the generic decoder, with the same value', () => {
    for (const e of [events[0]!, events[2]!, events[5]!]) {
      const payload = decodeSign1(e).payload!;
      fc.assert(
        fc.property(mutate(payload), (m) => {
          const t = apply(payload, m);
          const fast = outcome(() => decodeCustodyEvent(t));
          const slow = outcome(() => genericPayload(t));
          expect(fast.ok).toBe(slow.ok);
          if (fast.ok && slow.ok) expect(fast.value).toEqual(slow.value);
        }),
        { numRuns: RUNS },
      );
    }
  });
});
