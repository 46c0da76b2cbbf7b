/**
 * Request status chains (`verifyStatusChain`, src/request/verify.ts) beyond their bounds and
 * under hostile edits. The bounds (src/request/events.ts): one signed status event is at most
 * STATUS_MAX_BYTES (64 KiB; past it ERR_CBOR_SIZE, as listed in src/limits.ts) and `seq` at
 * most 1,000,000 (past it the event is malformed: ERR_EVENT_INVALID); a chain holds at most
 * MAX_STATUS_EVENTS (10,000; past it ERR_LIMIT, see FINDINGS.md F-8).
 *
 * Oracle for the chain property: `verifyStatusChain` reports, never throws on data (below the bound); every
 * failed check has a code from ERROR_CODES; `ok` (and a `chain`) only when every event carries
 * exactly the signed payload of the genuine event at its position (a prefix of the genuine
 * chain: bytes outside the signature may differ); a byte-identical prefix always verifies.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/cbor.js';
import { HEADER, signSign1 } from '../../src/cose/sign1.js';
import { ERROR_CODES, isCustosError } from '../../src/errors.js';
import type { SigningKey } from '../../src/keys/signing.js';
import { MAX_STATUS_EVENTS, STATUS_CONTENT_TYPE, STATUS_MAX_BYTES, decodeStatusEvent, signStatusEvent, type StatusInput } from '../../src/request/events.js';
import { verifyStatusChain, type StatusChainReport } from '../../src/request/verify.js';
import { buildChain, loadRequest, parties } from '../request/helpers.js';
import { RUNS, counters, mutations, runCase, type Target } from './harness.js';

/** Replays a failure printed by a property: CUSTOS_FC_SEED=<seed> CUSTOS_FC_PATH=<path> (with -t to pick it). */
const REPLAY = process.env.CUSTOS_FC_SEED === undefined ? {} : { seed: Number(process.env.CUSTOS_FC_SEED), ...(process.env.CUSTOS_FC_PATH ? { path: process.env.CUSTOS_FC_PATH } : {}) };
const P = parties();
const REQ = loadRequest('epoc-traffic.json');
const ID = REQ.id;
/** The same request edited after issue (same id), and another request: neither may verify the chain. */
const EDITED = { ...REQ, emergency: { flag: true, justification: 'edited after issue' } } as typeof REQ;
const OTHER = { ...REQ, id: 'OTHER-REQUEST' } as typeof REQ;
type Step = Omit<StatusInput, 'actor'> & { actor: 'issuer' | 'provider' | 'enforcer' };
const steps: Step[] = [
  { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' },
  { kind: 'received', at: '2026-03-27T17:00:00+01:00', actor: 'provider' },
  { kind: 'acknowledged', at: '2026-03-27T18:00:00+01:00', actor: 'provider' },
  { kind: 'in-progress', at: '2026-03-28T09:00:00+01:00', actor: 'provider' },
  { kind: 'delay-notified', at: '2026-04-03T10:00:00+02:00', actor: 'provider', reasons: ['account data held by an affiliate'], estimate: '2026-04-10T12:00:00+02:00' },
  { kind: 'in-progress', at: '2026-04-04T10:00:00+02:00', actor: 'provider' },
  { kind: 'partially-fulfilled', at: '2026-04-06T12:00:00+02:00', actor: 'provider', items: 2 },
  { kind: 'fulfilled', at: '2026-04-09T12:00:00+02:00', actor: 'provider', items: 3 },
];
const chain = buildChain(REQ, steps, P.keys);
const payloadOf = (b: Uint8Array) => decodeStatusEvent(b).sign1.payload!;
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const digest = (i: number) => decodeStatusEvent(chain[i]!).digest;

/** Signs a payload directly, bypassing every check signStatusEvent makes (a forger's view). */
function forge(payload: Record<string, unknown>, key: SigningKey = P.provider): Uint8Array {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return signSign1(encode(clean), key, { protectedHeaders: new Map<number, unknown>([[HEADER.contentType, STATUS_CONTENT_TYPE]]) });
}

/**
 * A valid delay-notified event at position `seq` (after the event `seq − 1` of the genuine chain)
 * of exactly `size` bytes: reasons of 2000 'Ω' (two UTF-8 bytes each, inside the schema's 2000
 * characters) and one ASCII reason whose length tunes the size to the byte.
 */
function eventOfSize(size: number, seq: number): Uint8Array {
  const base = (k: number, ascii: number) =>
    forge({
      v: 1,
      request: ID,
      seq,
      prev: digest(seq - 1),
      kind: 'delay-notified',
      at: '2026-04-03T10:00:00+02:00',
      actor: 'provider',
      estimate: '2026-04-10T12:00:00+02:00',
      reasons: [...Array.from({ length: k }, () => 'Ω'.repeat(2000)), 'a'.repeat(ascii)],
    });
  for (let k = 19; k >= 0; k--) {
    const need = size - base(k, 256).length;
    if (need >= 0 && need <= 1744) {
      const b = base(k, 256 + need);
      if (b.length !== size) throw new Error(`eventOfSize: got ${b.length}, wanted ${size}`);
      return b;
    }
  }
  throw new Error(`eventOfSize: ${size} unreachable`);
}

function documentedChecks(r: StatusChainReport): string | undefined {
  for (const c of r.checks) {
    if (c.ok) continue;
    if (c.code === undefined) return `failed check ${c.index}.${c.check} without a code`;
    if (!Object.hasOwn(ERROR_CODES, c.code)) return `undocumented code ${c.code}`;
    if (c.code === 'ERR_INTERNAL') return `ERR_INTERNAL at ${c.index}.${c.check}: ${c.detail ?? ''}`;
  }
  if (r.ok !== (r.chain !== undefined)) return 'ok and chain disagree';
  if (r.ok && r.checks.some((c) => !c.ok)) return 'ok with a failed check';
  return undefined;
}

const codesAt = (r: StatusChainReport, index: number) => r.checks.filter((c) => c.index === index && !c.ok).map((c) => c.code);

describe('request status chains: bounds and hostile chains', () => {
  afterAll(() => console.log(`[adversarial] status chains: ${counters.cases} cases`));
  const at = eventOfSize(STATUS_MAX_BYTES, 3);
  const past = eventOfSize(STATUS_MAX_BYTES + 1, 3);

  it('the genuine chain verifies', () => {
    const r = verifyStatusChain(chain, P.trust, { request: REQ });
    expect(r.ok).toBe(true);
    expect(r.chain!.events.map((e) => e.kind)).toEqual(steps.map((s) => s.kind));
  });

  it('STATUS_MAX_BYTES inside a chain: an event at the bound verifies, one byte past is ERR_CBOR_SIZE at its index', () => {
    expect(at.length).toBe(STATUS_MAX_BYTES);
    expect(past.length).toBe(STATUS_MAX_BYTES + 1);
    const ok = verifyStatusChain([...chain.slice(0, 3), at], P.trust, { request: REQ });
    expect(ok.ok).toBe(true);
    expect(ok.chain!.events[3]!.kind).toBe('delay-notified');
    expect(ok.chain!.events[3]!.reasons).toEqual(decodeStatusEvent(at).event.reasons);
    const r = verifyStatusChain([...chain.slice(0, 3), past], P.trust, { request: REQ });
    expect(r.ok).toBe(false);
    expect(codesAt(r, 3)).toEqual(['ERR_CBOR_SIZE']);
    for (const i of [0, 1, 2]) expect(codesAt(r, i)).toEqual([]);
    // An event after the oversized one cannot link to it.
    const next = forge({ v: 1, request: ID, seq: 4, prev: decodeStatusEvent(at).digest, kind: 'in-progress', at: '2026-04-04T10:00:00+02:00', actor: 'provider' });
    expect(verifyStatusChain([...chain.slice(0, 3), at, next], P.trust, { request: REQ }).ok).toBe(true);
    const broken = verifyStatusChain([...chain.slice(0, 3), past, next], P.trust, { request: REQ });
    expect(broken.ok).toBe(false);
    expect(codesAt(broken, 4).length).toBeGreaterThan(0);
    expect(documentedChecks(broken)).toBeUndefined();
    counters.cases += 4;
  });

  it('seq at its bound (1,000,000) decodes and fails the sequence check; one past is ERR_EVENT_INVALID', () => {
    const ev = (seq: number) => forge({ v: 1, request: ID, seq, prev: digest(2), kind: 'in-progress', at: '2026-03-28T09:00:00+01:00', actor: 'provider' });
    const r = verifyStatusChain([...chain.slice(0, 3), ev(1_000_000)], P.trust, { request: REQ });
    expect(codesAt(r, 3)).toEqual(['ERR_CHAIN_SEQ']);
    const r2 = verifyStatusChain([...chain.slice(0, 3), ev(1_000_001)], P.trust, { request: REQ });
    expect(codesAt(r2, 3)).toEqual(['ERR_EVENT_INVALID']);
    expect(verifyStatusChain([...chain.slice(0, 3), ev(3)], P.trust, { request: REQ }).ok).toBe(true);
    counters.cases += 3;
  });

  it('a 16 MiB element is refused by size before decoding; MAX_STATUS_EVENTS junk elements give a report, one more ERR_LIMIT', () => {
    let t0 = performance.now();
    const r = verifyStatusChain([...chain.slice(0, 2), new Uint8Array(16 * 1024 * 1024).fill(0x5a)], P.trust, { request: REQ });
    expect(codesAt(r, 2)).toEqual(['ERR_CBOR_SIZE']);
    expect(performance.now() - t0).toBeLessThan(2_000);
    t0 = performance.now();
    const junk = Array.from({ length: MAX_STATUS_EVENTS - chain.length }, (_, i) => (i % 3 === 0 ? Uint8Array.of(0xd2) : i % 3 === 1 ? chain[0]! : past));
    const big = verifyStatusChain([...chain, ...junk], P.trust, { request: REQ });
    expect(big.ok).toBe(false);
    expect(documentedChecks(big)).toBeUndefined();
    expect(codesAt(big, chain.length + 2)).toEqual(['ERR_CBOR_SIZE']);
    // Linear: at most one signature check per element (a third of them here).
    expect(performance.now() - t0).toBeLessThan(30_000);
    // One past the bound: no verdict (thrown, as for custody chains), before any element is read.
    t0 = performance.now();
    let code: unknown;
    try {
      verifyStatusChain([...chain, ...junk, past], P.trust, { request: REQ });
    } catch (e) {
      code = isCustosError(e) ? e.code : e;
    }
    expect(code).toBe('ERR_LIMIT');
    expect(performance.now() - t0).toBeLessThan(1_000);
    counters.cases += 3;
  });

  it('hostile edits of a chain: only documented codes, ok only for the genuine signed payloads', async () => {
    const n = chain.length;
    const idx = fc.nat({ max: n - 1 });
    const outsiderCopy = (i: number) => forge(decodeStatusEvent(chain[i]!).event as unknown as Record<string, unknown>, P.outsider);
    const wrongPrev = (i: number) => forge({ ...(decodeStatusEvent(chain[i]!).event as unknown as Record<string, unknown>), prev: new Uint8Array(32).fill(9) }, i === 0 ? P.issuer : P.provider);
    type Edit = (c: unknown[]) => unknown[];
    const edit: fc.Arbitrary<Edit> = fc.oneof(
      fc.nat({ max: n }).map((k): Edit => (c) => c.slice(0, k)),
      idx.map((i): Edit => (c) => c.filter((_, k) => k !== i)),
      fc.tuple(idx, fc.nat({ max: n })).map(([i, j]): Edit => (c) => [...c.slice(0, j), c[i], ...c.slice(j)]),
      fc.tuple(idx, idx).map(([i, j]): Edit => (c) => {
        const o = c.slice();
        [o[i], o[j]] = [o[j], o[i]];
        return o;
      }),
      idx.chain((i) => mutations([chain[i]!]).map((b): Edit => (c) => c.map((x, k) => (k === i ? b : x)))),
      fc.tuple(fc.nat({ max: n }), fc.constantFrom<unknown>(past, at, Uint8Array.of(0xd2), new Uint8Array(0), 'event', null, 42, { bytes: chain[0] })).map(([i, x]): Edit => (c) => [...c.slice(0, i), x, ...c.slice(i)]),
      idx.map((i): Edit => (c) => c.map((x, k) => (k === i ? outsiderCopy(i) : x))),
      idx.map((i): Edit => (c) => c.map((x, k) => (k === i ? wrongPrev(i) : x))),
      fc.constant<Edit>((c) => c.slice().reverse()),
      // Sparse arrays: a deleted element, or a length beyond the last element (holes).
      idx.map((i): Edit => (c) => {
        const o = c.slice();
        delete o[i];
        return o;
      }),
      fc.integer({ min: 1, max: 3 }).map((k): Edit => (c) => {
        const o = c.slice();
        o.length += k;
        return o;
      }),
    );
    const arb = fc.record({
      edits: fc.array(edit, { minLength: 0, maxLength: 3 }),
      doc: fc.constantFrom<'genuine' | 'edited' | 'other'>('genuine', 'genuine', 'edited', 'other'),
    });
    const genuine = chain.map(payloadOf);
    let verified = 0;
    let refused = 0;
    const d = await fc.check(
      fc.asyncProperty(arb, async ({ edits, doc }) => {
        const input = edits.reduce<unknown[]>((c, e) => e(c), chain.slice());
        const t: Target<StatusChainReport> = {
          name: 'verifyStatusChain',
          samples: [new Uint8Array(0)],
          run: () => verifyStatusChain(input as Uint8Array[], P.trust, { request: doc === 'genuine' ? REQ : doc === 'edited' ? EDITED : OTHER }),
          oracle: (_b, r) => {
            const shape = documentedChecks(r);
            if (shape !== undefined) return shape;
            const holes = Array.from({ length: input.length }, (_, k) => k).filter((k) => !(k in input));
            const prefix = input.length > 0 && input.length <= n && holes.length === 0 && input.every((x, k) => x instanceof Uint8Array && eq(x, chain[k]!));
            if (r.ok) verified++;
            else refused++;
            // F-9 (fixed): a hole is a failed decode check at its index, never skipped.
            if (!r.ok && !r.checks.some((c) => !c.ok)) return 'a failed report without a failed check';
            if (r.ok && holes.length > 0) {
              return `F-9: ok for an array with holes at ${holes.join(', ')}`;
            }
            if (prefix && doc === 'genuine' && !r.ok) return `a genuine prefix of ${input.length} failed: ${JSON.stringify(r.checks.filter((c) => !c.ok))} (${r.checks.length} checks)`;
            if (!r.ok) return undefined;
            if (doc !== 'genuine') return `verified for ${doc === 'edited' ? 'a document edited after issue' : 'another request'}`;
            if (input.length - holes.length > n) return 'verified a chain longer than the genuine one';
            for (let k = 0; k < input.length - holes.length; k++) {
              const x = input[k];
              if (!(x instanceof Uint8Array)) return 'verified a non-byte element';
              let p: Uint8Array;
              try {
                p = payloadOf(x);
              } catch {
                return `verified an element that does not decode (${k})`;
              }
              // `at` is a real delay notice the provider signed for position 3 (a fork of the
              // genuine chain there): after the genuine events 0..2 it is a valid event too.
              if (!eq(p, genuine[k]!) && !(k === 3 && eq(p, payloadOf(at)))) return `verified event ${k} whose signed payload is not the genuine one (input ${input.map((y) => (y instanceof Uint8Array ? y.length : typeof y)).join(',')})`;
            }
            return undefined;
          },
        };
        const c = await runCase(t, new Uint8Array(0));
        if (c.finding !== undefined) throw new Error(c.finding);
      }),
      { numRuns: 2 * RUNS, ...REPLAY },
    );
    if (d.failed) throw new Error(`verifyStatusChain seed=${d.seed} path=${d.counterexamplePath ?? ''}: ${d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance)}`);
    if (!('path' in REPLAY)) {
      // Both outcomes, or the property tested nothing (a replay runs one case only).
      expect(verified).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    }
  });

  // FINDINGS.md F-9 (fixed): verifyStatusChain iterated with forEach, which skips the holes of a
  // sparse array: trailing holes verified as if absent, and an array of holes failed with no
  // failed check and no code. Now every index gets a decode check.
  it('F-9 (fixed): holes in the chain array are reported, never skipped', () => {
    const trailing: Uint8Array[] = chain.slice(0, 2);
    trailing.length = 3;
    const deleted: Uint8Array[] = chain.slice(0, 3);
    delete deleted[2];
    for (const a of [trailing, deleted, new Array<Uint8Array>(1)]) {
      let r: StatusChainReport | undefined;
      try {
        r = verifyStatusChain(a, P.trust, { request: REQ });
      } catch (e) {
        expect(isCustosError(e, 'ERR_INVALID_ARGUMENT')).toBe(true);
      }
      if (r !== undefined) {
        expect(r.ok).toBe(false);
        expect(r.checks.some((c) => !c.ok && c.code !== undefined)).toBe(true);
      }
    }
  });

  // FINDINGS.md F-8 (fixed): signStatusEvent signed, with inputs its own schema accepts, an event
  // larger than STATUS_MAX_BYTES, which every reader then refused with ERR_CBOR_SIZE: the
  // request's status chain could never be extended. It now refuses such an event (ERR_CBOR_SIZE).
  it('F-8 (fixed): signStatusEvent never returns an event larger than STATUS_MAX_BYTES', () => {
    const greek: StatusInput = {
      kind: 'delay-notified',
      at: '2026-04-03T10:00:00+02:00',
      actor: 'provider',
      estimate: '2026-04-10T12:00:00+02:00',
      reasons: Array.from({ length: 20 }, () => 'καθυστέρηση '.repeat(166)),
    };
    let out: Uint8Array | undefined;
    try {
      out = signStatusEvent(chain.slice(0, 3), REQ, greek, P.provider);
    } catch (e) {
      expect(isCustosError(e)).toBe(true);
    }
    expect(out === undefined || out.length <= STATUS_MAX_BYTES).toBe(true);
  });
});
