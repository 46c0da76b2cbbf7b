import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_SIZE, decrypt, generateIdentity, readHeader } from '../../src/envelope/index.js';
import { decryptFile, decryptFileRange, encryptFile, rewrapFile } from '../../src/node/envelope.js';
import { open } from 'node:fs/promises';
import { AtomicWriter, WRITE_BACK_EVERY, writeFileAtomic } from '../../src/node/files.js';
import { codeOf, pseudoRandom, sha } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const a = generateIdentity();
const b = generateIdentity({ pq: true });

describe('Node file helpers', () => {
  for (const n of [0, 1, CHUNK_SIZE, 16 * CHUNK_SIZE, 16 * CHUNK_SIZE + 1, 40 * CHUNK_SIZE + 3]) {
    it(`encryptFile / decryptFile round trip, ${n} bytes`, async () => {
      const data = pseudoRandom(n, n + 7);
      const p = join(dir, `p${n}`);
      writeFileSync(p, data);
      const { payloadOffset, size } = await encryptFile(p, `${p}.age`, [a.recipient]);
      const file = new Uint8Array(readFileSync(`${p}.age`));
      expect(file.length).toBe(size);
      expect((await readHeader(file)).payloadOffset).toBe(payloadOffset);
      expect(sha(await decrypt(file, a.identity))).toBe(sha(data));
      await decryptFile(`${p}.age`, `${p}.out`, a.identity);
      expect(sha(readFileSync(`${p}.out`))).toBe(sha(data));
    });
  }

  it('a failing decrypt leaves nothing under the output name and no temp file', async () => {
    const data = pseudoRandom(20 * CHUNK_SIZE, 1);
    const p = join(dir, 'tamper');
    writeFileSync(p, data);
    await encryptFile(p, `${p}.age`, [a.recipient]);
    const file = readFileSync(`${p}.age`);
    file[file.length - 100]! ^= 1;
    writeFileSync(`${p}.bad.age`, file);
    expect(await codeOf(decryptFile(`${p}.bad.age`, `${p}.out`, a.identity))).toBe('ERR_CHUNK_AUTH');
    expect(existsSync(`${p}.out`)).toBe(false);
    const { payloadOffset } = await readHeader(new Uint8Array(file));
    // Cut at a chunk boundary: the last chunk present is a valid non-final chunk.
    writeFileSync(`${p}.cut.age`, file.subarray(0, payloadOffset + 16 + 5 * (CHUNK_SIZE + 16)));
    expect(await codeOf(decryptFile(`${p}.cut.age`, `${p}.out`, a.identity))).toBe('ERR_TRUNCATED');
    // Cut inside a chunk: the remainder cannot authenticate as a final chunk.
    writeFileSync(`${p}.cut.age`, file.subarray(0, payloadOffset + 16 + 5 * (CHUNK_SIZE + 16) + 200));
    expect(await codeOf(decryptFile(`${p}.cut.age`, `${p}.out`, a.identity))).toBe('ERR_CHUNK_AUTH');
    expect(await codeOf(decryptFile(`${p}.age`, `${p}.out`, b.identity))).toBe('ERR_NO_IDENTITY');
    expect(existsSync(`${p}.out`)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rewrapFile rewrites the header in place; payload bytes unchanged', async () => {
    const data = pseudoRandom(3 * CHUNK_SIZE + 9, 2);
    const p = join(dir, 'rw');
    writeFileSync(p, data);
    await encryptFile(p, `${p}.age`, [a.recipient]);
    const before = new Uint8Array(readFileSync(`${p}.age`));
    await rewrapFile(`${p}.age`, a.identity, { add: [b.recipient], allowMixedPostQuantum: true });
    const after = new Uint8Array(readFileSync(`${p}.age`));
    expect(sha((await readHeader(after)).payload)).toBe(sha((await readHeader(before)).payload));
    expect(sha(await decrypt(after, b.identity))).toBe(sha(data));
    await rewrapFile(`${p}.age`, b.identity, { remove: [a.identity] }, { output: `${p}.2.age` });
    expect(await codeOf(decrypt(new Uint8Array(readFileSync(`${p}.2.age`)), a.identity))).toBe('ERR_NO_IDENTITY');
    expect(sha(await decryptFileRange(`${p}.2.age`, CHUNK_SIZE - 3, 10, b.identity))).toBe(sha(data.subarray(CHUNK_SIZE - 3, CHUNK_SIZE + 7)));
  });

  it('decrypts armored files', async () => {
    const { armor, encrypt } = await import('../../src/envelope/index.js');
    const data = pseudoRandom(100_000, 3);
    writeFileSync(join(dir, 'arm.age'), armor(await encrypt(data, [a.recipient])));
    await decryptFile(join(dir, 'arm.age'), join(dir, 'arm.out'), a.identity);
    expect(sha(readFileSync(join(dir, 'arm.out')))).toBe(sha(data));
  });

  it('AtomicWriter: abort removes the temp file; writeFileAtomic replaces atomically', async () => {
    const target = join(dir, 'atomic.txt');
    await writeFileAtomic(target, new TextEncoder().encode('one'));
    const w = await AtomicWriter.create(target);
    await w.write([new TextEncoder().encode('two')]);
    expect(readFileSync(target, 'utf8')).toBe('one');
    await w.abort();
    expect(readFileSync(target, 'utf8')).toBe('one');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await writeFileAtomic(target, new TextEncoder().encode('three'));
    expect(readFileSync(target, 'utf8')).toBe('three');
  });

  it('AtomicWriter: background write-back past WRITE_BACK_EVERY keeps every byte in order', async () => {
    const target = join(dir, 'big.bin');
    const piece = pseudoRandom(3 << 20, 5);
    const w = await AtomicWriter.create(target);
    const rounds = Math.ceil((2.5 * WRITE_BACK_EVERY) / piece.length);
    for (let i = 0; i < rounds; i++) await w.write([piece.subarray(0, 1000), piece.subarray(1000)]);
    await w.commit();
    const back = readFileSync(target);
    expect(back.length).toBe(rounds * piece.length);
    for (let i = 0; i < rounds; i++) expect(sha(back.subarray(i * piece.length, (i + 1) * piece.length))).toBe(sha(piece));
    rmSync(target);
  });

  it('AtomicWriter: a failed background datasync fails the write or the commit (ERR_IO), nothing under the final name', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = proto.datasync;
    proto.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    try {
      const target = join(dir, 'failing.bin');
      const w = await AtomicWriter.create(target);
      const piece = new Uint8Array(4 << 20);
      const run = async () => {
        for (let n = 0; n < 2 * WRITE_BACK_EVERY; n += piece.length) await w.write([piece]);
        await w.commit();
      };
      expect(await codeOf(run())).toBe('ERR_IO');
      await w.abort();
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.startsWith('.failing.bin'))).toEqual([]);
    } finally {
      proto.datasync = original;
    }
  });
});
