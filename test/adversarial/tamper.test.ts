/**
 * Tamper sweep: the demo bundle (small), one byte changed at each of many sampled positions
 * covering every region of the tar (headers, pax headers, data of every file, padding, the
 * end-of-archive marker). `verifyBundle` must fail every time and a failed check must name the
 * region (the file, its item, or the tar structure). Prints the detection table by region.
 *
 * Default: CUSTOS_TAMPER_POSITIONS (default 10,000) positions, stratified so that every region
 * gets at least min(its size, 24) of them.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTarIndex, TAR_BLOCK, tarPadding } from '../../src/bundle/tar.js';
import { PARTIES } from '../../src/cli/demo/data.js';
import { runDemo } from '../../src/cli/demo/run.js';
import { TrustStore } from '../../src/keys/trust.js';
import { verifyBundle } from '../../src/node/bundle.js';

const POSITIONS = Number(process.env.CUSTOS_TAMPER_POSITIONS ?? 10_000);

interface Region {
  readonly name: string;
  /** Group for the table: tar header, data of a kind of file, padding, end marker. */
  readonly group: string;
  /** The file the region belongs to (undefined for the end marker). */
  readonly file?: string;
  readonly start: number;
  readonly end: number;
}

function groupOf(file: string): string {
  if (file === 'manifest.cose') return 'manifest.cose';
  const top = file.split('/')[0]!;
  if (top === 'receipts') return file.endsWith('.cose') ? 'receipts/*.receipt.cose' : 'receipts/*.tlog-proof';
  return `${top}/*`;
}

// A small deterministic PRNG (mulberry32) so a run can be repeated from its seed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir = '';
let bundle = '';
let trust: TrustStore;
let policy: { requireSeal: boolean; audience: string };
let bytes: Uint8Array;
const regions: Region[] = [];

describe('tamper sweep over the demo bundle', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-tamper-'));
    const demo = await runDemo({ dir, imageSize: 3000, print: () => undefined });
    expect(demo.ok).toBe(true);
    bundle = demo.bundle;
    trust = TrustStore.parse(readFileSync(demo.trust, 'utf8'));
    policy = { requireSeal: false, audience: PARTIES.requester.id };
    bytes = new Uint8Array(readFileSync(bundle));
    const entries = await readTarIndex(async (o, n) => bytes.subarray(o, o + n), bytes.length);
    let pos = 0;
    for (const e of entries) {
      regions.push({ name: `header ${e.name}`, group: 'tar headers (ustar + pax)', file: e.name, start: pos, end: e.offset });
      if (e.size > 0) regions.push({ name: e.name, group: groupOf(e.name), file: e.name, start: e.offset, end: e.offset + e.size });
      const pad = tarPadding(e.size);
      if (pad > 0) regions.push({ name: `padding ${e.name}`, group: 'tar padding', file: e.name, start: e.offset + e.size, end: e.offset + e.size + pad });
      pos = e.offset + e.size + pad;
    }
    regions.push({ name: 'end-of-archive', group: 'end-of-archive marker', start: pos, end: bytes.length });
    expect(bytes.length - pos).toBeGreaterThanOrEqual(2 * TAR_BLOCK);
  }, 300_000);
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('the untouched bundle verifies', async () => {
    const r = await verifyBundle(bundle, { trust, policy });
    if (!r.ok) {
      const failed = r.checks.filter((c) => !c.ok);
      throw new Error(`pristine bundle fails: ${JSON.stringify(failed.slice(0, 3))}`);
    }
  });

  it(`every changed byte (${POSITIONS} positions) fails verification and names its region`, async () => {
    const rand = rng(Number(process.env.CUSTOS_TAMPER_SEED ?? 0x5eed));
    // stratified sample: every region first, then uniform over the whole archive
    const picks: number[] = [];
    for (const r of regions) {
      const n = Math.min(r.end - r.start, 24);
      for (let k = 0; k < n; k++) picks.push(r.start + Math.floor(((k + rand()) * (r.end - r.start)) / n));
    }
    while (picks.length < POSITIONS) picks.push(Math.floor(rand() * bytes.length));
    const work = join(dir, 'tampered.tar');
    copyFileSync(bundle, work);
    const fd = openSync(work, 'r+');
    const table = new Map<string, { positions: number; detected: number; named: number }>();
    const misses: string[] = [];
    const t0 = performance.now();
    try {
      for (const p of picks) {
        const region = regions.find((r) => p >= r.start && p < r.end)!;
        const mask = 1 + Math.floor(rand() * 255);
        writeSync(fd, Uint8Array.of(bytes[p]! ^ mask), 0, 1, p);
        let report;
        try {
          report = await verifyBundle(work, { trust, policy });
        } finally {
          writeSync(fd, Uint8Array.of(bytes[p]!), 0, 1, p);
        }
        const row = table.get(region.group) ?? { positions: 0, detected: 0, named: 0 };
        row.positions++;
        if (!report.ok) row.detected++;
        const failed = report.checks.filter((c) => !c.ok);
        const item = region.file?.match(/^(?:items|custody|records|seals)\/([^/.]+)|^receipts\/([^/]+)\//);
        const itemId = item?.[1] ?? item?.[2];
        const named = failed.some(
          (c) =>
            c.check === 'tar' ||
            (region.file !== undefined && (c.subject === region.file || c.detail.includes(region.file))) ||
            (itemId !== undefined && c.subject !== undefined && c.subject.includes(itemId)) ||
            (region.file === 'manifest.cose' && c.check.startsWith('manifest')),
        );
        if (named) row.named++;
        table.set(region.group, row);
        if (report.ok || !named) {
          misses.push(`${report.ok ? 'UNDETECTED' : 'unnamed'} at ${p} (${region.name}) xor ${mask}: ${JSON.stringify(failed.map((c) => [c.check, c.subject, c.code]).slice(0, 4))}`);
        }
      }
    } finally {
      closeSync(fd);
    }
    const ms = performance.now() - t0;
    const lines = [...table.entries()].sort().map(([g, r]) => `  ${g.padEnd(28)} ${String(r.positions).padStart(6)} ${String(r.detected).padStart(8)} ${String(r.named).padStart(6)}`);
    console.log(
      [`[adversarial] tamper sweep: ${picks.length} positions over ${bytes.length} bytes, ${regions.length} regions, ${(ms / 1000).toFixed(1)} s`, `  ${'region'.padEnd(28)} ${'tried'.padStart(6)} ${'detected'.padStart(8)} ${'named'.padStart(6)}`, ...lines].join('\n'),
    );
    expect(picks.length).toBeGreaterThanOrEqual(POSITIONS);
    expect(misses.slice(0, 20)).toEqual([]);
  }, 1_800_000);
});
