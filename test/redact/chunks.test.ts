import * as crypto from '#crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REDACT_CHUNK_SIZE as CHUNK_SIZE,
  commitChunks,
  commitChunksStream,
  decodeRangeProof,
  encodeRangeProof,
  paddedLeafCount,
  proveRanges,
  verifyRanges,
  type ChunkRangeProof as RangeProof,
} from '../../src/redact/index.js';
import { equalBytes } from '../../src/bytes.js';
import { indexOf } from './helpers.js';

/** Byte equality without vitest's slow element-wise deep equality on large arrays. */
const same = (a: Uint8Array, b: Uint8Array) => expect(equalBytes(a, b)).toBe(true);

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
const K = CHUNK_SIZE;

function file(size: number, seed = 1): Uint8Array {
  const f = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    f[i] = x >>> 24;
  }
  return f;
}

/** Random bytes in 64 KiB draws (the web backend's CSPRNG gives at most 64 KiB at once). */
function randomFile(size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let i = 0; i < size; i += K) f.set(crypto.randomBytes(Math.min(K, size - i)), i);
  return f;
}

const sizes = fc.oneof(fc.constantFrom(0, 1, K - 1, K, K + 1, 2 * K, 3 * K + 17, 5 * K), fc.integer({ min: 1, max: 6 * K }));

