/**
 * ASCII armor beyond encrypt/decrypt: the streaming armor encoder, rewrap keeping the input's
 * form (armored in, armored out; payload bytes untouched inside the armor), and decryptRange /
 * decryptFileRange on armored files (read in order, every chunk authenticated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { armor, decrypt, decryptRange, dearmor, encrypt, generateIdentity, readHeader, rewrap } from '../../src/envelope/index.js';
import { ArmorEncoder } from '../../src/envelope/armor.js';
import { CHUNK_SIZE } from '../../src/envelope/stream.js';
import { decryptFileRange } from '../../src/node/index.js';
import { codeOf, collect, pseudoRandom, sha, streamOf } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);
const te = new TextEncoder();
const x = await generateIdentity();
const other = await generateIdentity();
const dir = mkdtempSync(join(tmpdir(), 'custos-armored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function armorStreamed(data: Uint8Array, cuts: readonly number[]): Uint8Array {
  const enc = new ArmorEncoder();
  const parts: Uint8Array[] = [];
  const emit = (b: Uint8Array) => parts.push(b);
  let off = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    enc.push(data.subarray(off, Math.max(off, c)), emit);
    off = Math.max(off, c);
  }
  enc.push(data.subarray(off), emit);
  enc.finish(emit);
  return new Uint8Array(Buffer.concat(parts));
}

describe('ArmorEncoder', () => {
  it('produces exactly armor() of the whole input, however the input is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150_000 }), fc.array(fc.nat(), { maxLength: 6 }), (n, cuts) => {
        const data = pseudoRandom(n, n + 1);
        const got = armorStreamed(
          data,
          cuts.map((c) => (n === 0 ? 0 : c % (n + 1))),
        );
        expect(Buffer.from(got).toString('latin1')).toBe(armor(data));
        expect(sha(dearmor(got))).toBe(sha(data));
      }),
      { numRuns: RUNS },
    );
  });

  it('armors the empty input as begin and end lines only', () => {
    expect(Buffer.from(armorStreamed(new Uint8Array(0), [])).toString('latin1')).toBe(armor(new Uint8Array(0)));
  });
});

describe('rewrap keeps the form of its input', () => {
  const data = pseudoRandom(3 * CHUNK_SIZE + 17, 7);

  it('armored bytes in, armored bytes out, payload untouched, new recipient opens, removed one cannot', async () => {
    const bin = await encrypt(data, [x.recipient]);
    const armored = te.encode(armor(bin));
    const out = await rewrap(armored, [x.identity], { add: [other.recipient], remove: [x.identity] });
    const text = Buffer.from(out).toString('latin1');
    expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(text.endsWith('-----END AGE ENCRYPTED FILE-----\n')).toBe(true);
    // canonical armor: re-armoring the binary gives the same text
    expect(armor(dearmor(out))).toBe(text);
    expect(sha((await readHeader(dearmor(out))).payload)).toBe(sha((await readHeader(bin)).payload));
    expect(sha(await decrypt(out, [other.identity]))).toBe(sha(data));
    expect(await codeOf(decrypt(out, [x.identity]))).toBe('ERR_NO_IDENTITY');
  });

  it('binary in, binary out (unchanged behaviour)', async () => {
    const bin = await encrypt(data, [x.recipient]);
    const out = await rewrap(bin, [x.identity], { add: [other.recipient] });
    expect(Buffer.from(out.subarray(0, 21)).toString('latin1')).toBe('age-encryption.org/v1');
  });

  it('an armored stream, in pieces of any size, gives an armored stream with the same payload', async () => {
    const bin = await encrypt(data, [x.recipient]);
    const armored = te.encode(armor(bin));
    for (const piece of [1, 97, 4096, armored.length]) {
      const out = await collect(await rewrap(streamOf(armored, piece), [x.identity], { add: [other.recipient] }));
      const text = Buffer.from(out).toString('latin1');
      expect(armor(dearmor(out))).toBe(text);
      expect(sha((await readHeader(dearmor(out))).payload)).toBe(sha((await readHeader(bin)).payload));
      expect(sha(await decrypt(out, [other.identity]))).toBe(sha(data));
    }
  });

  it('a damaged armored stream errors for the consumer, never a clean end', async () => {
    const bin = await encrypt(data, [x.recipient]);
    const text = armor(bin);
    const cut = te.encode(text.slice(0, text.length - 40)); // no end line
    const out = await rewrap(streamOf(cut, 1000), [x.identity], { add: [other.recipient] });
    expect(await codeOf(collect(out))).toBe('ERR_ARMOR');
  });
});

describe('decryptRange on armored files', () => {
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5];

  it('equals the same range of the plaintext (and of the binary path) for ranges around chunk boundaries', async () => {
    for (const n of sizes) {
      const data = pseudoRandom(n, n + 3);
      const bin = await encrypt(data, [x.recipient]);
      const armored = te.encode(armor(bin));
      await fc.assert(
        fc.asyncProperty(fc.nat(n), fc.nat(2 * CHUNK_SIZE), async (o, len) => {
          const l = Math.min(len, n - o);
          const got = await decryptRange(armored, o, l, [x.identity]);
          expect(sha(got)).toBe(sha(data.subarray(o, o + l)));
          expect(sha(got)).toBe(sha(await decryptRange(bin, o, l, [x.identity])));
        }),
        { numRuns: Math.max(3, Math.floor(RUNS / 3)) },
      );
    }
  });

  it('accepts leading whitespace and CRLF line ends, as decrypt does', async () => {
    const data = pseudoRandom(CHUNK_SIZE + 10, 9);
    const text = `\r\n  ${armor(await encrypt(data, [x.recipient])).replaceAll('\n', '\r\n')}`;
    expect(sha(await decryptRange(te.encode(text), CHUNK_SIZE - 5, 12, [x.identity]))).toBe(sha(data.subarray(CHUNK_SIZE - 5, CHUNK_SIZE + 7)));
  });

  it('rejects with the same codes as decrypt: truncation, a flipped payload byte, damaged armor, a range past the end', async () => {
    const data = pseudoRandom(2 * CHUNK_SIZE + 100, 11);
    const bin = await encrypt(data, [x.recipient]);
    // drop the final chunk: the armor stays well-formed, the payload is truncated
    const cutBin = bin.subarray(0, bin.length - 116);
    expect(await codeOf(decryptRange(te.encode(armor(cutBin)), 0, 10, [x.identity]))).toBe('ERR_TRUNCATED');
    const flipped = bin.slice();
    flipped[flipped.length - 50]! ^= 1;
    expect(await codeOf(decryptRange(te.encode(armor(flipped)), 0, 10, [x.identity]))).toBe('ERR_CHUNK_AUTH');
    const text = armor(bin);
    expect(await codeOf(decryptRange(te.encode(text.replace('-----END', '-----XND')), 0, 10, [x.identity]))).toBe('ERR_ARMOR');
    expect(await codeOf(decryptRange(te.encode(text), data.length - 5, 6, [x.identity]))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(decryptRange(te.encode(text), 0, 10, [x.identity], { armor: false }))).toBe('ERR_AGE_VERSION');
    expect(await codeOf(decryptRange(bin, 0, 10, [x.identity], { armor: true }))).toBe('ERR_ARMOR');
  });

  it('decryptFileRange reads an armored file written by the age CLI (age -a)', async () => {
    const have = spawnSync('sh', ['-c', 'command -v age']).status === 0;
    const data = pseudoRandom(2 * CHUNK_SIZE + 333, 13);
    const plain = join(dir, 'plain.bin');
    const out = join(dir, 'armored.age');
    writeFileSync(plain, data);
    if (have) {
      const r = spawnSync('age', ['-a', '-r', x.recipient, '-o', out, plain]);
      expect(r.status).toBe(0);
      expect(readFileSync(out, 'latin1').startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    } else {
      writeFileSync(out, armor(await encrypt(data, [x.recipient])));
    }
    const o = CHUNK_SIZE - 100;
    expect(sha(await decryptFileRange(out, o, CHUNK_SIZE, [x.identity]))).toBe(sha(data.subarray(o, o + CHUNK_SIZE)));
  });
});
