import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'node/index': 'src/node/index.ts',
    'cli/main': 'src/cli/main.ts',
    'crypto/node': 'src/crypto/node.ts',
    'crypto/web': 'src/crypto/web.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // `#crypto` stays a runtime import so package.json `imports` picks the backend.
  external: ['#crypto'],
});
