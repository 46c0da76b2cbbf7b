/**
 * Terminal escapes (issue 17, item 10): strings from a bundle, a chain, a trust store, a request
 * or the command line reach human CLI output only escaped, by one helper in the output layer.
 *
 * Attacks covered: an issuer / authority name that returns the carriage, erases the line, moves
 * the cursor up and prints a green "VERIFIED" (exit code 1 stays, the screen would lie); a bidi
 * override or isolate that reorders the verdict line (Trojan Source); a newline that starts a
 * line of its own; C1 CSI (U+009B), DEL, zero-width and tag characters; private-use code points
 * that could pass for the colour markers; an escape in a command-line argument echoed in a
 * usage error. JSON output keeps every string exact.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeTerminal } from '../../src/cli/escape.js';
import { renderLine, Styled } from '../../src/cli/io.js';
import { encrypt } from '../../src/envelope/index.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { trustedKeyEntry } from '../../src/keys/trust.js';
import { createBundle } from '../../src/node/bundle.js';
import { buildCli, cleanupCli, runCli } from './build.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 100);

/** Everything a terminal may act on: C0, DEL, C1, format characters, separators, private use. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ue000-\uf8ff\u{e0001}-\u{e007f}\u{f0000}-\u{10ffff}]/u;

/** Erase the line, move up one, print a green verdict: what a hostile issuer string tries. */
const FAKE = 'IE-P\r\x1b[2K\x1b[1A\x1b[2K\x1b[32mVERIFIED: 99 checks passed\x1b[0m\n\u202eVERIFIED\u202c\u2066x\u2069\u009b2K\x7f\u200b\udb40\udc41\ue000';

describe('escapeTerminal', () => {
  const table: [string, string, string][] = [
    ['ESC and a CSI sequence', '\x1b[2K', '\\x1b[2K'],
    ['CR, LF, TAB', 'a\rb\nc\td', 'a\\rb\\nc\\td'],
    ['NUL, BEL, BS', '\0\x07\x08', '\\x00\\x07\\x08'],
    ['DEL', '\x7f', '\\x7f'],
    ['C1 CSI U+009B and NEL U+0085', '\u009b2K\u0085', '\\x9b2K\\x85'],
    ['bidi overrides U+202A–U+202E', '\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['bidi isolates U+2066–U+2069', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['marks LRM, RLM, ALM', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['zero-width space/joiners, BOM, word joiner', '\u200b\u200c\u200d\ufeff\u2060', '\\u200b\\u200c\\u200d\\ufeff\\u2060'],
    ['soft hyphen', 'a\u00adb', 'a\\xadb'],
    ['line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
    ['tag characters (outside the BMP)', '\u{e0041}\u{e007f}', '\\u{e0041}\\u{e007f}'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
    ['private use (the range colour could be mistaken for)', '\ue000\uf8ff', '\\ue000\\uf8ff'],
    ['plain text, accents, CJK, emoji, symbols stay', 'Müller 證據 🔒 ├─ “x” – ✓ ok', 'Müller 證據 🔒 ├─ “x” – ✓ ok'],
  ];
  it.each(table)('%s', (_n, input, want) => {
    expect(escapeTerminal(input)).toBe(want);
  });

  it('property: no output of any string holds a character a terminal acts on; safe text is unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const e = escapeTerminal(s);
        expect(ACTIVE.test(e)).toBe(false);
        // printable text (letters, marks, digits, punctuation, symbols, spaces) passes unchanged
        const printable = s.replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/gu, '');
        expect(escapeTerminal(printable)).toBe(printable);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('renderLine: the only place colour enters a line', () => {
  it('styled parts get their SGR sequence with colour on, nothing with it off; their text is escaped too', () => {
    expect(renderLine([new Styled('ok', 'VERIFIED'), ': 3 checks'], true)).toBe('\x1b[32mVERIFIED\x1b[0m: 3 checks');
    expect(renderLine([new Styled('ok', 'VERIFIED'), ': 3 checks'], false)).toBe('VERIFIED: 3 checks');
    expect(renderLine([new Styled('fail', 'FAIL'), ` manifest.signature: signed by ${FAKE}`], true)).not.toMatch(/\x1b\[(?!31m|0m)/);
    expect(renderLine([new Styled('bold', FAKE)], true)).toBe(`\x1b[1m${escapeTerminal(FAKE)}\x1b[0m`);
  });
  it('a styled part spliced into a template literal is its bare text (never colour codes)', () => {
    expect(`${new Styled('ok', 'ok')}`).toBe('ok');
  });
});

describe('custos CLI: hostile strings from a bundle and a trust store', () => {
  let cli: string;
  let dir: string;
  let bundle: string;
  let trust: string;
  beforeAll(async () => {
    cli = await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'custos-escape-'));
    const sender = SigningKey.generate();
    trust = join(dir, 'trust.json');
    writeFileSync(
      trust,
      JSON.stringify({
        version: 1,
        authorities: [{ id: FAKE, name: `Provider ${FAKE}`, jurisdiction: 'IE', roles: ['custodian'], keys: [trustedKeyEntry(sender.alg, sender.publicKey, new Date(Date.now() - 3_600_000))] }],
      }),
    );
    bundle = join(dir, 'b.tar');
    // No seal: verification fails (exit 1), and the screen must say so.
    await createBundle(bundle, { signer: sender, issuer: FAKE, request: `REQ${FAKE}`, items: [{ id: 'disk', encrypted: await encrypt(new Uint8Array(10), [generateIdentity().recipient]) }] });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    cleanupCli();
  });

  const noActive = (out: string) => {
    for (const [i, line] of out.split('\n').entries()) expect(ACTIVE.test(line), `line ${i}: ${JSON.stringify(line)}`).toBe(false);
  };

  it('verify: exit 1, every line escaped, the only verdict line is the real one, last', () => {
    const r = runCli(cli, ['verify', bundle, '--trust', trust]);
    expect(r.code).toBe(1);
    noActive(r.stdout);
    noActive(r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^\s*(NOT )?VERIFIED/.test(l))).toEqual([lines.at(-1)]);
    expect(lines.at(-1)).toMatch(/^NOT VERIFIED: \d+ of \d+ checks failed$/);
    // the hostile text is shown, escaped, on the manifest.signature line
    expect(r.stdout).toContain(escapeTerminal(FAKE));
  });

  it('inspect: every line escaped', () => {
    const r = runCli(cli, ['inspect', bundle]);
    expect(r.code, r.stderr).toBe(0);
    noActive(r.stdout);
    expect(r.stdout).toContain(`by ${escapeTerminal(FAKE)}`);
  });

  it('--json keeps every string exact (the report carries the raw issuer)', () => {
    const r = runCli(cli, ['verify', bundle, '--trust', trust, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; detail: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === 'manifest.signature')!.detail).toContain(FAKE);
    const i = JSON.parse(runCli(cli, ['inspect', bundle, '--json']).stdout) as { issuer: string };
    expect(i.issuer).toBe(FAKE);
  });

  it('a command-line argument echoed in an error is escaped', () => {
    const r = runCli(cli, [`verify\x1b[2K\rVERIFIED`]);
    expect(r.code).toBe(2);
    noActive(r.stderr);
    const r2 = runCli(cli, ['verify', bundle, '--trust', join(dir, 'missing\x1b[32m.json')]);
    expect(r2.code).toBe(3);
    noActive(r2.stderr);
  });
});
