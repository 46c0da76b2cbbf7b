import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { generateIdentity } from '../../src/envelope/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { openFile, sealFile, verifySealFile } from '../../src/node/seal-file.js';
import { rewrapFile } from '../../src/node/envelope.js';
import { codeOf } from '../support/code.js';

const key = SigningKey.generate();
const trust = TrustStore.parse({
  version: 1,
  authorities: [{ id: 'at.lpd-wien', name: 'LPD Wien', jurisdiction: 'AT', roles: ['collector'], keys: [trustedKeyEntry('EdDSA', key.publicKey, '2026-01-01T00:00:00Z')] }],
});
const alice = generateIdentity();
const bob = generateIdentity();
const context = { caseId: '12 St 34/26', requestId: 'EIO-2026-771', purpose: 'fraud investigation', legalBasis: 'Directive 2014/41/EU' };
const opts = { recipients: [alice.recipient], signer: key, authority: 'at.lpd-wien', id: 'AT-2026-417/3', context, name: 'disk.e01' };

describe('sealFile / verifySealFile / openFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-sealfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'disk.e01');
  const data = crypto.randomBytes(3 * 1024 * 1024 + 12345); // several read blocks, a partial last chunk
  writeFileSync(input, data);

  it('seals a file in one pass; the hash is the forensic hash; age -d and openFile agree', async () => {
    const r = await sealFile(input, join(dir, 'disk.age'), join(dir, 'disk.seal'), opts);
    expect(r.manifest.sha256).toEqual(crypto.sha256(data));
    expect(r.manifest.size).toBe(data.length);
    expect(Buffer.compare(readFileSync(join(dir, 'disk.seal')), r.seal)).toBe(0);
    expect((await verifySealFile(join(dir, 'disk.seal'), { trust, ageFile: join(dir, 'disk.age') })).ok).toBe(true);
    writeFileSync(join(dir, 'id.txt'), `${alice.identity}\n`);
    const viaAge = execFileSync('age', ['-d', '-i', join(dir, 'id.txt'), join(dir, 'disk.age')], { maxBuffer: 64 << 20 });
    expect(crypto.sha256(new Uint8Array(viaAge))).toEqual(r.manifest.sha256);
    const o = await openFile(join(dir, 'disk.age'), join(dir, 'disk.seal'), join(dir, 'out.e01'), { identities: [alice.identity], trust, expect: { requestId: 'EIO-2026-771' } });
    expect(o.size).toBe(data.length);
    expect(Buffer.compare(readFileSync(join(dir, 'out.e01')), data)).toBe(0);
  });

  it('hashing on the worker and inline give the same manifest digests', async () => {
    const a = await sealFile(input, join(dir, 'w.age'), join(dir, 'w.seal'), { ...opts, hashInWorker: true });
    const b = await sealFile(input, join(dir, 'i.age'), join(dir, 'i.seal'), { ...opts, hashInWorker: false });
    expect(a.manifest.sha256).toEqual(b.manifest.sha256);
    expect(a.manifest.size).toBe(b.manifest.size);
    expect(a.manifest.payloadSize).toBe(b.manifest.payloadSize);
    expect((await verifySealFile(join(dir, 'w.seal'), { trust, ageFile: join(dir, 'w.age') })).ok).toBe(true);
    expect((await verifySealFile(join(dir, 'i.seal'), { trust, ageFile: join(dir, 'i.age') })).ok).toBe(true);
    for (const f of ['w.age', 'w.seal', 'i.age', 'i.seal']) rmSync(join(dir, f));
  });

  it('onProgress reports the plaintext bytes read, increasing, ending at the size (worker and inline hashing)', async () => {
    for (const hashInWorker of [true, false]) {
      const seen: number[] = [];
      await sealFile(input, join(dir, 'p.age'), join(dir, 'p.seal'), { ...opts, hashInWorker, onProgress: (n) => seen.push(n) });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every((n, i) => i === 0 || n > seen[i - 1]!)).toBe(true);
      expect(seen.at(-1)).toBe(data.length);
    }
    // not a function: refused before anything is written
    expect(await codeOf(sealFile(input, join(dir, 'q.age'), join(dir, 'q.seal'), { ...opts, onProgress: 5 as never }))).toBe('ERR_INVALID_ARGUMENT');
    expect(existsSync(join(dir, 'q.age'))).toBe(false);
    for (const f of ['p.age', 'p.seal']) rmSync(join(dir, f));
  });

  it('a seal path that cannot be written fails before the input is read: no age file without its seal', async () => {
    // Regression: the seal was written only after the age file's commit, so a bad outSeal (its
    // directory missing) failed after the whole read and left disk.age without a seal.
    for (const hashInWorker of [true, false]) {
      let read = 0;
      expect(await codeOf(sealFile(input, join(dir, 'ns.age'), join(dir, 'missing-dir', 'ns.seal'), { ...opts, hashInWorker, onProgress: (n) => (read = n) }))).toBe('ERR_IO');
      expect(read).toBe(0);
      expect(existsSync(join(dir, 'ns.age'))).toBe(false);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('rewrapFile keeps the seal valid', async () => {
    await rewrapFile(join(dir, 'disk.age'), [alice.identity], { add: [bob.recipient] });
    expect((await verifySealFile(join(dir, 'disk.seal'), { trust, ageFile: join(dir, 'disk.age') })).ok).toBe(true);
    await openFile(join(dir, 'disk.age'), join(dir, 'disk.seal'), join(dir, 'bob.e01'), { identities: [bob.identity], trust, expect: { purpose: 'fraud investigation' } });
    expect(Buffer.compare(readFileSync(join(dir, 'bob.e01')), data)).toBe(0);
  });

  it('wrong context or a different age file: nothing is written', async () => {
    const before = readdirSync(dir).sort();
    expect(await codeOf(openFile(join(dir, 'disk.age'), join(dir, 'disk.seal'), join(dir, 'x1'), { identities: [alice.identity], trust, expect: { purpose: 'tax audit' } }))).toBe('ERR_CONTEXT_MISMATCH');
    // another age file of the same plaintext (same key, same recipients): decrypts fine, but it is not the sealed file
    await sealFile(input, join(dir, 'other.age'), join(dir, 'other.seal'), opts);
    expect(await codeOf(openFile(join(dir, 'other.age'), join(dir, 'disk.seal'), join(dir, 'x2'), { identities: [alice.identity], trust, expect: { purpose: 'fraud investigation' } }))).toBe('ERR_DIGEST_MISMATCH');
    expect(existsSync(join(dir, 'x1'))).toBe(false);
    expect(existsSync(join(dir, 'x2'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([...before, 'other.age', 'other.seal'].sort());
    const r = await verifySealFile(join(dir, 'disk.seal'), { trust, ageFile: join(dir, 'other.age') });
    expect(r.checks.find((c) => c.check === 'payload')?.code).toBe('ERR_DIGEST_MISMATCH');
  });

  it('a large file (hashed on the worker): opens; a re-encryption or other plaintext is refused, nothing written', async () => {
    const big = join(dir, 'big.bin');
    const bigData = crypto.randomBytes(17 * 1024 * 1024 + 99); // above openFile's off-thread threshold
    writeFileSync(big, bigData);
    await sealFile(big, join(dir, 'big.age'), join(dir, 'big.seal'), opts);
    const ok = await openFile(join(dir, 'big.age'), join(dir, 'big.seal'), join(dir, 'big.out'), { identities: [alice.identity], trust, expect: { purpose: 'fraud investigation' } });
    expect(ok.size).toBe(bigData.length);
    expect(crypto.sha256(readFileSync(join(dir, 'big.out')))).toEqual(crypto.sha256(bigData));
    // same plaintext, another age file: only the payload hash differs
    await sealFile(big, join(dir, 'big2.age'), join(dir, 'big2.seal'), opts);
    expect(await codeOf(openFile(join(dir, 'big2.age'), join(dir, 'big.seal'), join(dir, 'y1'), { identities: [alice.identity], trust, expect: { purpose: 'fraud investigation' } }))).toBe('ERR_DIGEST_MISMATCH');
    // another plaintext of the same size: both hashes differ
    bigData[0] = (bigData[0] ?? 0) ^ 1;
    writeFileSync(big, bigData);
    await sealFile(big, join(dir, 'big3.age'), join(dir, 'big3.seal'), opts);
    expect(await codeOf(openFile(join(dir, 'big3.age'), join(dir, 'big.seal'), join(dir, 'y2'), { identities: [alice.identity], trust, expect: { purpose: 'fraud investigation' } }))).toBe('ERR_DIGEST_MISMATCH');
    expect(existsSync(join(dir, 'y1'))).toBe(false);
    expect(existsSync(join(dir, 'y2'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('y') || n.includes('.tmp'))).toEqual([]);
  });
});