describe('chunk redaction', () => {
  it('disclosed ranges verify and equal the file bytes', () => {
    fc.assert(
      fc.property(
        sizes.filter((s) => s > 0),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 2 * K })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        (size, picks, bucket) => {
          const f = file(size, size);
          const ranges = picks.map(([at, len]) => {
            const start = Math.min(size - 1, Math.floor(at * size));
            return { start, end: Math.min(size, start + len) };
          });
          const c = commitChunks(f, bucket === undefined ? {} : { bucket });
          const proof = proveRanges(f, ranges, { saltKey: c.saltKey, ...(bucket === undefined ? {} : { bucket }) });
          for (const p of [proof, encodeRangeProof(proof)]) {
            const r = verifyRanges(c.root, ranges, p);
            expect(r.ok).toBe(true);
            if (r.ok) {
              expect(r.leafCount).toBe(c.leafCount);
              r.data.forEach((d, i) => same(d, f.subarray(ranges[i]!.start, ranges[i]!.end)));
            }
          }
          const back = decodeRangeProof(encodeRangeProof(proof));
          expect(back.leafCount).toBe(proof.leafCount);
          expect(back.hashes).toEqual(proof.hashes);
          back.chunks.forEach((ch, i) => {
            expect(ch.index).toBe(proof.chunks[i]!.index);
            same(ch.salt, proof.chunks[i]!.salt);
            same(ch.data, proof.chunks[i]!.data);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('salts are reproducible from the salt key, and the key changes the root', () => {
    const f = file(3 * K + 5);
    const a = commitChunks(f);
    expect(commitChunks(f, { saltKey: a.saltKey }).root).toEqual(a.root);
    expect(commitChunks(f).root).not.toEqual(a.root);
  });

  it('streaming commitment equals the in-memory one, however the stream is cut', async () => {
    for (const size of [0, 1, K, K + 1, 4 * K, 4 * K + 3]) {
      const f = file(size, 7);
      const c = commitChunks(f);
      async function* pieces(step: number) {
        for (let i = 0; i < f.length; i += step) yield f.subarray(i, i + step);
      }
      for (const step of [1000, K, 3 * K + 1]) {
        expect((await commitChunksStream(pieces(step), { saltKey: c.saltKey })).root).toEqual(c.root);
      }
      const web = new ReadableStream<Uint8Array>({
        start(ctrl) {
          ctrl.enqueue(f.slice());
          ctrl.close();
        },
      });
      expect((await commitChunksStream(web, { saltKey: c.saltKey })).root).toEqual(c.root);
    }
  });

  it('pads the leaf count to a power of two or a bucket', () => {
    expect([1, 2, 3, 5, 8, 9].map((n) => paddedLeafCount(n))).toEqual([1, 2, 4, 8, 8, 16]);
    expect([1, 4, 5, 12].map((n) => paddedLeafCount(n, 4))).toEqual([4, 4, 8, 12]);
    expect(commitChunks(file(5 * K)).leafCount).toBe(8);
    expect(commitChunks(file(0)).leafCount).toBe(1);
    expect(commitChunks(file(5 * K), { bucket: 3 }).leafCount).toBe(6);
  });

  it('withheld chunks reveal nothing but the padded count', () => {
    // two files of different lengths (5 and 8 chunks) sharing the first chunk
    const a = randomFile(5 * K);
    const b = randomFile(8 * K);
    b.set(a.subarray(0, K));
    const ca = commitChunks(a);
    const cb = commitChunks(b);
    const pa = proveRanges(a, [{ start: 10, end: 100 }], { saltKey: ca.saltKey });
    const pb = proveRanges(b, [{ start: 10, end: 100 }], { saltKey: cb.saltKey });
    expect(pa.leafCount).toBe(pb.leafCount);
    expect(pa.hashes.length).toBe(pb.hashes.length);
    expect(encodeRangeProof(pa).length).toBe(encodeRangeProof(pb).length);
    same(pa.chunks[0]!.data, pb.chunks[0]!.data);
    // no withheld byte sequence appears in the proof
    const enc = encodeRangeProof(pa);
    for (let i = 1; i < 5; i++) expect(indexOf(enc, a.subarray(i * K, i * K + 64))).toBe(-1);
  });

  describe('tampering', () => {
    const f = file(6 * K + 100, 9);
    const c = commitChunks(f);
    const ranges = [{ start: K - 5, end: K + 5 }, { start: 6 * K, end: 6 * K + 100 }];
    const proof = proveRanges(f, ranges, { saltKey: c.saltKey });
    type Chunk = { index: number; salt: Uint8Array; data: Uint8Array };
    type Mutable = { chunkSize: number; leafCount: number; chunks: Chunk[]; hashes: Uint8Array[] };
    const mutate = (g: (p: Mutable) => void): RangeProof => {
      const p: Mutable = {
        chunkSize: proof.chunkSize,
        leafCount: proof.leafCount,
        chunks: proof.chunks.map((x) => ({ index: x.index, salt: new Uint8Array(x.salt), data: new Uint8Array(x.data) })),
        hashes: proof.hashes.map((h) => new Uint8Array(h)),
      };
      g(p);
      return p;
    };
    it('the honest proof verifies', () => expect(verifyRanges(c.root, ranges, proof).ok).toBe(true));
    it.each<[string, () => RangeProof | Uint8Array, string, { start: number; end: number }[]?]>([
      ['chunk data', () => mutate((p) => void (p.chunks[0]!.data[3]! ^= 1)), 'ERR_PROOF_INVALID'],
      ['salt', () => mutate((p) => void (p.chunks[1]!.salt[0]! ^= 1)), 'ERR_PROOF_INVALID'],
      ['subtree hash', () => mutate((p) => void (p.hashes[0]![31]! ^= 1)), 'ERR_PROOF_INVALID'],
      ['leaf count (other shape)', () => mutate((p) => void (p.leafCount = 16)), 'ERR_PROOF_MALFORMED'],
      ['leaf count with a hash for the extra leaf', () => mutate((p) => void ((p.leafCount = 9), p.hashes.push(new Uint8Array(32)))), 'ERR_PROOF_INVALID'],
      ['truncated last chunk', () => mutate((p) => void (p.chunks[2]!.data = p.chunks[2]!.data.subarray(0, 50))), 'ERR_PROOF_INVALID'],
      ['chunk moved', () => mutate((p) => void (p.chunks[2]!.index = 7)), 'ERR_PROOF_INVALID'],
      ['missing hash', () => mutate((p) => void p.hashes.pop()), 'ERR_PROOF_MALFORMED'],
      ['extra hash', () => mutate((p) => void p.hashes.push(new Uint8Array(32))), 'ERR_PROOF_MALFORMED'],
      ['chunk order', () => mutate((p) => void p.chunks.reverse()), 'ERR_PROOF_MALFORMED'],
      ['index past leaf count', () => mutate((p) => void (p.chunks[2]!.index = 8)), 'ERR_PROOF_MALFORMED'],
      ['short salt', () => mutate((p) => void (p.chunks[0]!.salt = new Uint8Array(16))), 'ERR_PROOF_MALFORMED'],
      ['other chunk size', () => mutate((p) => void (p.chunkSize = 4096)), 'ERR_PROOF_MALFORMED'],
      ['garbage bytes', () => new Uint8Array([0xa1, 0x00]), 'ERR_PROOF_MALFORMED'],
      ['range in a withheld chunk', () => proof, 'ERR_PROOF_INVALID', [{ start: 3 * K, end: 3 * K + 1 }]],
      ['range past the end of the file', () => proof, 'ERR_PROOF_INVALID', [{ start: 6 * K + 90, end: 6 * K + 101 }]],
    ])('%s → %s', (_n, make, code, rs) => {
      const r = verifyRanges(c.root, rs ?? ranges, make());
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe(code);
    });
    it('another root fails', () => {
      const r = verifyRanges(crypto.sha256(new Uint8Array(1)), ranges, proof);
      expect(r.ok ? 'ok' : r.code).toBe('ERR_PROOF_INVALID');
    });
    it('every byte flip of the encoded proof is caught', () => {
      const enc = encodeRangeProof(proveRanges(f, [{ start: 5, end: 6 }], { saltKey: c.saltKey }));
      fc.assert(
        fc.property(fc.integer({ min: 0, max: enc.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
          const t = enc.slice();
          t[i]! ^= x;
          expect(verifyRanges(c.root, [{ start: 5, end: 6 }], t).ok).toBe(false);
        }),
        { numRuns: RUNS * 4 },
      );
    });
    it('misuse throws', () => {
      expect(() => proveRanges(f, [], { saltKey: c.saltKey })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(() => proveRanges(f, [{ start: 0, end: f.length + 1 }], { saltKey: c.saltKey })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(() => proveRanges(f, [{ start: 0, end: 1 }], {} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(() => verifyRanges(new Uint8Array(31), ranges, proof)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    });
  });
});

describe('range lists with holes', () => {
  it('a hole in the ranges is ERR_INVALID_ARGUMENT for the prover and the verifier (it was a TypeError)', () => {
    const f = file(4 * K);
    const c = commitChunks(f);
    const ranges = [{ start: 0, end: 10 }, { start: 20, end: 30 }];
    const proof = proveRanges(f, ranges, { saltKey: c.saltKey });
    expect(verifyRanges(c.root, ranges, proof).ok).toBe(true);
    const holed = [...ranges];
    delete holed[1];
    const codeOf = (g: () => unknown) => {
      try {
        g();
        return 'none';
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      }
    };
    expect(codeOf(() => proveRanges(f, holed, { saltKey: c.saltKey }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => verifyRanges(c.root, holed, proof))).toBe('ERR_INVALID_ARGUMENT');
  });
});
