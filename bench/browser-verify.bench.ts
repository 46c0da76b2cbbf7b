/**
 * `npm run bench:browser-verify [-- --sizes 200M,1G]`: the verifier page in a real Chromium
 * verifying demo bundles of each size, against `custos verify` (the built CLI on Node) on the
 * same bundle in the same run, and the page's JavaScript heap sampled every 100 ms while it
 * verifies (the peak should stay flat as the bundle grows: the page reads it by slices).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildVerifier } from '../scripts/build-verifier.js';
import { runDemo } from '../src/cli/demo/run.js';
import { launch, serve } from '../test/browser/chromium.js';
import { parseSize } from './compare/setup.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '200M,1G' } } });
const sizes = values.sizes!.split(',').map(parseSize);
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
try {
  statSync(cli);
} catch {
  throw new Error('run `npm run build` first (the Node side runs the built CLI)');
}
const dir = mkdtempSync(join(tmpdir(), 'custos-bench-browser-'));
try {
  const page = join(dir, 'page');
  await buildVerifier(page);
  const server = await serve((p) => {
    const f = p === '/' ? 'index.html' : p.slice(1);
    if (!['index.html', 'custos-verifier.js', 'custos-verifier.css'].includes(f)) return undefined;
    return { type: f.endsWith('.js') ? 'text/javascript' : f.endsWith('.css') ? 'text/css' : 'text/html', body: new Uint8Array(readFileSync(join(page, f))) };
  });
  const session = await launch();
  console.log(`${new Date().toISOString()} Chromium ${session.browser.version()}, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`);
  console.log('bundle size | Chromium page: time, MB/s, peak JS heap | custos verify (Node CLI): time, MB/s | ratio');
  for (const size of sizes) {
    const d = join(dir, `demo-${size}`);
    const demo = await runDemo({ dir: d, imageSize: size, print: () => undefined });
    if (!demo.ok) throw new Error('demo failed');
    const bytes = statSync(demo.bundle).size;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'verify', demo.bundle, '--trust', demo.trust, '--quiet'], { encoding: 'utf8' });
    const nodeMs = performance.now() - t0;
    if (r.status !== 0) throw new Error(`custos verify failed: ${r.stdout}${r.stderr}`);
    const context = await session.browser.newContext();
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Performance.enable');
    await tab.goto(`${server.url}/`);
    await tab.setInputFiles('#bundle', demo.bundle);
    await tab.setInputFiles('#trust', demo.trust);
    let peak = 0;
    const sampler = setInterval(() => {
      void cdp.send('Performance.getMetrics').then((m) => {
        const used = m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;
        peak = Math.max(peak, used);
      }, () => undefined);
    }, 100);
    const t1 = performance.now();
    await tab.click('#verify');
    await tab.waitForFunction(() => document.body.dataset['verdict'] !== undefined, undefined, { timeout: 1_800_000 });
    const pageMs = performance.now() - t1;
    clearInterval(sampler);
    const verdict = (await tab.textContent('.verdict-line')) ?? '';
    if (!verdict.startsWith('VERIFIED')) throw new Error(`page verdict: ${verdict}`);
    await context.close();
    const mbps = (ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(0);
    console.log(`${(bytes / 1e6).toFixed(0)} MB | ${(pageMs / 1000).toFixed(1)} s, ${mbps(pageMs)} MB/s, ${(peak / 2 ** 20).toFixed(0)} MiB | ${(nodeMs / 1000).toFixed(1)} s, ${mbps(nodeMs)} MB/s | ${(nodeMs / pageMs).toFixed(2)}×`);
    rmSync(d, { recursive: true, force: true });
  }
  console.log(`load at the end ${loadavg()[0]!.toFixed(1)}`);
  await session.close();
  await server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
