/**
 * Synchronous and asynchronous signers through every function that signs.
 *
 * Ed25519 is deterministic, so the same key behind a SyncSigner and behind an AsyncSigner must
 * give byte-identical results: each test compares the two. The type tests (expectTypeOf, checked
 * by `tsc --noEmit`) pin that a SigningKey keeps every result synchronous.
 *
 * Attacks on the signature check in signWith, each tested below:
 * - a token/KMS configured with another key (valid signature, wrong key) → ERR_SIGNER
 * - a signer returning too few / too many bytes, or not bytes at all → ERR_SIGNER
 * - a signer that throws or rejects with a foreign error → ERR_SIGNER with the cause kept
 * - a signer that reuses its output buffer after returning → the result does not change
 */
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  appendEvent,
  cosign,
  createChain,
  decodeSign1,
  formatCheckpoint,
  issueInclusionReceipt,
  noteSigner,
  NOTE_TYPE_COSIGNATURE,
  signNote,
  signSeal,
  signSign1,
  SigningKey,
  verifyNote,
  verifySign1,
  noteVerifier,
  type AppendResult,
  type AsyncSigner,
  type Signer,
  type SyncSigner,
} from '../../src/index.js';
import { isCustosError } from '../../src/errors.js';
import { commitRecord, presentRecord, type CommittedRecord } from '../../src/redact/index.js';
import { signManifest, type BundleManifest } from '../../src/bundle/manifest.js';

const runs = Number(process.env['CUSTOS_FC_RUNS'] ?? 25);
const key = SigningKey.fromSecret(new Uint8Array(32).fill(7));
const other = SigningKey.fromSecret(new Uint8Array(32).fill(8));

/** The same key answering later, as a KMS would. */
function later(k: SyncSigner, tamper?: (sig: Uint8Array) => unknown): AsyncSigner {
  return {
    alg: k.alg,
    kid: k.kid,
    publicKey: k.publicKey,
    sign: (m) => new Promise((resolve) => setTimeout(() => resolve((tamper ? tamper(k.sign(m)) : k.sign(m)) as Uint8Array), 1)),
  };
}

