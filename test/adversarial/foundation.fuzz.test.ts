/**
 * Hostile input against the foundation decoders: strict and non-strict CBOR, CBOR sequences,
 * COSE_Sign1 (decode + verify), the trust store, the text codecs and the Merkle proof checkers.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromBase64, fromBase64NoPad, fromBase64Url, fromBech32, fromHex, fromUtf8, toBase64Url, utf8 } from '../../src/bytes.js';
import { decode, decodeSequence, encode, itemLength, Tag } from '../../src/cbor.js';
import { decodeSign1, signSign1, verifySign1 } from '../../src/cose/sign1.js';
import { CustosError } from '../../src/errors.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { HashTree } from '../../src/log/hashtree.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { byteFlipSweep, counters, fuzz, isSample, jsonTreeMutations, RUNS, truncationSweep, type Target } from './harness.js';

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

const cborSamples = [
  encode(new Map<unknown, unknown>([[1, -8], [4, new Uint8Array(32).fill(7)], ['ctx', { case: 'C-1', n: [1, 2, 3n ** 30n] }]])),
  encode(new Tag([encode(new Map([[1, -8]])), new Map(), utf8('payload'), new Uint8Array(64)], 18), { allowedTags: [18] }),
  encode({ a: [true, false, null], b: 'ü—€𝄞', c: -(2n ** 64n), d: 2n ** 64n - 1n, e: [[[[[]]]]] }),
  encode([]),
];

const strictCbor: Target = {
  name: 'cbor.decode strict',
  samples: cborSamples,
  run: (b) => decode(b, { allowedTags: [18] }),
  // The one deterministic encoding: whatever strict decode accepts must re-encode to the input.
  oracle: (b, v) => (eq(encode(v, { allowedTags: [18] }), b) ? undefined : 'accepted bytes that do not re-encode identically'),
};
const looseCbor: Target = {
  name: 'cbor.decode non-strict',
  samples: cborSamples,
  run: (b) => decode(b, { allowedTags: [18], strict: false, objects: true, maxDepth: 32 }),
};
const seqCbor: Target = {
  name: 'cbor.decodeSequence',
  samples: [cborSamples.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array())],
  run: (b) => decodeSequence(b, { allowedTags: [18], maxItems: 100 }),
};
const itemLen: Target = { name: 'cbor.itemLength', samples: cborSamples, run: (b) => itemLength(b, { allowedTags: [18] }) };

const key = SigningKey.fromSecret(new Uint8Array(32).fill(3));
const payload = encode({ manifest: 'x', sha256: new Uint8Array(32).fill(9) });
const coseSamples = [
  signSign1(payload, key),
  signSign1(payload, key, { unprotectedHeaders: new Map([[33, utf8('x')]]), externalAad: new Uint8Array(0) }),
  signSign1(payload, key, { detached: true }),
];
const signedParts = coseSamples.map((b) => decodeSign1(b).protectedBytes);
const coseStrict: Target<{ ok: boolean; prot: Uint8Array; payload: Uint8Array | null }> = {
  name: 'COSE_Sign1 decode+verify',
  samples: coseSamples,
  run: (b) => {
    const m = decodeSign1(b);
    return { ok: verifySign1(m, key, m.payload === null ? { detachedPayload: payload } : {}), prot: m.protectedBytes, payload: m.payload };
  },
  // The unprotected header is not signed (RFC 9052 §4.4), so only the signed parts must match.
  oracle: (_b, r) =>
    r.ok && (!signedParts.some((p) => eq(p, r.prot)) || (r.payload !== null && !eq(r.payload, payload)))
      ? 'a COSE_Sign1 with altered signed parts verified'
      : undefined,
};
const coseLoose: Target<boolean> = {
  name: 'COSE_Sign1 non-strict decode+verify',
  samples: coseSamples,
  run: (b) => {
    const m = decodeSign1(b, { strict: false, allowUntagged: true, understood: [33] });
    const ok = verifySign1(m, key, m.payload === null ? { detachedPayload: payload } : {});
    if (ok && m.payload !== null && !eq(m.payload, payload)) throw new Error('verified a different payload');
    return ok;
  },
};

const now = '2026-01-01T00:00:00Z';
const trustDoc = {
  version: 1,
  authorities: [
    {
      id: 'fr-pnf',
      name: 'Parquet national financier',
      jurisdiction: 'FR',
      roles: ['prosecutor'],
      keys: [trustedKeyEntry('EdDSA', key.publicKey, now, { notAfter: '2030-01-01T00:00:00Z' })],
    },
    { id: 'de-bka', name: 'BKA', jurisdiction: 'DE', roles: ['police'], keys: [trustedKeyEntry('EdDSA', SigningKey.fromSecret(new Uint8Array(32).fill(4)).publicKey, now)] },
  ],
  witnesses: [{ name: 'w1', vkey: 'w1+01020304+AAAA' }],
  witnessQuorum: 1,
};
const trust: Target = {
  name: 'TrustStore.parse',
  samples: [utf8(JSON.stringify(trustDoc)), utf8(JSON.stringify(trustDoc, null, 2))],
  text: true,
  extra: [jsonTreeMutations([trustDoc])],
  run: (b) => {
    const t = TrustStore.parse(new TextDecoder().decode(b));
    t.lookup(key.kid, now);
    return t;
  },
};

const textCodecs: Target = {
  name: 'text codecs',
  samples: [utf8('aGVsbG8gd29ybGQ='), utf8('age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'), utf8('00ff10')],
  text: true,
  run: (b) => {
    let s: string;
    try {
      s = fromUtf8(b);
    } catch (e) {
      if (e instanceof CustosError) s = 'x';
      else throw e;
    }
    for (const f of [fromBase64, fromBase64NoPad, fromBase64Url, fromHex, fromBech32]) {
      try {
        f(s);
      } catch (e) {
        if (!(e instanceof CustosError)) throw e;
      }
    }
    return s;
  },
};

const targets = [strictCbor, looseCbor, seqCbor, itemLen, coseStrict, coseLoose, trust, textCodecs] as Target[];

describe('fuzz: foundation decoders', () => {
  afterAll(() => console.log(`[adversarial] foundation: ${counters.cases} cases (${counters.rejected} rejected, ${counters.accepted} accepted)`));
  it.each(targets.map((t) => [t.name, t]))('%s survives structured mutations and arbitrary bytes', async (_n, t) => {
    await fuzz(t);
  });
  it.each(targets.map((t) => [t.name, t]))('%s: every truncation and every byte flip', async (_n, t) => {
    expect([...(await truncationSweep(t)), ...(await byteFlipSweep(t))]).toEqual([]);
  });
  it('CBOR: claimed lengths up to 2^64 − 1 are refused before any allocation', () => {
    for (const mt of [2, 3, 4, 5]) {
      for (const v of [2n ** 64n - 1n, 2n ** 53n, 2n ** 32n + 1n]) {
        const b = new Uint8Array(9);
        b[0] = (mt << 5) | 27;
        for (let i = 8, x = v; i >= 1; i--, x >>= 8n) b[i] = Number(x & 0xffn);
        expect(() => decode(b, { strict: false })).toThrow(CustosError);
      }
    }
  });
});

describe('fuzz: Merkle proof verifiers', () => {
  const tree = new HashTree();
  const leaves = Array.from({ length: 37 }, (_, i) => leafHash(utf8(`entry ${i}`)));
  for (const l of leaves) tree.appendLeafHash(l);
  const weird = fc.oneof(
    fc.integer({ min: -5, max: 80 }),
    fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 64, -0, NaN, Infinity, 0.5, 2 ** 31, 2 ** 32),
  );
  const hash = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...leaves));
  it('verifyInclusion: hostile index/size/proof/root never crash; only the genuine proof verifies', () => {
    fc.assert(
      fc.property(fc.nat({ max: 36 }), weird, weird, fc.array(hash, { maxLength: 80 }), fc.boolean(), (i, idx, size, junk, useGenuine) => {
        const genuine = tree.inclusionProof(i, 37);
        const proof = useGenuine ? genuine.map((h, k) => (k === junk.length % Math.max(1, genuine.length) ? (junk[0] ?? h) : h)) : junk;
        for (const [x, n] of [
          [i, 37],
          [idx, size],
          [idx, 37],
        ] as const) {
          let r;
          try {
            r = verifyInclusion(leaves[i]!, x, n, proof, tree.root(37));
          } catch (e) {
            expect(e).toBeInstanceOf(CustosError);
            counters.cases++;
            continue;
          }
          counters.cases++;
          // A proof binds the leaf to (index, root) under the claimed size; the root and size come
          // from one signed checkpoint, so the oracle applies when the size is the real one
          // (a proof for size 37 can also lead to root(37) under size 33: same shape, by design).
          const same = x === i && proof.length === genuine.length && proof.every((h, k) => eq(h, genuine[k]!));
          if (r.ok && n === 37) expect(same).toBe(true);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });
  it('verifyConsistency: hostile sizes and proofs never crash; mutated proofs never verify', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 36 }), weird, weird, fc.array(hash, { maxLength: 80 }), fc.nat(), (m, s1, s2, junk, k) => {
        const genuine = tree.consistencyProof(m, 37);
        const mutated = genuine.slice();
        if (mutated.length > 0 && junk[0] !== undefined) mutated[k % mutated.length] = junk[0];
        for (const [a, b, p] of [
          [m, 37, mutated],
          [s1, s2, junk],
          [m, 37, junk],
          [s1, 37, genuine],
        ] as const) {
          let r;
          try {
            r = verifyConsistency(a, b, tree.root(typeof a === 'number' && a >= 0 && a <= 37 && Number.isInteger(a) ? a : m), tree.root(37), p);
          } catch (e) {
            expect(e).toBeInstanceOf(CustosError);
            counters.cases++;
            continue;
          }
          counters.cases++;
          if (r.ok) expect(a === m || a === 37 ? p.every((h, j) => eq(h, (a === 37 ? [] : genuine)[j] ?? new Uint8Array())) : true).toBe(true);
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });
});

void toBase64Url;
