/**
 * Builds the CLI once per test run (esbuild, the bundler under tsup) into node_modules/.cache,
 * so end-to-end tests spawn a real built `custos` in ~0.1 s instead of compiling on every spawn.
 * `#crypto` resolves to the Node backend, as in the published package.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const repoRoot = join(import.meta.dirname, '..', '..');

let built: Promise<string> | undefined;

export function buildCli(): Promise<string> {
  built ??= (async () => {
    const outdir = join(repoRoot, 'node_modules', '.cache', 'custos-test', String(process.pid));
    mkdirSync(outdir, { recursive: true });
    const outfile = join(outdir, 'custos.mjs');
    await build({
      entryPoints: [join(repoRoot, 'src/cli/main.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['custos-source'],
      packages: 'external',
      logLevel: 'error',
    });
    // the worker scripts the bundled code starts (src/node/workers/locate.ts looks in ./workers)
    cpSync(join(repoRoot, 'src/node/workers'), join(outdir, 'workers'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
    return outfile;
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
