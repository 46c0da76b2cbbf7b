// Runs the shell-only exchange (test/e2e/exchange.sh: bash and the built CLI, no JavaScript) in
// `npm test`. The script creates and removes its own temporary directory and stops the witness
// it starts; it exits non-zero with "e2e: FAILED: …" on the first step that goes wrong.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, cleanupCli, repoRoot } from '../cli/build.js';

afterAll(() => cleanupCli());

describe('the exchange from the shell (issue 19)', () => {
  for (const mode of ['dir', 'url'] as const) {
    it(`keys, trust, seal, custody with witnessed receipts (log ${mode === 'dir' ? 'directory' : 'over HTTP'}), bundle, verify (default policy), tamper, open, received`, async () => {
      const cli = await buildCli();
      const r = spawnSync('bash', [join(repoRoot, 'test/e2e/exchange.sh')], {
        env: { ...process.env, CUSTOS_CLI: cli, NO_COLOR: '1', E2E_LOG: mode },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(r.stderr + r.stdout).toContain('e2e: OK');
      expect(r.status, r.stderr).toBe(0);
    }, 120_000);
  }
});
