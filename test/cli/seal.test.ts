/**
 * `custos seal` from the shell (issue 19): `-` reads stdin, `--to` takes public recipients,
 * `custos pubkey` output and trust-store authority ids, the item id and every other option are
 * checked before the input is read, and acquisition hashes / reported digests.
 *
 * Attacks and mistakes (each tested): a reported digest that differs (exit 1, no file of any of the
 * three outputs); a truncated pipe against the full media's digest; an item id the bundle would
 * refuse (exit 2 before the input is opened: a missing input file is not even looked at); a
 * `--to` name that is both an authority id and a file (ambiguous, refused); an authority whose
 * only key is revoked (no recipient: refused, never an empty recipient list); a pubkey document
 * of several authorities (refused: which one?); a huge file named by --to (bounded read, ERR_LIMIT).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { decryptFile } from '../../src/node/envelope.js';
import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
let dir: string;
const custos = (args: string[], input?: string | Uint8Array) => runCli(cli, args, input);
const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');
const data = crypto.randomBytes(3 * 1024 * 1024 + 999);
let ex: string;
let rq: string;
let rqDoc: { age: { identity: string; recipient: string }[] };
let trust: string;
const ctx = ['--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test'];

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-seal-cli-'));
  ex = join(dir, 'ex.key');
  rq = join(dir, 'rq.key');
  expect(custos(['keygen', '--id', 'executor.example.eu', '-o', ex]).code).toBe(0);
  expect(custos(['keygen', '--pq', '--id', 'requester.example.eu', '-o', rq]).code).toBe(0);
  rqDoc = JSON.parse(readFileSync(rq, 'utf8'));
  trust = join(dir, 'trust.json');
  writeFileSync(trust, custos(['pubkey', ex, rq]).stdout);
  writeFileSync(join(dir, 'raw.dd'), data);
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Decrypts with the requester's PQ identity (custos: the age CLI here may predate age1pq1). */
async function ageDecrypt(file: string): Promise<Buffer> {
  await decryptFile(file, join(dir, 'dec.bin'), [rqDoc.age[0]!.identity]);
  const b = readFileSync(join(dir, 'dec.bin'));
  rmSync(join(dir, 'dec.bin'));
  return b;
}

const outputs = () => readdirSync(dir).filter((f) => f.startsWith('o'));
function clean(): void {
  for (const f of outputs()) rmSync(join(dir, f));
}

describe('custos seal - (stdin)', () => {
  it('seals piped bytes in one read: the digests are those of the bytes piped; decryption gives them back', async () => {
    const out = join(dir, 'o.age');
    const r = custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--hash', 'sha256,sha1,md5,sha512', '-o', out, '--json'], data);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { sha256: string; size: number; digests: Record<string, string> };
    expect(j.size).toBe(data.length);
    expect(j.digests).toEqual({ 'sha-256': hex('sha256', data), 'sha-1': hex('sha1', data), md5: hex('md5', data), 'sha-512': hex('sha512', data) });
    expect(j.sha256).toBe(j.digests['sha-256']);
    expect(Buffer.compare(await ageDecrypt(out), data)).toBe(0);
    expect(existsSync(`${out}.cose`)).toBe(true);
    const human = custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '-o', join(dir, 'o2.age')], data);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`${hex('sha256', data)}  -\n`);
    clean();
  });

  it('an empty stdin seals the empty item', () => {
    const r = custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'empty', ...ctx, '-o', join(dir, 'o.age'), '--json'], new Uint8Array(0));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sha256).toBe(hex('sha256', new Uint8Array(0)));
    clean();
  });
});

