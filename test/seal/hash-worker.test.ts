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

describe('OffThreadSha256.startMany (lanes on one worker)', () => {
  it('interleaved lanes each equal their one-shot SHA-256, with backpressure', async () => {
    const a = crypto.randomBytes(11 * 1024 * 1024 + 7);
    const b = crypto.randomBytes(5 * 1024 * 1024 + 1);
    const [ha, hb] = OffThreadSha256.startMany(2);
    const step = 700 * 1024;
    for (let o = 0; o < Math.max(a.length, b.length); o += step) {
      ha!.update(a.subarray(o, o + step));
      hb!.update(b.subarray(o, o + step));
    }
    const [da, db] = await Promise.all([ha!.digest(), hb!.digest()]);
    expect(da).toEqual(crypto.sha256(a));
    expect(db).toEqual(crypto.sha256(b));
  });

  it('aborting one lane leaves the other working; bad lane counts are refused', async () => {
    const data = crypto.randomBytes(10 * 1024 * 1024);
    const [x, y] = OffThreadSha256.startMany(2);
    x!.update(data.subarray(0, 100));
    await x!.abort();
    y!.update(data);
    expect(await y!.digest()).toEqual(crypto.sha256(data));
    await y!.abort(); // a no-op after the digest
    expect(() => OffThreadSha256.startMany(0)).toThrow();
    expect(() => OffThreadSha256.startMany(5)).toThrow();
  });
});
