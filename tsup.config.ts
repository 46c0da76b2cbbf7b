import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { buildVerifier } from './scripts/build-verifier.js';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'node/index': 'src/node/index.ts',
    'pg/index': 'src/pg/index.ts',
    'cli/main': 'src/cli/main.ts',
    'crypto/node': 'src/crypto/node.ts',
    'crypto/web': 'src/crypto/web.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'pg/index': 'src/pg/index.ts' } },
  // No source maps in the package: they pointed at ../src, which is not shipped, and inlining
  // the sources would double its size for a debugging aid users can build from the repository.
  sourcemap: false,
  clean: true,
  splitting: true,
  treeshake: true,
  // `#crypto` stays a runtime import so package.json `imports` picks the backend.
  // `pg` is an optional peer dependency, loaded only by custos/pg (and `custos serve log --pg`);
  // pkcs11js an optional dependency, loaded only by the PKCS#11 signer.
  external: ['#crypto', 'pg', 'pkcs11js'],
  // Worker scripts are plain .mjs files started with `new Worker(url)` (never eval'd source);
  // src/node/workers/locate.ts finds them in dist/workers/.
  async onSuccess() {
    await cp('src/node/workers', 'dist/workers', { recursive: true, filter: (f) => !f.endsWith('.ts') });
    // the static verifier page (dist/verifier/index.html): verify and open bundles in a browser
    await buildVerifier('dist/verifier');
  },
});
