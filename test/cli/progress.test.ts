/**
 * The progress line: bar, percentage, bytes, rate and ETA for a known total; bytes and rate for
 * an unknown one (stdin). Rendered on a fake TTY stream with a fake clock. Attacks: a zero or
 * unknown total (no division by zero, no bogus ETA), no data yet (ETA unknown, not 0:00), a
 * label with terminal controls (escaped by io before it gets here: see escape.test.ts), redraws
 * faster than 10 a second, a shorter line leaving the tail of a longer one.
 */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, progressLine, renderProgress } from '../../src/cli/progress.js';

describe('renderProgress', () => {
  it('known total: bar, percent, bytes, MB/s and ETA', () => {
    const line = renderProgress({ label: 'sealing disk.img', done: 500e6, total: 1e9, elapsedMs: 2000, columns: 100 });
    expect(line).toMatch(/^sealing disk\.img \[#+ +\]  50% 500 MB\/1\.0 GB 250 MB\/s ETA 0:02$/);
    const bar = /\[(#*)( *)\]/.exec(line)!;
    expect(bar[1]!.length).toBe(bar[2]!.length);
  });

  it('unknown total: bytes and rate, no bar, no percentage, no ETA', () => {
    expect(renderProgress({ label: 'sealing -', done: 3.2e9, total: undefined, elapsedMs: 4000, columns: 80 })).toBe('sealing - 3.2 GB 800 MB/s');
  });

  it('no data yet: ETA unknown; done: ETA 0:00; zero total: 100%', () => {
    expect(renderProgress({ label: 'x', done: 0, total: 1e9, elapsedMs: 0, columns: 80 })).toMatch(/  0% 0 B\/1\.0 GB 0\.0 MB\/s ETA --:--$/);
    expect(renderProgress({ label: 'x', done: 1e9, total: 1e9, elapsedMs: 1000, columns: 80 })).toMatch(/100% 1\.0 GB\/1\.0 GB 1000 MB\/s ETA 0:00$/);
    expect(renderProgress({ label: 'x', done: 0, total: 0, elapsedMs: 10, columns: 80 })).toMatch(/100% .* ETA 0:00$/);
  });

  it('long ETAs in h:mm:ss; sizes in SI units', () => {
    expect(renderProgress({ label: 'x', done: 1e9, total: 1e12, elapsedMs: 10_000, columns: 80 })).toMatch(/ETA 2:46:30$/);
    expect(formatDuration(59.2)).toBe('1:00');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(2.5e12)).toBe('2.5 TB');
  });

  it('the line fits a narrow terminal (the bar shrinks to 10, never negative)', () => {
    const line = renderProgress({ label: 'a-very-long-label-for-a-very-long-file-name.img', done: 1, total: 2, elapsedMs: 1, columns: 20 });
    expect(/\[(#*)( *)\]/.exec(line)![0].length).toBe(12);
  });
});

describe('progressLine on a fake TTY', () => {
  it('redraws at most every 100 ms with \\r, pads a shorter line over a longer one, ends with a newline', () => {
    const writes: string[] = [];
    let t = 1000;
    const bar = progressLine({ write: (s: string) => writes.push(s), columns: 80 }, 'opening disk', 100e6, () => t);
    t += 100;
    bar.add(50e6); // drawn
    t += 50;
    bar.add(10e6); // too soon: not drawn
    expect(writes.length).toBe(1);
    expect(writes[0]).toMatch(/^\ropening disk \[.*\]  50% 50 MB\/100 MB 500 MB\/s ETA 0:01$/);
    t += 60;
    bar.add(40e6);
    bar.done();
    expect(writes.at(-1)).toBe('\n');
    const last = writes.at(-2)!;
    expect(last).toMatch(/100% 100 MB\/100 MB/);
    expect(last.length).toBeGreaterThanOrEqual(writes[0]!.length); // a shorter line is padded
  });

  it('an unknown total shows the bytes so far and the rate', () => {
    const writes: string[] = [];
    let t = 0;
    const bar = progressLine({ write: (s: string) => writes.push(s) }, 'sealing -', undefined, () => t);
    t = 2000;
    bar.add(64e6);
    expect(writes).toEqual(['\rsealing - 64 MB 32 MB/s']);
  });
});
