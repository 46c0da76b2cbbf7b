/**
 * Tamper sweep: the demo bundle (small), one byte changed at each of many sampled positions
 * covering every region of the tar (headers, pax headers, data of every file, padding, the
 * end-of-archive marker). `verifyBundle` must fail every time and a failed check must name the
 * region (the file, its item, or the tar structure). Prints the detection table by region.
 *
 * Default: CUSTOS_TAMPER_POSITIONS (default 10,000) positions, stratified so that every region
 * gets at least min(its size, 24) of them.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTarIndex, TAR_BLOCK, tarPadding } from '../../src/bundle/tar.js';
import { PARTIES } from '../../src/cli/demo/data.js';
import { runDemo } from '../../src/cli/demo/run.js';
import { TrustStore } from '../../src/keys/trust.js';
import { decodeManifest } from '../../src/bundle/manifest.js';
import { readKeyFile } from '../../src/cli/keyfile.js';
import { CustosError } from '../../src/errors.js';
import { verifyBundle } from '../../src/node/bundle.js';
import { inspectBundle, openBundleItem } from '../../src/node/bundle.js';
import { memoryOutput } from '../../src/bundle/open.js';
import { fuzz, type Target } from './harness.js';

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
let requesterKey = '';
const regions: Region[] = [];

describe('tamper sweep over the demo bundle', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-tamper-'));
    const demo = await runDemo({ dir, imageSize: 3000, print: () => undefined });
    expect(demo.ok).toBe(true);
    bundle = demo.bundle;
    requesterKey = demo.requesterKey;
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

  it('the untouched bundle verifies, and no report carries a secret of either party', async () => {
    const r = await verifyBundle(bundle, { trust, policy });
    const secrets: string[] = [];
    for (const f of ['requester.key', 'executor.key']) {
      const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { signing: { secret: string }; age: { identity: string }[] };
      secrets.push(doc.signing.secret, Buffer.from(doc.signing.secret, 'base64url').toString('hex'), ...doc.age.map((a) => a.identity), ...doc.age.map((a) => a.identity.toLowerCase()));
    }
    const keys = await readKeyFile(requesterKey);
    const opened = await openBundleItem(bundle, 'disk', { expect: 'none', trust, identities: keys.identities, output: memoryOutput(), policy: { requireSeal: false, audience: policy.audience } as typeof policy });
    const text = JSON.stringify([r, opened.report, opened.sha256]);
    for (const sec of secrets) expect(text.includes(sec.slice(0, 24))).toBe(false);
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

  it('structural damage: truncation at every block, entries swapped, data appended — verify, inspect and open all refuse, nothing else escapes', async () => {
    const keys = await readKeyFile(requesterKey);
    const work = join(dir, 'structural.tar');
    const variants: [string, Uint8Array][] = [];
    for (let n = 0; n < bytes.length; n += TAR_BLOCK) variants.push([`truncated to ${n}`, bytes.subarray(0, n)]);
    variants.push(['one extra block of zeros', new Uint8Array([...bytes, ...new Uint8Array(TAR_BLOCK)])]);
    variants.push(['one extra block of data', new Uint8Array([...bytes, ...new Uint8Array(TAR_BLOCK).fill(0x41)])]);
    // swap the data of two same-size receipts (the tar stays well-formed)
    const bySize = new Map<number, Region[]>();
    for (const r of regions) if (r.file?.startsWith('receipts/') && r.name === r.file) bySize.set(r.end - r.start, [...(bySize.get(r.end - r.start) ?? []), r]);
    for (const rs of bySize.values()) {
      if (rs.length < 2) continue;
      const [a, b] = rs as [Region, Region];
      const v = bytes.slice();
      v.set(bytes.subarray(a.start, a.end), b.start);
      v.set(bytes.subarray(b.start, b.end), a.start);
      variants.push([`swapped ${a.file} and ${b.file}`, v]);
    }
    for (const [label, v] of variants) {
      writeFileSync(work, v);
      const rep = await verifyBundle(work, { trust, policy });
      // zeros after the end-of-archive marker are tar record padding, not content
      if (label !== 'one extra block of zeros') expect(rep.ok, label).toBe(false);
      try {
        await inspectBundle(work);
      } catch (e) {
        expect(e, label).toBeInstanceOf(CustosError);
      }
      let openedOk = false;
      try {
        await openBundleItem(work, 'disk', { expect: 'none', trust, identities: keys.identities, output: memoryOutput(), policy: { requireSeal: false, audience: policy.audience } as typeof policy });
        openedOk = true;
      } catch (e) {
        expect(e, label).toBeInstanceOf(CustosError);
      }
      // `disk` may still open when only another item's files were damaged (open checks the
      // manifest, the tar and that item); never when the damage touches the tar or `disk`
      if (openedOk) expect(label === 'one extra block of zeros' || (label.startsWith('swapped') && !label.includes('/disk/')), label).toBe(true);
    }
    console.log(`[adversarial] structural bundle damage: ${variants.length} variants refused`);
  }, 600_000);

  it('the manifest decoder survives structured mutations of the real manifest', async () => {
    const entries = await readTarIndex(async (o, n) => bytes.subarray(o, o + n), bytes.length);
    const m = entries.find((e) => e.name === 'manifest.cose')!;
    const manifest = bytes.slice(m.offset, m.offset + m.size);
    const t: Target = { name: 'decodeManifest', samples: [manifest], run: (b) => decodeManifest(b) };
    await fuzz(t);
  }, 300_000);
});

