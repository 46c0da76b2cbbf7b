/**
 * Acquisition hashes (issue 19): the digest set computed in the seal's single read, on the
 * worker and inline, from a file and from a stream of unknown size, and the cross-check of the
 * digests an imaging tool reported.
 *
 * Attacks on the cross-check (each tested below):
 * - a reported digest off by one bit → ERR_DIGEST_MISMATCH, and neither output file (nor a temp) appears;
 * - data truncated or extended after the tool hashed it (reported over the full/shorter media) → mismatch;
 * - a digest of one algorithm given under another's name (md5 value as sha-1) → refused before reading;
 * - a reported algorithm custos does not compute → it is computed (the check is never skipped);
 * - an unknown algorithm name → ERR_UNSUPPORTED before the input is read (a check that cannot run fails);
 * - the stream fails mid-way → ERR_IO, no output; sealItem on a stream: the seal promise rejects.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import * as web from '../../src/crypto/web.js';
import * as node from '../../src/crypto/node.js';
import { generateIdentity } from '../../src/envelope/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { OffThreadSha256 } from '../../src/node/hash-worker.js';
import { sealFile, verifySealFile } from '../../src/node/seal-file.js';
import { DigestSet, HASH_ALGS, hashAlg, parseHashList, sealItem, type HashAlg } from '../../src/seal/index.js';
import { codeOf } from '../support/code.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 10);
const NODE_NAME: Record<HashAlg, string> = { 'sha-256': 'sha256', 'sha-1': 'sha1', md5: 'md5', 'sha-512': 'sha512' };
const ref = (a: HashAlg, b: Uint8Array): Uint8Array => new Uint8Array(createHash(NODE_NAME[a]).update(b).digest());

const key = SigningKey.generate();
const trust = TrustStore.parse({
  version: 1,
  authorities: [{ id: 'at.lpd-wien', name: 'LPD Wien', jurisdiction: 'AT', roles: ['collector'], keys: [trustedKeyEntry('EdDSA', key.publicKey, '2026-01-01T00:00:00Z')] }],
});
const alice = generateIdentity();
const context = { caseId: '12 St 34/26', requestId: 'EIO-2026-771', purpose: 'fraud investigation', legalBasis: 'Directive 2014/41/EU' };
const opts = { recipients: [alice.recipient], signer: key, authority: 'at.lpd-wien', id: 'disk', context };

/** Splits `data` at the given cut lengths. */
function pieces(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (const c of cuts) {
    const e = Math.min(data.length, o + c);
    out.push(data.subarray(o, e));
    o = e;
  }
  out.push(data.subarray(o));
  return out;
}

async function* chunks(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p.slice();
}

describe('digest names', () => {
  it('accepts the custody names and the unhyphenated spellings; refuses others', async () => {
    expect(parseHashList('sha256,SHA1,md5,sha-512,sha256')).toEqual(['sha-256', 'sha-1', 'md5', 'sha-512']);
    expect(hashAlg('Sha-1')).toBe('sha-1');
    for (const bad of ['sha3-256', 'crc32', '', 'sha-384', '__proto__', 'constructor']) expect(await codeOf(() => hashAlg(bad))).toBe('ERR_UNSUPPORTED');
  });
});

