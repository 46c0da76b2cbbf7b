/**
 * vitest global setup: every test run gets its own temporary folder (TMPDIR points into it for
 * the test workers and every process they spawn), removed when the run ends. Each test removes
 * what it creates; this names any test that did not (a warning listing the leftovers) and makes
 * sure that nothing of the project stays in the system temp folder either way.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const sandbox = mkdtempSync(join(tmpdir(), 'custos-test-run-'));
  // traversable by other users (not listable): a test's PostgreSQL cluster runs as `postgres`
  // in a folder of its own inside; every folder a test makes is still mkdtemp's 0700
  chmodSync(sandbox, 0o711);
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = sandbox;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    // tsx keeps its compile cache in the temp folder of the processes it runs (tsx-<uid>): not ours
    const left = readdirSync(sandbox).filter((n) => !/^tsx-\d+$/.test(n));
    if (left.length > 0) console.warn(`[tmp] tests left ${left.length} temp entr${left.length === 1 ? 'y' : 'ies'} behind (removed now): ${left.slice(0, 20).join(', ')}`);
    rmSync(sandbox, { recursive: true, force: true });
  };
}
