/**
 * Every runnable example in examples/ runs to completion, so the README's code cannot rot.
 * Each runs in its own process exactly as the README says (tsx, sources, `custos-source`).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const examples = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts')).sort();

/** What each example must print: a line that only a successful run produces. */
const EXPECT: Record<string, RegExp> = {
  'bundle.ts': /ok {3}seal\.payload mailbox[\s\S]*open for another purpose: ERR_CONTEXT_MISMATCH\nopened: mailbox export, 3 messages$/m,
  'custody.ts': /ok true, custodian now AT-STA-WIEN[\s\S]*without event 1: ok false, first failure ERR_/,
  'envelope.ts': /PQ \+ X25519 in one file: ERR_PQ_MIXED[^]*payload unchanged: true\ncourt opens it: true/,
  'log.ts': /tlog-proof for entry 1: ok true[\s\S]*COSE receipt: \d+ bytes, ok true\nwrong entry: ok false/,
};

describe('examples/', () => {
  it('has one example per pillar at least', () => {
    expect(examples).toEqual(expect.arrayContaining(['bundle.ts', 'custody.ts', 'envelope.ts', 'log.ts']));
  });
  it('imports only the public entry points, as an application would (custos, custos/node, node: built-ins)', () => {
    for (const f of examples) {
      const src = readFileSync(new URL(`../examples/${f}`, import.meta.url), 'utf8');
      const specifiers = [...src.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'|^import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
      expect(specifiers.length, f).toBeGreaterThan(0);
      for (const s of specifiers) expect(s, `${f} imports ${s}`).toMatch(/^(custos|custos\/node|node:[a-z_/]+)$/);
    }
  });
  for (const f of examples) {
    it(`${f} runs`, () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions', 'custos-source', `examples/${f}`], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(out.length).toBeGreaterThan(0);
      const want = EXPECT[f];
      if (want !== undefined) expect(out).toMatch(want);
    });
  }
});
