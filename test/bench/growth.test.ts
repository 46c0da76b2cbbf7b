/**
 * bench:growth stays out of `npm test`; this checks its arithmetic (per-unit cost, exponent)
 * and that it runs end to end on tiny sizes (two series, one point each size) and writes JSON.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exponent, perUnitUs, tailExponent, type Series } from '../../bench/growth/series.js';

const run = (wallMs: number) => ({ wallMs, cpuMs: wallMs, maxRssKiB: 1024, load: 0 });

describe('bench:growth arithmetic', () => {
  it('exponent of time against size: 1 linear, 2 quadratic, NaN when undefined', () => {
    expect(exponent({ size: 1000, wallMs: 10 }, { size: 10_000, wallMs: 100 })).toBeCloseTo(1, 10);
    expect(exponent({ size: 10, wallMs: 1 }, { size: 100, wallMs: 100 })).toBeCloseTo(2, 10);
    expect(exponent({ size: 10, wallMs: 1 }, { size: 10, wallMs: 2 })).toBeNaN();
    expect(exponent({ size: 10, wallMs: 0 }, { size: 100, wallMs: 2 })).toBeNaN();
  });

  it('per-unit cost is the median run over the size; the tail exponent uses the two largest sizes', () => {
    const s: Series = {
      name: 'x',
      unit: 'event',
      points: [
        { size: 100_000, runs: [run(1000), run(4000), run(2000)] },
        { size: 1000, runs: [run(10)] },
        { size: 10_000, runs: [run(20)] },
      ],
    };
    expect(perUnitUs(s.points[0]!)).toBeCloseTo(20, 10); // median 2000 ms / 100,000
    expect(tailExponent(s)).toBeCloseTo(2, 10); // 20 ms → 2000 ms over 10×
    expect(tailExponent({ ...s, points: [s.points[0]!] })).toBeNaN();
  });
});

describe('bench:growth smoke run', () => {
  it('runs two series on tiny sizes and writes JSON', () => {
    const out = mkdtempSync(join(tmpdir(), 'custos-growth-test-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=custos-source', 'bench/growth.ts', '--quick', '--only', 'chain-append,log-reopen', '--out', out], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..', '..'),
      });
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(readFileSync(join(out, 'growth-latest.json'), 'utf8')) as { series: { name: string; exponent: number; points: { size: number; perUnitUs: number }[] }[] };
      // log-reopen alone: the log is appended (its fixture) but only the series asked for is reported
      expect(res.series.map((s) => s.name)).toEqual(['chain append', 'log reopen (openLog: recovery)']);
      for (const s of res.series) {
        expect(s.points.map((p) => p.size).length).toBe(2);
        for (const p of s.points) expect(p.perUnitUs).toBeGreaterThan(0);
        expect(Number.isFinite(s.exponent)).toBe(true);
      }
      expect(r.stdout).toContain('exponent');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
