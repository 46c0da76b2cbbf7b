import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('examples/request.ts', () => {
  it('runs end to end', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions', 'custos-source', 'examples/request.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('production   due 2026-04-06T23:00:00Z');
    expect(out).toContain('chain verified: true');
    expect(out).toContain('escalation owed: true (since 2026-04-06T23:00:00Z)');
    expect(out).toContain('withheld: true');
  });
});
