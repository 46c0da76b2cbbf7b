/**
 * Bundles a TypeScript entry (a test's child process, the CLI, a bench child) into one plain-node
 * ESM file with esbuild (the bundler under tsup and tsx), so that a child spawned many times
 * starts in ~0.1 s instead of compiling TypeScript on every start, and its memory is its own, not
 * a loader's. Sources resolve through the `custos-source` condition, `#crypto` to the Node
 * backend, as in the tests. Used by tests and benches alike.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface BundleChildOptions {
  /** The entry file. */
  readonly entry: string;
  /** The bundle to write (its folder must exist). */
  readonly outfile: string;
  /** Leave npm packages out of the bundle (resolved from node_modules at run time). */
  readonly externalPackages?: boolean;
  /** Packages left out by name. */
  readonly external?: readonly string[];
  /** Module aliases (e.g. to build the same child against another checkout's sources). */
  readonly alias?: Readonly<Record<string, string>>;
  /** Where packages are resolved from besides the entry's own node_modules. */
  readonly nodePaths?: readonly string[];
  /** Gives the ESM bundle a `require` (for CommonJS packages bundled into it). */
  readonly withRequire?: boolean;
  /**
   * Copies the hash worker scripts the bundled code starts (src/node/workers/locate.ts looks in
   * `./workers` beside the bundle) from this `src/` folder (default: this checkout's).
   */
  readonly workersFrom?: string;
}

/** Bundles `o.entry` into `o.outfile`; resolves to the outfile. */
export async function bundleChild(o: BundleChildOptions): Promise<string> {
  await build({
    entryPoints: [o.entry],
    outfile: o.outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['custos-source'],
    logLevel: 'error',
    ...(o.externalPackages === true ? { packages: 'external' as const } : {}),
    ...(o.external !== undefined ? { external: [...o.external] } : {}),
    ...(o.alias !== undefined ? { alias: { ...o.alias } } : {}),
    ...(o.nodePaths !== undefined ? { nodePaths: [...o.nodePaths] } : {}),
    ...(o.withRequire === true ? { banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } } : {}),
  });
  if (o.workersFrom !== undefined) {
    cpSync(join(o.workersFrom, 'node/workers'), join(o.outfile, '..', 'workers'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
  }
  return o.outfile;
}
