/**
 * fast-check properties: round trip around chunk boundaries, every single-byte change is
 * detected, rewrap keeps the payload and moves access exactly as asked.
 * CUSTOS_FC_RUNS raises the run counts for long runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, decrypt, encrypt, generateIdentity, parseHeader, readHeader, rewrap } from '../../src/envelope/index.js';
import { codeOf, collect, pseudoRandom, sha, streamOf } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
const a = generateIdentity();
const b = generateIdentity();
const c = generateIdentity();

const sizeArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: -3, max: 3 }).chain((d) => fc.constantFrom(...[1, 2, 3].map((k) => Math.max(0, k * CHUNK_SIZE + d)))),
  fc.integer({ min: 0, max: 3 * CHUNK_SIZE + 100 }),
);

describe('properties', () => {
  it('decrypt(encrypt(x)) = x for sizes around chunk boundaries, any piece size', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.integer({ min: 1, max: 100_000 }), fc.integer(), async (n, piece, seed) => {
        const data = pseudoRandom(n, seed);
        const enc = await encrypt(data, [a.recipient]);
        expect(sha(await decrypt(enc, a.identity))).toBe(sha(data));
        const viaStreams = await collect(await decrypt(await encrypt(streamOf(data, piece), [a.recipient]), a.identity));
        expect(sha(viaStreams)).toBe(sha(data));
      }),
      { numRuns: RUNS },
    );
  });

  it('any single-byte change in header or payload is rejected (bytes and stream)', async () => {
    const data = pseudoRandom(2 * CHUNK_SIZE + 33, 42);
    const enc = await encrypt(data, [a.recipient, b.recipient]);
    const { payloadOffset } = parseHeader(enc);
    const posArb = fc.oneof(fc.integer({ min: 0, max: payloadOffset - 1 }), fc.integer({ min: payloadOffset, max: enc.length - 1 }));
    await fc.assert(
      fc.asyncProperty(posArb, fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const bad = enc.slice();
        bad[pos] = (bad[pos]! + delta) & 0xff;
        expect(await codeOf(decrypt(bad, a.identity))).not.toBe('no error');
        let failed = false;
        try {
          await collect(await decrypt(streamOf(bad, 5000), a.identity));
        } catch {
          failed = true;
        }
        expect(failed).toBe(true);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('truncation or extension anywhere is rejected', async () => {
    const enc = await encrypt(pseudoRandom(CHUNK_SIZE + 10, 3), [a.recipient]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: enc.length }), fc.uint8Array({ minLength: 1, maxLength: 70_000 }), async (cut, extra) => {
        expect(await codeOf(decrypt(enc.subarray(0, enc.length - cut), a.identity))).not.toBe('no error');
        expect(await codeOf(decrypt(new Uint8Array([...enc, ...extra]), a.identity))).not.toBe('no error');
      }),
      { numRuns: RUNS },
    );
  });

  it('rewrap keeps the payload identical; added can decrypt, removed cannot', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 * CHUNK_SIZE + 5 }), fc.boolean(), async (n, pq) => {
        const added = pq ? generateIdentity({ pq: true }) : c;
        const data = pseudoRandom(n, n);
        const enc = await encrypt(data, [a.recipient, b.recipient]);
        const out = await rewrap(enc, [a.identity], { add: [added.recipient], remove: [b.identity], allowMixedPostQuantum: pq });
        expect(sha((await readHeader(out)).payload)).toBe(sha((await readHeader(enc)).payload));
        expect(sha(await decrypt(out, added.identity))).toBe(sha(data));
        expect(sha(await decrypt(out, a.identity))).toBe(sha(data));
        expect(await codeOf(decrypt(out, b.identity))).toBe('ERR_NO_IDENTITY');
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 2)) },
    );
  });
});
