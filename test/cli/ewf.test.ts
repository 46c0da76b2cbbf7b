/**
 * A real peer for acquisition hashes: Debian's ewf-tools (libewf). A deterministic raw image is
 * acquired to an E01 by `ewfacquire` (MD5 and, with `-d sha1`, SHA-1 stored in the file), the
 * stored hashes are read back with `ewfinfo` and `ewfverify`, and custos seals both the E01 file
 * and the raw media piped from `ewfexport`, with the hashes libewf reported cross-checked
 * (`--reported`): the digests custos records must be exactly libewf's, and a wrong one must fail.
 *
 * Found here: ewfexport 20140813 writes its closing "ewfexport: SUCCESS\n" to stdout after the
 * media when the target is `-`, so the raw pipe carries 19 bytes too many; the cross-check
 * catches exactly that (an untrimmed pipe fails with ERR_DIGEST_MISMATCH), and the pipeline
 * trims to the media size ewfinfo states (`| head -c SIZE`).
 *
 * Without the tools the tests skip locally; in CI (CI=true) a missing tool is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, createChain, openCustodyEvent, verifyChain } from '../../src/custody/index.js';
import { TrustStore } from '../../src/keys/trust.js';
import { readKeyFile } from '../../src/cli/keyfile.js';
import { buildCli, cleanupCli, runCli } from './build.js';

const TOOLS = ['ewfacquire', 'ewfinfo', 'ewfverify', 'ewfexport'];
const have = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const missing = TOOLS.filter((t) => !have(t));
const REQUIRE = process.env['CI'] === 'true' || process.env['CI'] === '1';
const run = missing.length === 0 || REQUIRE;
if (!run) console.warn(`ewf-tools tests skipped: ${missing.join(', ')} not installed (apt-get install ewf-tools)`);

const MEDIA = 4 * 1024 * 1024;
let cli: string;
let dir: string;
let ex: string;
let rq: string;
const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');
const ctx = ['--case', 'C-EWF', '--purpose', 'investigation', '--legal-basis', 'test'];

/** A deterministic raw image: SHA-256 of the counter, repeated (no zero runs for compression to hide). */
function rawImage(): Uint8Array {
  const out = new Uint8Array(MEDIA);
  for (let i = 0; i < MEDIA / 32; i++) out.set(createHash('sha256').update(new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255])).digest(), i * 32);
  return out;
}

/** `MD5: hex` / `SHA1: hex` lines of ewfinfo's "Digest hash information", and its media size. */
function ewfinfo(e01: string): { md5: string; sha1: string; size: number } {
  const text = execFileSync('ewfinfo', [e01], { encoding: 'utf8' });
  const md5 = /^\s*MD5:\s+([0-9a-f]{32})\s*$/m.exec(text)?.[1];
  const sha1 = /^\s*SHA1:\s+([0-9a-f]{40})\s*$/m.exec(text)?.[1];
  const size = /^\s*Media size:.*\((\d+) bytes\)/m.exec(text)?.[1];
  if (md5 === undefined || sha1 === undefined || size === undefined) throw new Error(`ewfinfo output not understood:\n${text}`);
  return { md5, sha1, size: Number(size) };
}

