/**
 * Property: any single-byte change anywhere in a complete bundle (items, seals, chains,
 * receipts, checkpoints, consistency receipts, manifest, tar headers, padding, end marker) makes
 * verification fail, and every failed check carries an error code. Never a silent pass.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo/run.js';
import { TrustStore } from '../../src/keys/trust.js';
import { verifyBundle } from '../../src/node/bundle.js';

let bytes: Uint8Array;
let trust: TrustStore;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-tamper-'));
  const d = await runDemo({ dir: join(dir, 'demo'), imageSize: 100, print: () => undefined });
  if (!d.ok) throw new Error('demo failed');
  bytes = new Uint8Array(readFileSync(d.bundle));
  trust = TrustStore.parse(readFileSync(d.trust, 'utf8'));
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('bundle tampering', () => {
  it('the untouched bundle verifies', async () => {
    const p = join(dir, 'same.tar');
    writeFileSync(p, bytes);
    expect((await verifyBundle(p, { trust })).ok).toBe(true);
  });

  it('every single-byte change fails verification with coded checks (property)', async () => {
    const p = join(dir, 'flip.tar');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, x) => {
        const b = bytes.slice();
        b[pos] = b[pos]! ^ x;
        writeFileSync(p, b);
        const r = await verifyBundle(p, { trust });
        expect(r.ok).toBe(false);
        const failed = r.checks.filter((c) => !c.ok);
        expect(failed.length).toBeGreaterThan(0);
        for (const c of failed) expect(c.code).toMatch(/^ERR_[A-Z0-9_]+$/);
      }),
      { numRuns: Number(process.env.CUSTOS_FC_RUNS ?? 100) },
    );
  });

  it('truncation and extension fail too', async () => {
    const p = join(dir, 'cut.tar');
    for (const b of [bytes.subarray(0, bytes.length - 512), bytes.subarray(0, bytes.length / 2), new Uint8Array([...bytes, ...new Uint8Array(512).fill(1)])]) {
      writeFileSync(p, b);
      expect((await verifyBundle(p, { trust })).ok).toBe(false);
    }
  });
});
