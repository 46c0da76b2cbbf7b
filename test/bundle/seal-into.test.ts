/**
 * Sealing straight into a bundle (issue 19): the item is read once and encrypted into the tar, no
 * intermediate .age. The bundle must verify exactly like one built from a .age file.
 *
 * Attacks and failure cases on the path (each tested; the size formula also as a property):
 * - the computed age size is wrong for some plaintext length (0, 1, a chunk, a chunk + 1, many
 *   blocks): the tar writer would refuse the entry; every size is built and verified;
 * - the file grows or shrinks between the size lookup and the read (swap between reads): ERR_IO,
 *   no bundle;
 * - its content is swapped after the chain stated its digest: the bundle is built (the seal is over
 *   what was read) but does not verify (custody digest ≠ sealed SHA-256);
 * - a reported digest that differs: ERR_DIGEST_MISMATCH, no bundle and no temp file;
 * - a stream of unknown size: spooled encrypted to a private temp dir, removed afterwards.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncryptor } from '../../src/envelope/index.js';
import * as crypto from '#crypto';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';
import { agePayloadSize, sealForBundle } from '../../src/node/seal-bundle.js';
import { CHUNK_SIZE } from '../../src/envelope/stream.js';
import { codeOf } from '../support/code.js';
import { recipient, sender, story, trust } from './story.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-seal-into-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = { caseId: 'CASE-1', requestId: 'REQ-1', purpose: 'investigation', legalBasis: 'test' };
const sealOpts = { recipients: [recipient.recipient], signer: sender, authority: 'IE-P', id: 'disk', context };

const checksOf = (r: Awaited<ReturnType<typeof verifyBundle>>) => r.checks.map((c) => `${c.check}${c.subject !== undefined ? ` ${c.subject}` : ''}:${c.ok}`).sort();

/** A story bundle for `plain` (built from an in-memory .age), and the same story sealed straight in from `input`. */
async function both(plain: Uint8Array, input: string | AsyncIterable<Uint8Array>, extra: Partial<Parameters<typeof sealForBundle>[2]> = {}) {
  const s = await story({ items: [{ id: 'disk', plain }] }, mkdtempSync(join(dir, 'story-')));
  const out = join(s.dir, 'straight.tar');
  const item = await sealForBundle(input, out, { ...sealOpts, ...extra });
  try {
    await createBundle(out, { ...s.args, items: [{ ...s.inputs[0]!, encrypted: item.encrypted, seal: item.seal }] });
    return { s, out, result: await item.result() };
  } finally {
    await item.dispose();
  }
}

describe('agePayloadSize', () => {
  it('equals the payload section the encryptor writes, for any plaintext length (around chunk boundaries too)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.nat(5 * CHUNK_SIZE), fc.integer({ min: -2, max: 2 }).chain((d) => fc.constantFrom(...[1, 2, 3].map((k) => Math.max(0, k * CHUNK_SIZE + d))))), async (n) => {
        const enc = await createEncryptor([recipient.recipient]);
        let payload = 0;
        enc.pushTo(new Uint8Array(n), (b) => (payload += b.length));
        enc.finishTo((b) => (payload += b.length));
        expect(agePayloadSize(n)).toBe(payload);
      }),
      { numRuns: Number(process.env.CUSTOS_FC_RUNS ?? 30) },
    );
    expect(() => agePayloadSize(-1)).toThrow();
  });
});

