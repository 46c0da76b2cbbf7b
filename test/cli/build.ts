/**
 * Builds the CLI once per test run (esbuild, the bundler under tsup) into node_modules/.cache,
 * so end-to-end tests spawn a real built `custos` in ~0.1 s instead of compiling on every spawn.
 * `#crypto` resolves to the Node backend, as in the published package.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleChild, repoRoot } from '../support/bundle-child.js';

export { repoRoot };

let built: Promise<string> | undefined;

export function buildCli(): Promise<string> {
  built ??= (async () => {
    const outdir = join(repoRoot, 'node_modules', '.cache', 'custos-test', String(process.pid));
    mkdirSync(outdir, { recursive: true });
    return bundleChild({ entry: join(repoRoot, 'src/cli/main.ts'), outfile: join(outdir, 'custos.mjs'), externalPackages: true, workersFrom: join(repoRoot, 'src') });
  })();
  return built;
}

export function runCli(cli: string, args: string[], input?: string | Uint8Array, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Removes this run's build output. */
export function cleanupCli(): void {
  rmSync(join(repoRoot, 'node_modules', '.cache', 'custos-test', String(process.pid)), { recursive: true, force: true });
}
