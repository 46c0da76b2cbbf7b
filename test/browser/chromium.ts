/**
 * A real Chromium for the browser tests: Debian's `chromium` driven by playwright-core, headless,
 * with background networking off (this machine has no network but loopback) and a fresh profile
 * that playwright creates and removes, and a static file
 * server on 127.0.0.1 whose every request is recorded.
 *
 * Without a Chromium the tests skip with a message, except in CI (CI=true), where a missing
 * browser fails: `.ci/run` installs it.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env['CUSTOS_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => p !== undefined && p !== '');

/** The Chromium executable, or undefined (the caller skips, unless in CI). */
export function chromiumPath(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** Whether browser tests must run: in CI a missing Chromium is a failure, not a skip. */
export const REQUIRE_BROWSER = process.env['CI'] === 'true' || process.env['CI'] === '1';

export async function launch(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error('no Chromium found (install Debian chromium, or set CUSTOS_CHROMIUM)');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export interface Route {
  readonly type: string;
  readonly body: Uint8Array | string | (() => Promise<Uint8Array>);
  readonly headers?: Readonly<Record<string, string>>;
}

/** A static server on 127.0.0.1 (random port); every requested path is recorded. */
export async function serve(routes: (path: string) => Route | undefined): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    const r = routes(path);
    if (r === undefined || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      const body = typeof r.body === 'function' ? await r.body() : r.body;
      res.writeHead(200, { 'content-type': r.type, 'cache-control': 'no-store', ...r.headers });
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Bundles `entry` for the browser as esbuild does for an application: the portable backend, no Node built-ins. */
export async function bundleForBrowser(entry: string, options: { minify?: boolean } = {}): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['custos-source'],
    minify: options.minify ?? false,
    logLevel: 'error',
  });
  const out = r.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced nothing');
  return out.text;
}
