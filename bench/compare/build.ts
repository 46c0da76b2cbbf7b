/**
 * Bundles run-one.ts into plain-node ESM files, one per crypto backend, so that each run's peak
 * RSS is custos' own and not the TypeScript loader's (an idle `node --import tsx` that has
 * loaded custos already sits at ~110 MiB; plain node at ~40 MiB). esbuild ships with tsx.
 *
 * - node: `#crypto` → src/crypto/node.ts (the `custos-source` + `node` conditions, as in tests);
 * - web:  `#crypto` → src/crypto/web.ts (the portable noble backend a browser or Deno gets).
 *
 * Falls back to running the sources under tsx (RSS then includes the loader) if esbuild is absent.
 */
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Backend = 'node' | 'web';

/** How to start a run child: a command and the arguments before `<case> <json>`. */
export interface Runner {
  readonly cmd: string;
  readonly args: readonly string[];
  /** true when RSS includes the tsx loader (no esbuild). */
  readonly viaTsx: boolean;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

/**
 * Bundle options: which `src/` the bundle is built from (default this checkout's; `srcRoot`
 * another checkout's, e.g. a `git archive` of an earlier commit, for before/after runs of the
 * same bench code), and the node flags the runner starts with.
 */
export interface BuildOptions {
  readonly entry?: string;
  readonly srcRoot?: string;
  readonly nodeFlags?: readonly string[];
  readonly backends?: readonly Backend[];
}

/** The node runner always; the web one only when bundling is possible (it needs `#crypto` redirected). */
export async function buildRunners(outDir: string, o: BuildOptions = {}): Promise<{ node: Runner; web?: Runner }> {
  let esbuild: typeof import('esbuild') | undefined;
  try {
    esbuild = await import('esbuild');
  } catch {
    esbuild = undefined;
  }
  const entry = o.entry ?? join(here, 'run-one.ts');
  const srcRoot = o.srcRoot ?? join(root, 'src');
  const flags = o.nodeFlags ?? [];
  const stem = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  if (esbuild === undefined) {
    if (o.srcRoot !== undefined) throw new Error('another src/ needs esbuild');
    const tsx = (extra: string[]): Runner => ({ cmd: process.execPath, args: [...flags, '--import', 'tsx', '--conditions=custos-source', ...extra, entry], viaTsx: true });
    // Without a bundler the web backend would need a resolver hook: reported as not measured.
    return { node: tsx([]) };
  }
  const out: Partial<Record<Backend, Runner>> = {};
  for (const backend of o.backends ?? (['node', 'web'] as const)) {
    const outfile = join(outDir, `${stem}-${backend}.mjs`);
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
      absWorkingDir: root,
      // packages resolve from this checkout's node_modules, also for another checkout's src/
      nodePaths: [join(root, 'node_modules')],
      // age-encryption and its noble dependencies are bundled too: one file, no resolution at run time
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      plugins: [
        {
          name: 'custos-backend',
          setup(b) {
            b.onResolve({ filter: /^#crypto$/ }, () => ({ path: join(srcRoot, 'crypto', `${backend}.ts`) }));
            // the bench's own imports of ../../src/… go to srcRoot (src/ files then import each other there)
            if (o.srcRoot !== undefined) {
              b.onResolve({ filter: /\/src\// }, (a) => {
                const abs = resolve(a.resolveDir, a.path);
                const inSrc = join(root, 'src') + '/';
                return abs.startsWith(inSrc) ? { path: join(srcRoot, abs.slice(inSrc.length)).replace(/\.js$/, '.ts') } : undefined;
              });
            }
          },
        },
      ],
    });
    out[backend] = { cmd: process.execPath, args: [...flags, outfile], viaTsx: false };
    // the worker scripts the bundled code starts (src/node/workers/locate.ts looks in ./workers)
    cpSync(join(root, 'src/node/workers'), join(outDir, 'workers'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
  }
  return { node: out.node!, ...(out.web !== undefined ? { web: out.web } : {}) };
}
