import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { OffThreadSha256 } from '../../src/node/hash-worker.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 5);

describe('OffThreadSha256', () => {
  it('equals the one-shot SHA-256 for any split, across slot boundaries and with backpressure', async () => {
    const data = crypto.randomBytes(9 * 1024 * 1024 + 333); // more than all slots together
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 * 1024 * 1024 }), { maxLength: 12 }), async (cuts) => {
        const h = OffThreadSha256.start();
        let o = 0;
        for (const c of cuts) {
          h.update(data.subarray(o, Math.min(data.length, o + c)));
          o = Math.min(data.length, o + c);
        }
        h.update(data.subarray(o));
        expect(await h.digest()).toEqual(crypto.sha256(data));
      }),
      { numRuns: RUNS },
    );
  });

  it('empty input, and misuse after finishing', async () => {
    const h = OffThreadSha256.start();
    expect(await h.digest()).toEqual(crypto.sha256(new Uint8Array(0)));
    expect(() => h.update(new Uint8Array(1))).toThrow();
    await OffThreadSha256.start().abort();
  });
});
