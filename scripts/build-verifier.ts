/**
 * Builds the static verifier page into `outDir`: index.html, custos-verifier.js (one classic
 * script, the portable backend, no Node built-ins) and custos-verifier.css. Run by tsup after
 * the library build (dist/verifier/) and by the browser tests.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SRC = fileURLToPath(new URL('../src/verifier/', import.meta.url));

export async function buildVerifier(outDir: string, opts: { minify?: boolean } = {}): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(SRC, 'app.ts')],
    outfile: join(outDir, 'custos-verifier.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    // the sources, with the portable backend (#crypto's default); nothing of Node is reachable
    conditions: ['custos-source'],
    minify: opts.minify ?? true,
    legalComments: 'eof',
    logLevel: 'error',
  });
  await copyFile(join(SRC, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(SRC, 'verifier.css'), join(outDir, 'custos-verifier.css'));
}
