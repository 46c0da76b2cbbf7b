/**
 * The static verifier page (dist/verifier) in a real Chromium, on a demo bundle: what a court
 * clerk would do, driven through the page's own inputs.
 *
 * Attacks and failures checked: a tampered bundle must never show VERIFIED (the failed check is
 * named); the page must make no network request beyond its own three files (every request
 * intercepted; the CSP forbids connections); bundle strings reach the page as text, never as
 * markup; opening refuses a wrong purpose and offers plaintext only after its SHA-256 matched the
 * seal. The verdict and its check list must be exactly those of `verifyBundle` in Node.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifier } from '../../scripts/build-verifier.js';
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js';
import { TrustStore } from '../../src/keys/trust.js';
import { verifyBundle } from '../../src/node/bundle.js';
import { readTarIndex } from '../../src/bundle/tar.js';
import { chromiumPath, launch, REQUIRE_BROWSER, serve } from './chromium.js';

const ARTEFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const available = chromiumPath() !== undefined;
if (!available && !REQUIRE_BROWSER) console.warn('[browser] no Chromium: verifier page tests skipped (CI=true makes this a failure)');

describe.skipIf(!available && !REQUIRE_BROWSER)('the verifier page in Chromium', () => {
  let dir: string;
  let page_: string;
  let demo: DemoResult;
  let session: Awaited<ReturnType<typeof launch>>;
  let server: Awaited<ReturnType<typeof serve>>;
  let tampered: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-verifier-'));
    page_ = join(dir, 'page');
    await buildVerifier(page_);
    demo = await runDemo({ dir: join(dir, 'demo'), imageSize: 3 * 65536 + 123, print: () => undefined });
    if (!demo.ok) throw new Error('demo failed');
    // a tampered copy: one bit of the disk item's payload flipped (tar structure intact)
    const b = new Uint8Array(readFileSync(demo.bundle));
    const e = (await readTarIndex(async (o, n) => b.subarray(o, o + n), b.length)).find((x) => x.name === 'items/disk.age')!;
    b[e.offset + e.size - 100]! ^= 0x10;
    tampered = join(dir, 'tampered.tar');
    writeFileSync(tampered, b);
    const files: Record<string, string> = { '/': 'index.html', '/index.html': 'index.html', '/custos-verifier.js': 'custos-verifier.js', '/custos-verifier.css': 'custos-verifier.css' };
    const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript', css: 'text/css' };
    server = await serve((path) => {
      const f = files[path];
      return f === undefined ? undefined : { type: types[f.split('.').pop()!]!, body: new Uint8Array(readFileSync(join(page_, f))) };
    });
    session = await launch();
  }, 240_000);
  afterAll(async () => {
    await session?.close();
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function openPage() {
    const context = await session.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    // the memory + download path (a headless browser cannot answer a native save dialog)
    await page.addInitScript(() => {
      delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    });
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (!url.startsWith(server.url)) outside.push(url);
      return route.continue();
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    return { context, page, outside, errors };
  }

  async function verifyIn(page: Awaited<ReturnType<typeof openPage>>['page'], bundle: string): Promise<string> {
    await page.setInputFiles('#bundle', bundle);
    await page.setInputFiles('#trust', demo.trust);
    await page.click('#verify');
    await page.waitForFunction(() => document.body.dataset['verdict'] !== undefined, undefined, { timeout: 120_000 });
    return (await page.textContent('#verdict')) ?? '';
  }

  it('verifies the demo bundle: VERIFIED first, every check of the Node verifier listed, no network request', async () => {
    const { context, page, outside, errors } = await openPage();
    const before = server.requests.length;
    const verdict = await verifyIn(page, demo.bundle);
    expect(errors).toEqual([]);
    expect(verdict).toMatch(/^VERIFIED/);
    const node = await verifyBundle(demo.bundle, { trust: TrustStore.parse(readFileSync(demo.trust, 'utf8')) });
    expect(node.ok).toBe(true);
    const rows = await page.$$eval('#checks tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')));
    expect(rows.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).toEqual(node.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.check} ${c.subject ?? ''}`));
    // the page's own files only, all before verification; nothing while verifying
    expect(outside).toEqual([]);
    expect(server.requests.slice(before)).toEqual([]);
    expect(new Set(server.requests)).toEqual(new Set(['/', '/custos-verifier.js', '/custos-verifier.css']));
    // a connection attempt from the page is blocked by its Content-Security-Policy
    const blocked = await page.evaluate(async (u) => fetch(u).then(() => 'sent', () => 'blocked'), `${server.url}/index.html`);
    expect(blocked).toBe('blocked');
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'verifier-verified.png'), fullPage: false });
    await context.close();
  }, 180_000);

  it('a tampered bundle is NOT VERIFIED, naming the failed check', async () => {
    const { context, page, errors } = await openPage();
    const verdict = await verifyIn(page, tampered);
    expect(errors).toEqual([]);
    expect(verdict).toMatch(/^NOT VERIFIED/);
    expect(verdict).not.toMatch(/^VERIFIED/);
    const failed = await page.$$eval('#checks tbody tr', (trs) => trs.filter((tr) => tr.children[0]?.textContent === 'FAILED').map((tr) => `${tr.children[1]?.textContent} ${tr.children[2]?.textContent}`));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((f) => f.includes('items/disk.age') || f.includes('disk'))).toBe(true);
    expect(verdict).toContain(failed[0]!.split(' ')[0]!);
    await page.screenshot({ path: join(ARTEFACTS, 'verifier-tampered.png') });
    await context.close();
  }, 180_000);

  it('opens an item with the key file: a wrong purpose is refused; the saved plaintext has the sealed SHA-256', async () => {
    const { context, page, errors } = await openPage();
    expect(await verifyIn(page, demo.bundle)).toMatch(/^VERIFIED/);
    await page.selectOption('#item', 'disk');
    await page.setInputFiles('#key', demo.requesterKey);
    await page.fill('#request', 'AT-WKSTA-2026-000417');
    await page.fill('#purpose', 'marketing');
    await page.click('#open');
    await page.waitForFunction(() => /^Not opened/.test(document.getElementById('open-status')?.textContent ?? ''));
    expect(await page.textContent('#open-status')).toContain('ERR_CONTEXT_MISMATCH');
    expect(await page.isHidden('#save')).toBe(true);
    await page.fill('#purpose', 'investigation');
    await page.click('#open');
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('open-status')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const saved = join(dir, 'opened.img');
    await download.saveAs(saved);
    const sha = createHash('sha256').update(readFileSync(saved)).digest('hex');
    expect(await page.textContent('#open-status')).toContain(sha);
    // the same bytes custos open gives in Node: the demo's image, whose SHA-256 the seal holds
    const node = await verifyBundle(demo.bundle, { trust: TrustStore.parse(readFileSync(demo.trust, 'utf8')) });
    expect(node.checks.find((c) => c.check === 'seal' && c.subject === 'disk')?.detail).toContain(sha.slice(0, 16));
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);
});
