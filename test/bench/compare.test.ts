/**
 * bench:compare stays out of `npm test`; this checks that it runs end to end on a tiny input
 * (every group, one run) and that what it writes is well formed, plus the arithmetic it reports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRows } from '../../bench/compare/report.js';
import { parseSize } from '../../bench/compare/setup.js';
import { summarize } from '../../bench/compare/stats.js';

const metric = (ms: number, amount = 1e6) => ({ metric: { wallMs: ms, cpuMs: ms, amount, unit: 'B' as const }, maxRssKiB: 1024 });

describe('bench:compare arithmetic', () => {
  it('median and range of odd and even counts', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(summarize([]).n).toBe(0);
  });

  it('ratio = custos median throughput / peer median throughput, checked against the target', () => {
    // custos 1 MB in 10, 20, 30 ms (median 50 MB/s); peer in 40 ms (25 MB/s) → 2×
    const samples = { ours: [metric(10), metric(20), metric(30)], peer: [metric(40)] };
    const [row] = buildRows(samples, [{ name: 'x', ours: 'ours', peer: 'peer', target: 2.5 }], []);
    expect(row!.ratio).toBeCloseTo(2, 10);
    expect(row!.met).toBe(false);
    expect(row!.oursRate.median).toBeCloseTo(50e6, 0);
  });

  it('sizes', () => {
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('4MiB')).toBe(4 << 20);
    expect(parseSize('100')).toBe(100);
    // the suffixes of head -c and dd: K/M/G binary, KB/MB/GB decimal
    expect(parseSize('256M')).toBe(256 * 2 ** 20);
    expect(parseSize('1G')).toBe(2 ** 30);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('500MB')).toBe(5e8);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(() => parseSize('1X')).toThrow();
    expect(() => parseSize('G')).toThrow();
    expect(() => parseSize('0')).toThrow();
  });
});

describe('bench:compare smoke run', () => {
  it('runs every group on 4 MiB and writes JSON and SVG', () => {
    const out = mkdtempSync(join(tmpdir(), 'custos-compare-test-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=custos-source', 'bench/compare.ts', '--size', '4MiB', '--runs', '1', '--quick', '--out', out], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..', '..'),
      });
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { rows: { name: string; ratio: number | null; oursRate: { median: number } }[]; inputSha256: string };
      const names = res.rows.map((x) => x.name);
      for (const n of [
        'SHA-256 of a file',
        'seal → file (sealFile) vs the same work in a shell pipeline',
        'seal → file ÷ the in-memory floor',
        'open + hash check (openFile)',
        'in-memory encrypt, node backend',
        'in-memory decrypt, portable backend',
        'verifyPresentation (2 signatures)',
        'log append (durable, batched)',
      ]) {
        expect(names).toContain(n);
      }
      for (const row of res.rows) expect(row.oursRate.median).toBeGreaterThan(0);
      // custos' streamed hash, the seal's plaintext hash and openssl's agreed (the run checks it)
      expect(res.inputSha256).toMatch(/^[0-9a-f]{64}$/);
      const svg = readFileSync(join(out, 'compare-latest.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('seal → file (sealFile)');
      expect(r.stdout).toContain('ratio');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