describe.skipIf(!run)('ewf-tools as a peer (E01 acquisition hashes)', () => {
  let raw: Uint8Array;
  let stored: { md5: string; sha1: string; size: number };

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`CI requires ewf-tools: ${missing.join(', ')} not found`);
    cli = await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'custos-ewf-'));
    ex = join(dir, 'ex.key');
    rq = join(dir, 'rq.key');
    expect(runCli(cli, ['keygen', '--id', 'executor.example.eu', '--role', 'custodian', '-o', ex]).code).toBe(0);
    expect(runCli(cli, ['keygen', '--pq', '--id', 'requester.example.eu', '-o', rq]).code).toBe(0);
    raw = rawImage();
    writeFileSync(join(dir, 'raw.dd'), raw);
    // unattended, MD5 (always) and SHA-1 stored in the image
    execFileSync('ewfacquire', ['-u', '-q', '-d', 'sha1', '-t', join(dir, 'disk'), join(dir, 'raw.dd')], { stdio: 'ignore' });
    stored = ewfinfo(join(dir, 'disk.E01'));
  });
  afterAll(() => {
    cleanupCli();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('libewf stores the MD5 and SHA-1 of the media; ewfverify recomputes the same', () => {
    expect(stored).toEqual({ md5: hex('md5', raw), sha1: hex('sha1', raw), size: MEDIA });
    const v = execFileSync('ewfverify', ['-q', '-d', 'sha1', join(dir, 'disk.E01')], { encoding: 'utf8' });
    expect(v).toContain(`MD5 hash stored in file:\t\t${stored.md5}`);
    expect(v).toContain(`MD5 hash calculated over data:\t\t${stored.md5}`);
    expect(v).toContain(`SHA1 hash calculated over data:\t\t${stored.sha1}`);
  });

  it('seals the E01 file: the digests are those of the container file', () => {
    const out = join(dir, 'e01.age');
    const r = runCli(cli, ['seal', join(dir, 'disk.E01'), '-k', ex, '--to', rq, '--id', 'disk-e01', ...ctx, '--hash', 'sha256,sha1,md5', '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e01 = new Uint8Array(readFileSync(join(dir, 'disk.E01')));
    expect(JSON.parse(r.stdout).digests).toEqual({ 'sha-256': hex('sha256', e01), 'sha-1': hex('sha1', e01), md5: hex('md5', e01) });
  });

  /** `ewfexport` raw to stdout, optionally trimmed to the media size, piped into `custos seal -`. */
  function pipeline(trim: boolean, reported: string[], digestsOut: string): { code: number; stdout: string; stderr: string } {
    const seal = [process.execPath, cli, 'seal', '-', '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--hash', 'sha256,sha1,md5', ...reported.flatMap((x) => ['--reported', x]), '--digests-out', digestsOut, '-o', join(dir, 'piped.age'), '--json'];
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    // the status is custos' (the last stage): with the trim, ewfexport may die of SIGPIPE writing its
    // trailer after `head` has exited; what reached custos is checked by the digests anyway
    const cmd = `ewfexport -q -u -t - -f raw ${q(join(dir, 'disk.E01'))} 2>/dev/null${trim ? ` | head -c ${stored.size}` : ''} | ${seal.map(q).join(' ')}`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  it('seals the raw media piped from ewfexport with libewf\'s hashes cross-checked: custos (and the custody event made from --digests-out) records exactly them', async () => {
    const dOut = join(dir, 'piped.digests.json');
    const r = pipeline(true, [`md5=${stored.md5}`, `sha-1=${stored.sha1}`], dOut);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { digests: Record<string, string>; reportedChecked: string[]; size: number };
    expect(j.size).toBe(stored.size);
    expect(j.reportedChecked).toEqual(['sha-1', 'md5']);
    expect(j.digests).toEqual({ 'sha-256': hex('sha256', raw), 'sha-1': stored.sha1, md5: stored.md5 });
    expect(JSON.parse(readFileSync(dOut, 'utf8'))).toEqual(j.digests);
    // the custody chain records them: an `acquired` event with the --digests-out map, signed, verified, read back
    const keys = await readKeyFile(ex);
    const trust = TrustStore.parse(runCli(cli, ['pubkey', ex]).stdout);
    const map = JSON.parse(readFileSync(dOut, 'utf8')) as Record<string, string>;
    const digests = Object.fromEntries(Object.entries(map).map(([a, h]) => [a, new Uint8Array(Buffer.from(h, 'hex'))]));
    const { chain } = appendEvent(createChain('REQ-EWF/disk'), { type: 'acquired', actor: { authority: 'executor.example.eu', role: 'custodian' }, digests }, keys.signer, { trust });
    expect(verifyChain(chain, trust).ok).toBe(true);
    const recorded = openCustodyEvent(chain.events[0]!).event.digests ?? {};
    expect(Object.fromEntries(Object.entries(recorded).map(([a, d]) => [a, Buffer.from(d).toString('hex')]))).toEqual({ 'sha-256': hex('sha256', raw), 'sha-1': stored.sha1, md5: stored.md5 });
    rmSync(dOut);
    rmSync(join(dir, 'piped.age'));
    rmSync(join(dir, 'piped.age.cose'));
  });

  it('a wrong reported hash fails the seal (exit 1, ERR_DIGEST_MISMATCH) and leaves no file', () => {
    const wrongMd5 = stored.md5.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const r = pipeline(true, [`md5=${wrongMd5}`, `sha-1=${stored.sha1}`], join(dir, 'piped.digests.json'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_DIGEST_MISMATCH');
    expect(readdirSync(dir).filter((f) => f.startsWith('piped') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('the untrimmed pipe: whatever ewfexport appends to stdout is caught by the cross-check', () => {
    const extra = execFileSync('bash', ['-c', `ewfexport -q -u -t - -f raw '${join(dir, 'disk.E01')}' 2>/dev/null | wc -c`], { encoding: 'utf8' });
    const clean = Number(extra.trim()) === stored.size;
    const r = pipeline(false, [`md5=${stored.md5}`, `sha-1=${stored.sha1}`], join(dir, 'piped.digests.json'));
    // ewfexport 20140813 appends "ewfexport: SUCCESS\n": then the seal must fail; a fixed ewfexport seals
    expect(r.code, r.stderr).toBe(clean ? 0 : 1);
    if (!clean) expect(JSON.parse(r.stdout).error.code).toBe('ERR_DIGEST_MISMATCH');
  });
});
