/**
 * Hostile files through the built `custos` CLI: damaged bundles (verify, inspect, open),
 * damaged trust stores and key files, damaged requests. Every run must end with a documented
 * exit code (1 verification failed, 2 usage, 3 input/format), print a CustosError code, and
 * never a JavaScript internal error or a stack trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo/run.js';
import { buildCli, runCli } from '../cli/build.js';

const INTERNAL = /TypeError|RangeError|ReferenceError|SyntaxError: (?!.*JSON)|Cannot read propert|is not a function|is not iterable|Maximum call stack|\n\s+at .+:\d+:\d+/;

let cli = '';
let dir = '';
let bundle = '';
let trustPath = '';
let keyPath = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-cli-adv-'));
  const [c, demo] = await Promise.all([buildCli(), runDemo({ dir, imageSize: 3000, print: () => undefined })]);
  cli = c;
  bundle = demo.bundle;
  trustPath = demo.trust;
  keyPath = demo.requesterKey;
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(args: string[], label: string, okCodes = [1, 3]): void {
  const r = runCli(cli, args);
  expect(okCodes, `${label}: exit ${r.code}\n${r.stderr.slice(0, 400)}`).toContain(r.code);
  expect(INTERNAL.test(r.stderr + r.stdout), `${label}: ${r.stderr.slice(0, 400)}`).toBe(false);
}

describe('the CLI on hostile files', () => {
  it('damaged bundles: verify, inspect and open fail with a documented exit code', () => {
    const bytes = new Uint8Array(readFileSync(bundle));
    const variants: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['one block', bytes.subarray(0, 512)],
      ['half', bytes.subarray(0, Math.floor(bytes.length / 1024) * 512)],
      ['garbage', new Uint8Array(4096).fill(0x41)],
    ];
    for (let k = 0; k < 8; k++) {
      const v = bytes.slice();
      const p = Math.floor(((k + 0.5) / 8) * v.length);
      v[p]! ^= 0x10;
      variants.push([`flip at ${p}`, v]);
    }
    const bad = join(dir, 'bad.tar');
    const ref = join(dir, 'ref.bin');
    expect(runCli(cli, ['open', bundle, 'disk', '-k', keyPath, '--trust', trustPath, '--no-context-check', '-o', ref]).code).toBe(0);
    const reference = readFileSync(ref);
    for (const [label, v] of variants) {
      writeFileSync(bad, v);
      check(['verify', bad, '--trust', trustPath], `verify ${label}`);
      check(['verify', bad, '--trust', trustPath, '--json'], `verify --json ${label}`);
      check(['inspect', bad], `inspect ${label}`, [0, 1, 3]);
      // `open` checks the tar, the manifest and this item only: damage elsewhere may leave the
      // item openable, but then the bytes written must be exactly the genuine plaintext
      const out = join(dir, `out-${label.replace(/\W/g, '_')}.bin`);
      check(['open', bad, 'disk', '-k', keyPath, '--trust', trustPath, '--no-context-check', '-o', out], `open ${label}`, [0, 1, 3]);
      let written: Buffer | undefined;
      try {
        written = readFileSync(out);
      } catch {
        written = undefined;
      }
      if (written !== undefined) expect(written.equals(reference), `open ${label} wrote other bytes`).toBe(true);
    }
  }, 300_000);

  it('damaged trust stores, key files and requests are refused, not crashed on', () => {
    const trustText = readFileSync(trustPath, 'utf8');
    const keyText = readFileSync(keyPath, 'utf8');
    const cases: [string, string, (p: string) => string[]][] = [
      ['trust: not JSON', trustText.slice(0, 100), (p) => ['verify', bundle, '--trust', p]],
      ['trust: wrong version', trustText.replace('"version": 1', '"version": 2'), (p) => ['verify', bundle, '--trust', p]],
      ['trust: deep nesting', '['.repeat(100_000) + ']'.repeat(100_000), (p) => ['verify', bundle, '--trust', p]],
      ['trust: __proto__', '{"__proto__": {"version": 1}, "version": 1, "authorities": []}', (p) => ['verify', bundle, '--trust', p]],
      ['key: truncated', keyText.slice(0, keyText.length / 2), (p) => ['open', bundle, 'disk', '-k', p, '--trust', trustPath, '--no-context-check', '-o', join(dir, 'o2')]],
      ['key: null fields', keyText.replace(/"secret": "[^"]*"/, '"secret": null'), (p) => ['open', bundle, 'disk', '-k', p, '--trust', trustPath, '--no-context-check', '-o', join(dir, 'o3')]],
      ['key: pubkey of damaged', keyText.replace(/"identity": "[^"]*"/, '"identity": "AGE-SECRET-KEY-1QQQ"'), (p) => ['pubkey', p]],
      ['request: not an object', '42', (p) => ['request', 'validate', p]],
      ['request: deep nesting', '{"instrument":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}', (p) => ['request', 'validate', p]],
      ['checkpoint: garbage', 'x\n\n— y AAAA\n', (p) => ['log', 'verify', p, '--trust', trustPath]],
    ];
    for (const [label, text, args] of cases) {
      const p = join(dir, 'hostile.json');
      writeFileSync(p, text);
      check(args(p), label, [1, 2, 3]);
    }
  }, 300_000);
});
