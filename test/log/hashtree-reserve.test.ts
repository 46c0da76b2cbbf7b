/**
 * HashTree.reserve (room made in one allocation per level, used when a log is reopened) changes
 * no answer: for any sizes, reserving before, between or after appends gives the same roots,
 * inclusion and consistency proofs as a tree that grew by doubling.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashTree } from '../../src/log/hashtree.js';
import { leafHash } from '../../src/log/merkle.js';
import { isCustosError } from '../../src/errors.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
const leaf = (i: number) => leafHash(new Uint8Array([i & 255, (i >> 8) & 255, i >> 16]));

describe('HashTree.reserve', () => {
  it('same roots and proofs as without it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 1500 }), (n, room, at) => {
        const plain = new HashTree();
        const reserved = new HashTree();
        for (let i = 0; i < n; i++) {
          if (i === Math.min(at, n - 1)) reserved.reserve(room);
          plain.appendLeafHash(leaf(i));
          reserved.appendLeafHash(leaf(i));
        }
        reserved.reserve(room);
        expect(reserved.size).toBe(n);
        for (const size of [1, Math.ceil(n / 3), n]) {
          expect(reserved.root(size)).toEqual(plain.root(size));
          const i = size - 1;
          expect(reserved.inclusionProof(i, size)).toEqual(plain.inclusionProof(i, size));
          expect(reserved.consistencyProof(Math.max(1, size >> 1), n)).toEqual(plain.consistencyProof(Math.max(1, size >> 1), n));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a nonsensical room', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 41]) {
      let code = 'none';
      try {
        new HashTree().reserve(bad);
      } catch (e) {
        code = isCustosError(e) ? e.code : 'other';
      }
      expect(code).not.toBe('none');
      expect(code).not.toBe('other');
    }
  });
});
