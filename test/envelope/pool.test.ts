/**
 * The worker-pool path of encryptFile / decryptFile (files larger than one 2 MiB block) against
 * the in-thread STREAM: the same sealed bytes for the same key and nonce, and the same error code
 * for every damaged file (compared with the in-memory `decrypt`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { decrypt, generateIdentity } from '../../src/envelope/index.js';
import { encodeHeader } from '../../src/envelope/header.js';
import { recipientFromString } from '../../src/envelope/keys.js';
import { CHUNK_SIZE, ENC_CHUNK_SIZE, StreamEncryptor, chunkNonce, payloadKey } from '../../src/envelope/stream.js';
import { decryptFile, encryptFile } from '../../src/node/envelope.js';
import { pooledEncrypt } from '../../src/node/envelope-pool.js';
import { AtomicWriter } from '../../src/node/files.js';
import { codeOf, pseudoRandom, sha } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const id = generateIdentity();
const BLOCK = 32 * CHUNK_SIZE;
const W = { workers: 2 }; // the pool is opt-in; these tests exercise it

describe('STREAM worker pool (encryptFile / decryptFile on large files)', () => {
  for (const n of [BLOCK + 1, 2 * BLOCK, 2 * BLOCK + CHUNK_SIZE, 2 * BLOCK + CHUNK_SIZE - 1, 3 * BLOCK + 12345]) {
    it(`${n} bytes: the same sealed bytes as the in-thread STREAM, and round trips`, async () => {
      const data = pseudoRandom(n, n);
      const p = join(dir, `p${n}`);
      writeFileSync(p, data);
      const key = crypto.randomBytes(32);
      const header = new TextEncoder().encode('H');
      const nonce = crypto.randomBytes(16);
      const fh = await open(p, 'r');
      const w = await AtomicWriter.create(`${p}.raw`);
      await pooledEncrypt(fh, w, { header, nonce, key: key.slice() }, BLOCK, 2);
      await w.commit();
      await fh.close();
      const parts: Uint8Array[] = [header, nonce];
      const enc = new StreamEncryptor(key);
      enc.push(data, (c) => parts.push(c));
      enc.finish((c) => parts.push(c));
      expect(sha(readFileSync(`${p}.raw`))).toBe(sha(Buffer.concat(parts)));

      await encryptFile(p, `${p}.age`, id.recipient, W);
      expect(sha(await decrypt(new Uint8Array(readFileSync(`${p}.age`)), id.identity))).toBe(sha(data));
      await decryptFile(`${p}.age`, `${p}.out`, id.identity, W);
      expect(sha(readFileSync(`${p}.out`))).toBe(sha(data));
    });
  }

  it('hooks see every plaintext byte and every payload byte, in order (what a seal hashes)', async () => {
    const n = 3 * BLOCK + 777;
    const data = pseudoRandom(n, 11);
    const p = join(dir, 'hooks');
    writeFileSync(p, data);
    const plain = crypto.createSha256();
    const payload = crypto.createSha256();
    let plainLen = 0;
    const { payloadOffset } = await encryptFile(p, `${p}.age`, id.recipient, {
      onPlaintext: (b) => {
        plainLen += b.length;
        plain.update(b);
      },
      onPayload: (b) => payload.update(b),
      ...W,
    });
    const file = new Uint8Array(readFileSync(`${p}.age`));
    expect(plainLen).toBe(n);
    expect(sha(plain.digest())).toBe(sha(crypto.sha256(data)));
    expect(sha(payload.digest())).toBe(sha(crypto.sha256(file.subarray(payloadOffset))));
  });

  /** decryptFile (pool) and decrypt (in-thread) agree on the error code for `file`. */
  async function sameCode(name: string, file: Uint8Array): Promise<string> {
    const p = join(dir, `${name}.age`);
    writeFileSync(p, file);
    const viaPool = await codeOf(decryptFile(p, join(dir, `${name}.out`), id.identity, W));
    const inThread = await codeOf(decrypt(file, id.identity));
    expect(viaPool).toBe(inThread);
    return viaPool;
  }

  it('damaged payloads: the same error code as the in-thread STREAM', async () => {
    const exact = join(dir, 'exact');
    writeFileSync(exact, pseudoRandom(2 * BLOCK, 3)); // the final chunk is full
    await encryptFile(exact, `${exact}.age`, id.recipient, W);
    const good = new Uint8Array(readFileSync(`${exact}.age`));
    const payloadStart = good.length - (2 * BLOCK + 64 * 16) - 16;
    const chunk = (i: number) => payloadStart + 16 + i * ENC_CHUNK_SIZE;
    const flip = (at: number) => {
      const b = good.slice();
      b[at]! ^= 1;
      return b;
    };
    expect(await sameCode('ok', good)).toBe('no error');
    expect(await sameCode('flip-40', flip(chunk(40) + 100))).toBe('ERR_CHUNK_AUTH');
    expect(await sameCode('flip-tag-last', flip(good.length - 1))).toBe('ERR_CHUNK_AUTH');
    expect(await sameCode('flip-nonce', flip(payloadStart + 3))).toBe('ERR_CHUNK_AUTH');
    expect(await sameCode('cut-last-chunk', good.subarray(0, chunk(63)))).toBe('ERR_TRUNCATED');
    expect(await sameCode('cut-in-tag', good.subarray(0, chunk(63) + 10))).toMatch(/^ERR_(TRUNCATED|CHUNK_AUTH)$/);
    expect(await sameCode('cut-mid-block', good.subarray(0, chunk(40)))).toBe('ERR_TRUNCATED');
    const extra = new Uint8Array(good.length + ENC_CHUNK_SIZE);
    extra.set(good);
    expect(await sameCode('trailing-chunk', extra)).toBe('ERR_TRAILING_DATA');
    expect(await sameCode('trailing-byte', new Uint8Array([...good.subarray(0, chunk(64)), 0]))).toBe('ERR_TRAILING_DATA');
    const swapped = good.slice();
    swapped.set(good.subarray(chunk(3), chunk(4)), chunk(5));
    swapped.set(good.subarray(chunk(5), chunk(6)), chunk(3));
    expect(await sameCode('reordered', swapped)).toBe('ERR_CHUNK_AUTH');
  });

  it('a final chunk flagged early, and an empty final chunk after data, are refused like in-thread', async () => {
    const fileKey = crypto.randomBytes(16);
    const header = encodeHeader(await recipientFromString(id.recipient).wrapFileKey(fileKey), fileKey).bytes;
    const nonce = crypto.randomBytes(16);
    const key = payloadKey(fileKey, nonce);
    const pt = pseudoRandom(CHUNK_SIZE, 9);
    const seal = (i: number, last: boolean, p: Uint8Array = pt) => crypto.chacha20poly1305Seal(key, chunkNonce(new Uint8Array(12), i, last), p);
    const build = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat([header, nonce, ...chunks]));
    const n = 40; // more than one block of sealed chunks
    const full = Array.from({ length: n }, (_, i) => seal(i, false));
    expect(await sameCode('empty-final', build([...full, seal(n, true, new Uint8Array(0))]))).toBe('ERR_PAYLOAD');
    expect(await sameCode('early-final', build([...full.slice(0, 10), seal(10, true), ...full.slice(11)]))).toBe('ERR_TRAILING_DATA');
    expect(await sameCode('no-final', build(full))).toBe('ERR_TRUNCATED');
    expect(await sameCode('proper', build([...full, seal(n, true, pt.subarray(0, 5))]))).toBe('no error');
  });
});