describe('sealForBundle: sealed straight into the tar', () => {
  it('the age size is computed exactly for every plaintext length, and the bundle verifies like the .age-built one', async () => {
    for (const n of [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * 1024 * 1024 + 5]) {
      const plain = crypto.randomBytes(n);
      const f = join(dir, `plain-${n}`);
      writeFileSync(f, plain);
      const { s, out, result } = await both(plain, f, { hashes: ['md5'] });
      expect(result.manifest.size).toBe(n);
      expect(result.manifest.payloadSize).toBe(agePayloadSize(n));
      expect(Buffer.from(result.digests.md5!).toString('hex')).toBe(createHash('md5').update(plain).digest('hex'));
      const [a, b] = [await verifyBundle(s.path, { trust }), await verifyBundle(out, { trust })];
      expect(b.ok, JSON.stringify(b.checks.filter((c) => !c.ok))).toBe(true);
      expect(checksOf(b)).toEqual(checksOf(a));
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('a stream of unknown size: spooled encrypted to a private temp dir (removed), the bundle verifies', async () => {
    const plain = crypto.randomBytes(2 * 1024 * 1024 + 17);
    const stream = (async function* () {
      for (let o = 0; o < plain.length; o += 100_000) yield plain.slice(o, o + 100_000);
    })();
    const { s, out } = await both(plain, stream);
    expect((await verifyBundle(out, { trust })).ok).toBe(true);
    expect(readdirSync(s.dir).filter((f) => f.startsWith('.custos-seal-') || f.endsWith('.tmp'))).toEqual([]);
    rmSync(s.dir, { recursive: true, force: true });
  });

  it('a reported digest that differs: ERR_DIGEST_MISMATCH, no bundle, no temp (file and stream)', async () => {
    const plain = crypto.randomBytes(300_000);
    const f = join(dir, 'mm');
    writeFileSync(f, plain);
    const wrong = createHash('md5').update(plain.subarray(1)).digest('hex');
    for (const input of [f, (async function* () { yield plain; })()]) {
      const s = await story({ items: [{ id: 'disk', plain }] }, mkdtempSync(join(dir, 'story-')));
      const out = join(s.dir, 'straight.tar');
      const run = async () => {
        const item = await sealForBundle(input, out, { ...sealOpts, reported: { md5: wrong } });
        try {
          await createBundle(out, { ...s.args, items: [{ ...s.inputs[0]!, encrypted: item.encrypted, seal: item.seal }] });
        } finally {
          await item.dispose();
        }
      };
      expect(await codeOf(run())).toBe('ERR_DIGEST_MISMATCH');
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(s.dir).filter((x) => x.startsWith('.'))).toEqual([]);
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('the file changes between the size lookup and the read: a size change fails (ERR_IO), a content swap does not verify', async () => {
    const plain = crypto.randomBytes(200_000);
    const f = join(dir, 'swap');
    writeFileSync(f, plain);
    const s = await story({ items: [{ id: 'disk', plain }] }, mkdtempSync(join(dir, 'story-')));
    const out = join(s.dir, 'straight.tar');
    const grown = await sealForBundle(f, out, sealOpts);
    appendFileSync(f, new Uint8Array(10));
    expect(await codeOf(createBundle(out, { ...s.args, items: [{ ...s.inputs[0]!, encrypted: grown.encrypted, seal: grown.seal }] }))).toBe('ERR_IO');
    await grown.dispose();
    expect(existsSync(out)).toBe(false);
    writeFileSync(f, plain);
    const swapped = await sealForBundle(f, out, sealOpts);
    writeFileSync(f, crypto.randomBytes(plain.length)); // same size, other bytes
    await createBundle(out, { ...s.args, items: [{ ...s.inputs[0]!, encrypted: swapped.encrypted, seal: swapped.seal }] });
    await swapped.dispose();
    const r = await verifyBundle(out, { trust });
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.check)).toContain('custody.digest');
    rmSync(s.dir, { recursive: true, force: true });
  });

  it('items prepared but not yet streamed hold no hash worker: memory does not grow with the number of items', async () => {
    // Regression: each sealForBundle started its worker and 8 MiB ring at once, and bundle create
    // prepares every --seal-item before streaming the first (150 items of 1 KB: 1.4 GB RSS).
    const f = join(dir, 'small');
    writeFileSync(f, crypto.randomBytes(1000));
    const before = process.memoryUsage().arrayBuffers;
    const items = [];
    for (let i = 0; i < 12; i++) items.push(await sealForBundle(f, join(dir, 'many.tar'), { ...sealOpts, id: `e${i}` }));
    const grown = process.memoryUsage().arrayBuffers - before;
    for (const it of items) await it.dispose();
    expect(grown).toBeLessThan(16 << 20); // one ring is 8 MiB: twelve were 96 MiB
  });

  it('options are validated before the input is looked at', async () => {
    expect(await codeOf(sealForBundle(join(dir, 'missing'), join(dir, 'b.tar'), { ...sealOpts, hashes: ['crc' as never] }))).toBe('ERR_UNSUPPORTED');
    expect(await codeOf(sealForBundle(join(dir, 'missing'), join(dir, 'b.tar'), sealOpts))).toBe('ERR_IO');
  });
});
