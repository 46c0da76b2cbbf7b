import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the sources. `#crypto` is the Node backend unless CUSTOS_BACKEND=web,
// which runs the same suite on the portable noble backend.
const backend = process.env.CUSTOS_BACKEND === 'web' ? 'web' : 'node';

export default defineConfig({
  resolve: {
    alias: { '#crypto': fileURLToPath(new URL(`./src/crypto/${backend}.ts`, import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/tmp-sandbox.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
