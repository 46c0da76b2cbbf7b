/**
 * The published vectors in a real Chromium, through the portable backend and the public API as
 * an application's bundler would ship them (esbuild, platform browser): Wycheproof (X25519,
 * Ed25519, ECDSA P-256, ChaCha20-Poly1305, HKDF, HMAC), the CCTV age testkit (bytes and Web
 * Stream entry paths), transparency-dev Merkle inclusion and consistency proofs, the scitt-cose
 * receipts and the C2SP signed-note example. Every case must give in the browser exactly the
 * outcome it gives in Node, where the vector suites judge those outcomes against the vectors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, chromiumPath, launch, REQUIRE_BROWSER, serve } from './chromium.js';
import { execVectors, type VectorListing } from './vector-exec.js';

const VEC = fileURLToPath(new URL('../vectors/', import.meta.url));
const walk = (dir: string): string[] =>
  readdirSync(join(VEC, dir)).flatMap((n) => (statSync(join(VEC, dir, n)).isDirectory() ? walk(join(dir, n)).map((x) => `${n}/${x}`) : [n]));

const LIST: VectorListing = {
  wycheproof: ['x25519', 'ed25519', 'ecdsa_secp256r1_sha256_p1363', 'chacha20_poly1305', 'hkdf_sha256', 'hmac_sha256'],
  age: readdirSync(join(VEC, 'age/testdata')).sort(),
  merkle: [...walk('merkle/testdata/inclusion').map((p) => `inclusion/${p}`), ...walk('merkle/testdata/consistency').map((p) => `consistency/${p}`)].filter((p) => p.endsWith('.json')).sort(),
  receipts: ['valid-eddsa', 'valid-es256', 'fail-tampered-path', 'fail-unsupported-vds', 'fail-bad-statement-sig'],
};

const available = chromiumPath() !== undefined;
if (!available && !REQUIRE_BROWSER) console.warn('[browser] no Chromium: browser vector tests skipped (CI=true makes this a failure)');

describe.skipIf(!available && !REQUIRE_BROWSER)('vectors in Chromium (portable backend)', () => {
  let session: Awaited<ReturnType<typeof launch>>;
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL('./vectors-entry.ts', import.meta.url)));
    server = await serve((path) => {
      if (path === '/') return { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/vectors.js"></script>' };
      if (path === '/vectors.js') return { type: 'text/javascript', body: script };
      if (path.startsWith('/vectors/') && !path.includes('..')) {
        const file = join(VEC, decodeURIComponent(path.slice('/vectors/'.length)));
        return { type: 'application/octet-stream', body: async () => new Uint8Array(readFileSync(file)) };
      }
      return undefined;
    });
    session = await launch();
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await server?.close();
  });

  it('every case gives the same outcome as in Node', async () => {
    const expected = await execVectors(async (p) => new Uint8Array(readFileSync(join(VEC, p))), LIST);
    const page = await session.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => 'runVectors' in globalThis);
    const got = (await page.evaluate((list) => (globalThis as unknown as { runVectors: (l: unknown) => Promise<Record<string, string>> }).runVectors(list), LIST)) as Record<string, string>;
    expect(errors).toEqual([]);
    const differ = Object.keys(expected).filter((k) => got[k] !== expected[k]).map((k) => `${k}: node ${expected[k]} browser ${got[k]}`);
    expect(differ).toEqual([]);
    expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
    // nothing crashed anywhere, and every set ran
    expect(Object.entries(got).filter(([, v]) => v.includes('crash:'))).toEqual([]);
    const per = (prefix: string): number => Object.keys(got).filter((k) => k.startsWith(prefix)).length;
    expect(per('wycheproof/x25519/')).toBe(518);
    expect(per('wycheproof/ed25519/')).toBe(151);
    expect(per('wycheproof/ecdsa_secp256r1_sha256_p1363/')).toBe(262);
    expect(per('wycheproof/chacha20_poly1305/')).toBe(325);
    expect(per('merkle/')).toBe(196);
    expect(per('receipts/')).toBe(10);
    expect(per('age/')).toBeGreaterThan(200);
    expect(got['c2sp-notes/example-foo']).toBe('ok');
    expect(got['c2sp-notes/example-foo-altered']).not.toBe('ok');
    await page.close();
  }, 180_000);
});