describe('custos seal --hash / --reported / --digests-out', () => {
  it('--reported digests that match are checked; --digests-out writes the JSON map', () => {
    const dOut = join(dir, 'o.digests.json');
    const r = custos(['seal', join(dir, 'raw.dd'), '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--hash', 'sha1,md5', '--reported', `md5=${hex('md5', data).toUpperCase()}`, '--reported', `sha-1=${hex('sha1', data)}`, '--digests-out', dOut, '-o', join(dir, 'o.age'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { digests: Record<string, string>; reportedChecked: string[] };
    expect(j.reportedChecked).toEqual(['sha-1', 'md5']);
    expect(JSON.parse(readFileSync(dOut, 'utf8'))).toEqual({ 'sha-256': hex('sha256', data), 'sha-1': hex('sha1', data), md5: hex('md5', data) });
    clean();
  });

  it('a reported digest that differs, or a truncated pipe: exit 1, ERR_DIGEST_MISMATCH, and no output file at all', () => {
    const wrong = hex('md5', data).replace(/^./, (c) => (c === 'f' ? '0' : 'f'));
    for (const [input, reported] of [
      [data, `md5=${wrong}`],
      [data.subarray(0, data.length - 512), `sha1=${hex('sha1', data)}`], // the pipe lost the last sector
    ] as const) {
      const r = custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--reported', reported, '--digests-out', join(dir, 'o.digests.json'), '-o', join(dir, 'o.age'), '--json'], input);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('ERR_DIGEST_MISMATCH');
      expect(outputs()).toEqual([]);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  });

  it('malformed --hash/--reported: exit 2 before the input is read', () => {
    for (const bad of [['--hash', 'sha3'], ['--reported', 'md5'], ['--reported', 'md5=xyz'], ['--reported', `sha1=${hex('md5', data)}`], ['--reported', `md5=${hex('md5', data)}`, '--reported', `MD5=${hex('md5', data)}`]]) {
      const r = custos(['seal', join(dir, 'missing.dd'), '-k', ex, '--to', rq, '--id', 'disk', ...ctx, ...bad, '-o', join(dir, 'o.age')]);
      expect(r.code, `${bad.join(' ')}: ${r.stderr}`).toBe(2);
    }
    expect(outputs()).toEqual([]);
  });
});

describe('custos seal: outputs that name one file', () => {
  // Regression: with --force, `-o x.age --seal-out x.age` exited 0 and left only the seal (the age
  // file, for stdin the only copy of the encrypted evidence, was replaced); without --force the age
  // file was written and then the seal refused. Now a usage error before anything is read.
  it('-o, --seal-out, --digests-out or the input naming one file: exit 2, nothing written, the input untouched', () => {
    const o = join(dir, 'o.age');
    for (const [input, extra] of [
      ['-', ['--seal-out', o]],
      ['-', ['--digests-out', o]],
      ['-', ['--seal-out', join(dir, 'o.cose'), '--digests-out', join(dir, '.', 'o.cose')]],
      [join(dir, 'raw.dd'), ['--seal-out', join(dir, 'raw.dd')]],
    ] as const) {
      for (const force of [[], ['--force']]) {
        const r = custos(['seal', input, '-k', ex, '--to', rq, '--id', 'disk', ...ctx, ...extra, ...force, '-o', o, '--json'], data);
        expect(r.code, r.stderr).toBe(2);
        expect(JSON.parse(r.stdout).error.code).toBe('ERR_USAGE');
        expect(outputs()).toEqual([]);
      }
    }
    // Regression: --digests-out was first opened after the seal: a path that cannot be written
    // failed (exit 3) after the whole read, with the age file and the seal already committed
    const bad = custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--digests-out', join(dir, 'no-dir', 'd.json'), '-o', o, '--json'], data);
    expect(bad.code, bad.stderr).toBe(3);
    expect(JSON.parse(bad.stdout).error.code).toBe('ERR_IO');
    expect(outputs()).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const r = custos(['seal', join(dir, 'raw.dd'), '-k', ex, '--to', rq, '--id', 'disk', ...ctx, '--force', '-o', join(dir, 'raw.dd')]);
    expect(r.code, r.stderr).toBe(2);
    expect(Buffer.compare(readFileSync(join(dir, 'raw.dd')), data)).toBe(0);
  });
});

describe('custos seal: the item id is checked before any byte is read', () => {
  it('--id "Exhibit 17" is a usage error (exit 2) even when the input does not exist; nothing is written', () => {
    for (const id of ['Exhibit 17', '../x', '-x', '', 'a'.repeat(129), 'ex/17']) {
      const r = custos(['seal', join(dir, 'missing.dd'), '-k', ex, '--to', rq, '--id', id, ...ctx, '-o', join(dir, 'o.age'), '--json']);
      expect(r.code, id).toBe(2);
      expect(r.stderr).toContain('item id');
    }
    // the same id from stdin: refused, no output
    expect(custos(['seal', '-', '-k', ex, '--to', rq, '--id', 'Exhibit 17', ...ctx, '-o', join(dir, 'o.age')], data).code).toBe(2);
    expect(outputs()).toEqual([]);
    // a valid id with the missing input: now the input error (exit 3)
    expect(custos(['seal', join(dir, 'missing.dd'), '-k', ex, '--to', rq, '--id', 'Exhibit-17', ...ctx, '-o', join(dir, 'o.age')]).code).toBe(3);
  });
});

describe('custos seal --to', () => {
  const seal = (to: string[], extra: string[] = []) => custos(['seal', '-', '-k', ex, ...to.flatMap((t) => ['--to', t]), ...extra, '--id', 'disk', ...ctx, '-o', join(dir, 'o.age'), '--json'], data.subarray(0, 1000));
  /** The recipients' stanza types of the age file written (pq = mlkem768x25519). */
  const stanzas = () => {
    const head = readFileSync(join(dir, 'o.age')).subarray(0, 8000).toString('latin1');
    return [...head.matchAll(/^-> (\S+)/gm)].map((m) => m[1]);
  };

  it('a public recipient string, the pubkey output (file and string), an authority id of --trust, a key file', () => {
    const pq = rqDoc.age[0]!.recipient;
    expect(pq.startsWith('age1pq1')).toBe(true);
    const pubOut = custos(['pubkey', rq]).stdout;
    const pubFile = join(dir, 'rq.pub.json');
    writeFileSync(pubFile, pubOut);
    for (const [to, extra] of [[[pq], []], [[pubFile], []], [[pubOut], []], [['requester.example.eu'], ['--trust', trust]], [[rq], []]] as [string[], string[]][]) {
      const r = seal(to, extra);
      expect(r.code, `${to[0]!.slice(0, 40)}: ${r.stderr}`).toBe(0);
      expect(stanzas()).toEqual(['mlkem768x25519']); // post-quantum only: the item stays quantum-resistant
      clean();
    }
    // the X25519 executor has no PQ recipient: its X25519 one; with a PQ one too, mixing is refused unless allowed
    expect(seal(['executor.example.eu'], ['--trust', trust]).code).toBe(0);
    expect(stanzas()).toEqual(['X25519']);
    clean();
    const mixed = seal(['executor.example.eu', 'requester.example.eu'], ['--trust', trust]);
    expect(JSON.parse(mixed.stdout).error.code).toBe('ERR_PQ_MIXED');
    expect(seal(['executor.example.eu', 'requester.example.eu'], ['--trust', trust, '--allow-mixed-pq']).code).toBe(0);
    expect(stanzas().sort()).toEqual(['X25519', 'mlkem768x25519']);
    clean();
  });

  it('refuses what it cannot resolve (exit 2): unknown id, no --trust, ambiguous name, revoked key, several authorities, a bad recipient', () => {
    expect(seal(['nobody.example.eu'], ['--trust', trust]).code).toBe(2);
    expect(seal(['requester.example.eu']).code).toBe(2); // no --trust
    expect(seal([custos(['pubkey', ex, rq]).stdout]).code).toBe(2); // which of the two?
    expect(seal(['age1notarecipient']).code).toBe(2);
    // an authority id that is also a file in the working directory
    const amb = join(dir, 'requester.example.eu');
    writeFileSync(amb, '{}');
    const doc = JSON.parse(readFileSync(trust, 'utf8'));
    const t2 = join(dir, 'trust-amb.json');
    doc.authorities[1].id = amb;
    writeFileSync(t2, JSON.stringify(doc));
    expect(seal([amb], ['--trust', t2]).code).toBe(2);
    // the requester's only key revoked: no recipient
    const revoked = JSON.parse(readFileSync(trust, 'utf8'));
    revoked.authorities[1].keys[0].revokedAt = '2026-01-02T00:00:00Z';
    revoked.authorities[1].keys[0].notBefore = '2026-01-01T00:00:00Z';
    const t3 = join(dir, 'trust-rev.json');
    writeFileSync(t3, JSON.stringify(revoked));
    const rr = seal(['requester.example.eu'], ['--trust', t3]);
    expect(rr.code, rr.stderr).toBe(2);
    // a huge file named by --to is not read whole (bounded like a trust store: ERR_LIMIT, exit 3)
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 17 * 1024 * 1024);
    expect(JSON.parse(seal([huge]).stdout).error.code).toBe('ERR_LIMIT');
    rmSync(huge);
    expect(seal(['requester.example.eu'], ['--trust', '-']).code).toBe(2); // stdin carries the evidence
    expect(outputs()).toEqual([]);
  });
});
