/**
 * `npm run bench:browser [-- --mib 64 --runs 3]`: SHA-256 and ChaCha20-Poly1305 in a real Chromium
 * (Debian chromium, headless) for the portable backend (noble) against WebCrypto's one-shot
 * SHA-256, and the same primitives in this Node process (node:crypto and noble) as the same-run
 * reference. Prints MB/s and ratios.
 */
import * as nc from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as web from '../src/crypto/web.js';
import { bundleForBrowser, launch, serve } from '../test/browser/chromium.js';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' }, runs: { type: 'string', default: '3' } } });
const mib = Number(values.mib);
const runs = Number(values.runs);

function best(f: () => unknown, n: number): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const data = nc.randomBytes(mib << 20);
const mbps = (ms: number): number => data.length / 1e6 / (ms / 1000);
const key = Buffer.alloc(32, 7);
const nonce = Buffer.alloc(12);
const nodeRates: Record<string, number> = {
  'sha256 node:crypto one-shot': mbps(best(() => nc.createHash('sha256').update(data).digest(), runs)),
  'sha256 noble one-shot (Node)': mbps(best(() => web.sha256(data), runs)),
  'chacha20-poly1305 node:crypto 64 KiB chunks': mbps(best(() => {
    for (let o = 0; o < data.length; o += 65536) {
      const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      c.update(data.subarray(o, o + 65536));
      c.final();
      c.getAuthTag();
    }
  }, runs)),
  'chacha20-poly1305 noble 64 KiB chunks (Node)': mbps(best(() => {
    for (let o = 0; o < data.length; o += 65536) web.chacha20poly1305Seal(key, nonce, data.subarray(o, o + 65536));
  }, runs)),
};

const script = await bundleForBrowser(fileURLToPath(new URL('./browser/primitives-entry.ts', import.meta.url)), { minify: true });
const server = await serve((p) => (p === '/' ? { type: 'text/html', body: '<!doctype html><script type="module" src="/b.js"></script>' } : p === '/b.js' ? { type: 'text/javascript', body: script } : undefined));
const session = await launch();
try {
  const page = await session.browser.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => 'benchPrimitives' in globalThis);
  const inPage = (await page.evaluate(([m, r]) => (globalThis as unknown as { benchPrimitives: (m: number, r: number) => Promise<Record<string, number>> }).benchPrimitives(m!, r!), [mib, runs])) as Record<string, number>;
  const version = session.browser.version();
  console.log(`${new Date().toISOString()} Chromium ${version}, Node ${process.version}, ${mib} MiB, best of ${runs}`);
  for (const [k, v] of Object.entries(inPage)) console.log(`  Chromium  ${k.padEnd(40)} ${v.toFixed(0).padStart(6)} MB/s`);
  for (const [k, v] of Object.entries(nodeRates)) console.log(`  Node      ${k.padEnd(40)} ${v.toFixed(0).padStart(6)} MB/s`);
  const r = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}×` : '?');
  console.log(`  noble SHA-256 in Chromium ÷ WebCrypto one-shot: ${r(inPage['sha256 noble one-shot'], inPage['sha256 WebCrypto one-shot'])}`);
  console.log(`  noble ChaCha20-Poly1305 in Chromium ÷ node:crypto: ${r(inPage['chacha20-poly1305 noble 64 KiB chunks'], nodeRates['chacha20-poly1305 node:crypto 64 KiB chunks'])}`);
  console.log(`  load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  await session.close();
  await server.close();
}