describe('every digest equals node:crypto over random inputs and chunkings', () => {
  it('DigestSet (this backend) and both crypto backends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(3000), { maxLength: 6 }), (data, cuts) => {
        const set = new DigestSet(HASH_ALGS);
        for (const p of pieces(data, cuts)) set.update(p);
        const d = set.digests();
        for (const a of HASH_ALGS) {
          expect(d[a]).toEqual(ref(a, data));
          for (const b of [web, node]) {
            const h = b.createHash(a);
            for (const p of pieces(data, cuts)) h.update(p);
            expect(h.digest()).toEqual(ref(a, data));
          }
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('OffThreadSha256.startLanes: several hashes a lane, beside a SHA-256 lane, across slot boundaries', async () => {
    const data = crypto.randomBytes(9 * 1024 * 1024 + 77);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 * 1024 * 1024 }), { maxLength: 8 }), async (cuts) => {
        const [multi, single] = OffThreadSha256.startLanes([['sha-256', 'sha-1', 'md5', 'sha-512'], ['sha-256']]);
        for (const p of pieces(data, cuts)) {
          multi!.update(p);
          single!.update(p.subarray(0, 1000));
          await multi!.drain();
        }
        const [m, s] = await Promise.all([multi!.digests(), single!.digests()]);
        expect(m).toEqual(HASH_ALGS.map((a) => ref(a, data)));
        expect(s[0]).toEqual(ref('sha-256', new Uint8Array(pieces(data, cuts).flatMap((p) => [...p.subarray(0, 1000)]))));
      }),
      { numRuns: Math.max(1, Math.ceil(RUNS / 3)) },
    );
    expect(await codeOf(async () => OffThreadSha256.startLanes([['sha-384' as HashAlg]]))).toBe('ERR_UNSUPPORTED');
    expect(await codeOf(async () => OffThreadSha256.startLanes([[]]))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('sealFile with acquisition hashes and reported digests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-digests-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const data = crypto.randomBytes(5 * 1024 * 1024 + 4321);
  const input = join(dir, 'raw.dd');
  writeFileSync(input, data);
  const hex = (a: HashAlg, b: Uint8Array = data) => Buffer.from(ref(a, b)).toString('hex');
  const onlyInput = () => expect(readdirSync(dir).sort()).toEqual(['raw.dd']);

  it('a file and a stream of unknown size give the same seal digests and every requested hash (worker and inline)', async () => {
    for (const hashInWorker of [true, false]) {
      for (const src of [input, chunks(pieces(data, [1, 65536, 3 << 20, 7]))]) {
        const r = await sealFile(src, join(dir, 'o.age'), join(dir, 'o.seal'), { ...opts, hashInWorker, hashes: ['sha-1', 'md5', 'sha-512'] });
        for (const a of HASH_ALGS) expect(Buffer.from(r.digests[a]!).toString('hex')).toBe(hex(a));
        expect(r.manifest.sha256).toEqual(r.digests['sha-256']);
        expect(r.manifest.size).toBe(data.length);
        expect((await verifySealFile(join(dir, 'o.seal'), { trust, ageFile: join(dir, 'o.age') })).ok).toBe(true);
        rmSync(join(dir, 'o.age'));
        rmSync(join(dir, 'o.seal'));
      }
    }
    onlyInput();
  });

  it('default: SHA-256 only; a reported algorithm not asked for is computed and checked', async () => {
    const r = await sealFile(input, join(dir, 'o.age'), join(dir, 'o.seal'), { ...opts, reported: { md5: hex('md5').toUpperCase() } });
    expect(Object.keys(r.digests).sort()).toEqual(['md5', 'sha-256']);
    const d = await sealFile(input, join(dir, 'd.age'), join(dir, 'd.seal'), opts);
    expect(Object.keys(d.digests)).toEqual(['sha-256']);
    for (const f of ['o.age', 'o.seal', 'd.age', 'd.seal']) rmSync(join(dir, f));
  });

  it('a reported digest off by one bit, or over truncated/extended media: ERR_DIGEST_MISMATCH and no file appears', async () => {
    const flipped = hex('sha-1').replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const cases: [() => string | AsyncIterable<Uint8Array>, Partial<Record<HashAlg, string>>][] = [
      [() => input, { 'sha-1': flipped }],
      [() => input, { 'sha-256': hex('sha-256'), md5: hex('md5', data.subarray(1)) }],
      [() => chunks([data.subarray(0, data.length - 1)]), { md5: hex('md5') }], // truncated in the pipe
      [() => chunks([data, new Uint8Array([0])]), { 'sha-512': hex('sha-512') }], // extended
    ];
    for (const hashInWorker of [true, false]) {
      for (const [src, reported] of cases) {
        expect(await codeOf(sealFile(src(), join(dir, 'x.age'), join(dir, 'x.seal'), { ...opts, hashInWorker, reported }))).toBe('ERR_DIGEST_MISMATCH');
        onlyInput();
      }
    }
  });

  it('malformed reported digests and unknown algorithms are refused before the input is read', async () => {
    let pulled = false;
    const src = (async function* () {
      pulled = true;
      yield data;
    })();
    const bad: [Record<string, string>, string][] = [
      [{ 'sha-1': hex('md5') }, 'ERR_INVALID_ARGUMENT'], // an md5 value under sha-1
      [{ md5: 'zz'.repeat(16) }, 'ERR_INVALID_ARGUMENT'],
      [{ md5: hex('md5').slice(1) }, 'ERR_INVALID_ARGUMENT'],
      [{ crc32: '00000000' }, 'ERR_UNSUPPORTED'],
    ];
    for (const [reported, code] of bad) {
      expect(await codeOf(sealFile(src, join(dir, 'x.age'), join(dir, 'x.seal'), { ...opts, reported: reported as never }))).toBe(code);
    }
    expect(await codeOf(sealFile(src, join(dir, 'x.age'), join(dir, 'x.seal'), { ...opts, hashes: ['sha3' as HashAlg] }))).toBe('ERR_UNSUPPORTED');
    expect(pulled).toBe(false);
    onlyInput();
  });

  it('a stream that fails mid-way: ERR_IO, no output', async () => {
    const src = (async function* () {
      yield data.subarray(0, 3 << 20);
      throw new Error('pipe broke');
    })();
    expect(await codeOf(sealFile(src, join(dir, 'x.age'), join(dir, 'x.seal'), { ...opts, hashes: ['md5'] }))).toBe('ERR_IO');
    onlyInput();
    expect(existsSync(join(dir, 'x.age'))).toBe(false);
  });
});

describe('sealItem with acquisition hashes', () => {
  const data = crypto.randomBytes(200_000);
  const md5 = Buffer.from(ref('md5', data)).toString('hex');

  it('bytes: digests returned; a wrong reported digest throws before a seal exists', async () => {
    const r = await sealItem(data, { ...opts, hashes: ['sha-1', 'md5'], reported: { md5 } });
    expect(r.digests['sha-1']).toEqual(ref('sha-1', data));
    expect(r.digests.md5).toEqual(ref('md5', data));
    expect(await codeOf(sealItem(data, { ...opts, reported: { md5: md5.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } }))).toBe('ERR_DIGEST_MISMATCH');
  });

  it('stream: the seal promise carries the digests, or rejects on a mismatch', async () => {
    const stream = (d: Uint8Array) => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(d), c.close()) });
    const ok = await sealItem(stream(data), { ...opts, hashes: ['sha-512'], reported: { md5 } });
    await new Response(ok.ciphertext).arrayBuffer();
    expect((await ok.seal).digests['sha-512']).toEqual(ref('sha-512', data));
    const bad = await sealItem(stream(data.subarray(1)), { ...opts, reported: { md5 } });
    await new Response(bad.ciphertext).arrayBuffer();
    expect(await codeOf(bad.seal)).toBe('ERR_DIGEST_MISMATCH');
  });
});