async function code(p: () => unknown): Promise<string | undefined> {
  try {
    await p();
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
  return undefined;
}

const payloadArb = fc.uint8Array({ maxLength: 300 });

describe('signSign1 with sync and async signers', () => {
  it('gives the same bytes for a SigningKey now and for the same key behind a Promise', async () => {
    await fc.assert(
      fc.asyncProperty(payloadArb, async (p) => {
        const now = signSign1(p, key);
        expect(now).toBeInstanceOf(Uint8Array);
        const pending = signSign1(p, later(key));
        expect(pending).toBeInstanceOf(Promise);
        expect(await pending).toEqual(now);
        expect(verifySign1(decodeSign1(await pending), key)).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  it('refuses a signature from another key than the one the signer announces', async () => {
    const lying: AsyncSigner = { alg: 'EdDSA', kid: key.kid, publicKey: key.publicKey, sign: async (m) => other.sign(m) };
    expect(await code(() => signSign1(new Uint8Array([1]), lying))).toBe('ERR_SIGNER');
    const lyingSync: SyncSigner = { alg: 'EdDSA', kid: key.kid, publicKey: key.publicKey, sign: (m) => other.sign(m) };
    expect(await code(() => signSign1(new Uint8Array([1]), lyingSync))).toBe('ERR_SIGNER');
  });

  it('refuses short, long and non-byte signatures', async () => {
    for (const t of [(s: Uint8Array) => s.subarray(0, 63), (s: Uint8Array) => new Uint8Array([...s, 0]), () => 'sig', () => undefined]) {
      expect(await code(() => signSign1(new Uint8Array([1]), later(key, t)))).toBe('ERR_SIGNER');
    }
  });

  it('wraps a foreign error of a signer as ERR_SIGNER and keeps a CustosError as it is', async () => {
    const boom = new Error('kms down');
    const rejecting: AsyncSigner = { ...later(key), sign: () => Promise.reject(boom) };
    const throwing: Signer = { ...later(key), sign: () => { throw boom; } };
    for (const s of [rejecting, throwing]) {
      try {
        await signSign1(new Uint8Array([1]), s);
        expect.unreachable();
      } catch (e) {
        expect(isCustosError(e, 'ERR_SIGNER')).toBe(true);
        expect((e as Error).cause).toBe(boom);
      }
    }
  });

  it('copies the signature: a signer reusing its buffer afterwards does not change the message', async () => {
    let buf: Uint8Array = new Uint8Array(64);
    const reusing: AsyncSigner = {
      ...later(key),
      sign: async (m) => {
        buf = key.sign(m);
        setTimeout(() => buf.fill(0), 0);
        return buf;
      },
    };
    const msg = await signSign1(new Uint8Array([5]), reusing);
    await new Promise((r) => setTimeout(r, 5));
    expect(verifySign1(decodeSign1(msg), key)).toBe(true);
  });
});

describe('every signing function, sync and async', () => {
  const T = Date.parse('2026-11-01T08:00:00Z');
  const input = { type: 'collected' as const, time: T, actor: { authority: 'at.lpd-wien', role: 'collector' }, digests: { 'sha-256': new Uint8Array(32).fill(1) } };

  it('appendEvent', async () => {
    const chain = createChain('exhibit-1');
    const a = appendEvent(chain, input, key);
    const b = await appendEvent(chain, input, later(key));
    expect(b.event).toEqual(a.event);
    expect(b.hash).toEqual(a.hash);
    // the async result chains on like the sync one
    const next = await appendEvent(b.chain, { ...input, type: 'accessed', time: T + 1 }, later(key));
    expect(next.chain.events.length).toBe(2);
  });

  it('signSeal, signManifest, receipts', async () => {
    const manifest = {
      version: 1 as const, id: 'x', mediaType: 'application/octet-stream', created: T, authority: 'a',
      context: { caseId: 'c', requestId: 'r', purpose: 'p', legalBasis: 'l' },
      size: 0, sha256: new Uint8Array(32), payloadSize: 0, payloadSha256: new Uint8Array(32),
    };
    expect(await signSeal(manifest, later(key))).toEqual(signSeal(manifest, key));
    const bm = { v: 2, type: 'custos-bundle', created: '2026-11-01T08:00:00Z', issuer: 'a', files: [], items: [] } as unknown as BundleManifest;
    expect(await signManifest(bm, later(key))).toEqual(signManifest(bm, key));
    const r = { index: 0, size: 2, proof: [new Uint8Array(32).fill(4)], root: new Uint8Array(32).fill(3) };
    expect(await issueInclusionReceipt(r, later(key))).toEqual(issueInclusionReceipt(r, key));
  });

  it('commitRecord and presentRecord', async () => {
    const rec = { subscriber: { name: 'A. Person' } };
    const opts = { redactable: ['subscriber.name'], issuedAt: T, bucket: 1 };
    const a = commitRecord(rec, { ...opts, signer: key });
    const b = await commitRecord(rec, { ...opts, signer: later(key) });
    // salts are random, so only the shape and the verifying signature can be compared
    expect(b.disclosures.length).toBe(a.disclosures.length);
    expect(verifySign1(decodeSign1(b.bytes), key)).toBe(true);
    const binding = { audience: 'x', requestId: 'r', purpose: 'p', nonce: 'n', issuedAt: T };
    const p1 = presentRecord(b, b.disclosures, { ...binding, signer: key });
    const p2 = await presentRecord(b, b.disclosures, { ...binding, signer: later(key) });
    expect(p2).toEqual(p1);
  });

  it('signNote and cosign, in sequence, with sync and async note keys mixed', async () => {
    const body = formatCheckpoint({ origin: 'log.example/x', size: 1, root: new Uint8Array(32).fill(2) });
    const logKey = noteSigner('log.example/x', key);
    const asyncLogKey = noteSigner('log.example/x', later(key));
    const note = signNote(body, [logKey]);
    expect(typeof note).toBe('string');
    expect(await signNote(body, [asyncLogKey])).toBe(note);
    const w = noteSigner('witness.example/w', other, NOTE_TYPE_COSIGNATURE);
    const wa = noteSigner('witness.example/w', later(other), NOTE_TYPE_COSIGNATURE);
    expect(await cosign(note, wa, { time: 1000 })).toBe(cosign(note, w, { time: 1000 }));
    const both = await signNote(body, [noteSigner('a.example/1', key), noteSigner('b.example/2', later(other))]);
    const r = verifyNote(both, [noteVerifier('a.example/1', key.publicKey), noteVerifier('b.example/2', other.publicKey)]);
    expect(r.ok).toBe(true);
    const lying = noteSigner('log.example/x', { ...later(key), sign: async (m: Uint8Array) => other.sign(m) });
    expect(await code(() => signNote(body, [lying]))).toBe('ERR_SIGNER');
  });
});

describe('types: a SyncSigner keeps results synchronous, an AsyncSigner makes them Promises', () => {
  it('holds at compile time (tsc --noEmit) and at run time', () => {
    const p = new Uint8Array([1]);
    expectTypeOf(signSign1(p, key)).toEqualTypeOf<Uint8Array>();
    expectTypeOf(signSign1(p, later(key))).toEqualTypeOf<Promise<Uint8Array>>();
    const anySigner: Signer = key;
    expectTypeOf(signSign1(p, anySigner)).toEqualTypeOf<Uint8Array | Promise<Uint8Array>>();
    const chain = createChain('c');
    const input = { type: 'collected' as const, time: 0, actor: { authority: 'a', role: 'collector' } };
    expectTypeOf(appendEvent<SigningKey>).returns.toEqualTypeOf<AppendResult>();
    expectTypeOf(appendEvent<AsyncSigner>).returns.toEqualTypeOf<Promise<AppendResult>>();
    expectTypeOf(commitRecord<SigningKey>).returns.toEqualTypeOf<CommittedRecord>();
    expectTypeOf(presentRecord<SigningKey>).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf(signSeal<SigningKey>).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf(signManifest<AsyncSigner>).returns.toEqualTypeOf<Promise<Uint8Array>>();
    expectTypeOf(issueInclusionReceipt<SigningKey>).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf(signNote(formatCheckpoint({ origin: 'o', size: 0, root: new Uint8Array(32) }), [noteSigner('o', key)])).toEqualTypeOf<string>();
    expectTypeOf(cosign<ReturnType<typeof noteSigner<AsyncSigner>>>).returns.toEqualTypeOf<Promise<string>>();
    // @ts-expect-error a synchronous caller cannot use an async signer's result as bytes
    const bytes: Uint8Array = signSign1(p, later(key));
    void bytes;
    const r = appendEvent(chain, input, key);
    expect(r.chain.events.length).toBe(1); // no await: it is a plain value
  });
});
