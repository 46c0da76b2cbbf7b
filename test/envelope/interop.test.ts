/**
 * Interop with independent implementations: the reference `age` CLI (Go, Debian 1.1.1: X25519,
 * armor; it predates the hybrid recipient) and the `age-encryption` npm package (typage: X25519,
 * mlkem768x25519, scrypt), in both directions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import { afterAll, describe, expect, it } from 'vitest';
import { ScryptIdentity, ScryptRecipient, armor, decrypt, encrypt, generateIdentity } from '../../src/envelope/index.js';
import { decryptFile, encryptFile } from '../../src/node/envelope.js';
import { pseudoRandom, sha } from './helpers.js';

const hasAge = spawnSync('age', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'custos-age-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input?: Uint8Array): Uint8Array {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 17];

describe.skipIf(!hasAge)('age CLI (Go reference)', () => {
  const keyFile = join(dir, 'key.txt');
  run('age-keygen', ['-o', keyFile]);
  const identityText = readFileSync(keyFile, 'utf8');
  const recipient = Buffer.from(run('age-keygen', ['-y', keyFile])).toString('utf8').trim();

  for (const n of SIZES) {
    it(`custos → age -d, ${n} bytes`, async () => {
      const data = pseudoRandom(n, n + 3);
      const enc = await encrypt(data, [recipient]);
      expect(sha(run('age', ['-d', '-i', keyFile], enc))).toBe(sha(data));
    });
    it(`age -r → custos, ${n} bytes`, async () => {
      const data = pseudoRandom(n, n + 4);
      const enc = run('age', ['-r', recipient], data);
      expect(sha(await decrypt(enc, identityText))).toBe(sha(data));
    });
  }

  it('armor both ways, and age -e -i (identity file as recipient)', async () => {
    const data = pseudoRandom(100_000, 9);
    const armored = run('age', ['-a', '-r', recipient], data);
    expect(sha(await decrypt(armored, identityText))).toBe(sha(data));
    const ours = new TextEncoder().encode(armor(await encrypt(data, [recipient])));
    expect(sha(run('age', ['-d', '-i', keyFile], ours))).toBe(sha(data));
    expect(sha(await decrypt(run('age', ['-e', '-i', keyFile], data), identityText))).toBe(sha(data));
  });

  it('several recipients, custos identity key file read by age', async () => {
    const ours = generateIdentity();
    const idFile = join(dir, 'ours.txt');
    writeFileSync(idFile, `# custos\n${ours.identity}\n`);
    const data = pseudoRandom(70_000, 10);
    const enc = run('age', ['-r', recipient, '-r', ours.recipient], data);
    expect(sha(await decrypt(enc, ours.identity))).toBe(sha(data));
    const back = await encrypt(data, [ours.recipient, recipient]);
    expect(sha(run('age', ['-d', '-i', idFile], back))).toBe(sha(data));
  });

  // `age -p` only reads passphrases from a terminal: drive it through a pseudo-terminal.
  const PTY = [
    'import os, pty, sys',
    'pw = sys.argv[1].encode(); pid, fd = pty.fork()',
    'if pid == 0: os.execvp(sys.argv[2], sys.argv[2:])',
    "out = b''; sent = 0",
    'while True:',
    '    try: data = os.read(fd, 1024)',
    '    except OSError: break',
    '    if not data: break',
    '    out += data',
    "    if out.lower().count(b'passphrase') > sent: os.write(fd, pw + b'\\n'); sent += 1",
    'sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))',
  ].join('\n');
  const hasPty = spawnSync('python3', ['-c', 'import pty']).status === 0;

  it.skipIf(!hasPty)('passphrases: age -p → custos and custos scrypt → age -d', async () => {
    const data = pseudoRandom(70_000, 13);
    writeFileSync(join(dir, 'pw.bin'), data);
    run('python3', ['-c', PTY, 'hunter2 is long', 'age', '-p', '-o', join(dir, 'pw.age'), join(dir, 'pw.bin')]);
    const theirs = new Uint8Array(readFileSync(join(dir, 'pw.age')));
    expect(sha(await decrypt(theirs, [new ScryptIdentity('hunter2 is long')]))).toBe(sha(data));
    writeFileSync(join(dir, 'pw2.age'), await encrypt(data, [new ScryptRecipient('hunter2 is long', { logN: 14 })]));
    run('python3', ['-c', PTY, 'hunter2 is long', 'age', '-d', '-o', join(dir, 'pw2.out'), join(dir, 'pw2.age')]);
    expect(sha(readFileSync(join(dir, 'pw2.out')))).toBe(sha(data));
  });

  it('encryptFile → age -d and age → decryptFile', async () => {
    const data = pseudoRandom(2 * 1024 * 1024 + 5, 11);
    const plain = join(dir, 'plain.bin');
    writeFileSync(plain, data);
    await encryptFile(plain, join(dir, 'ours.age'), [recipient]);
    expect(sha(run('age', ['-d', '-i', keyFile, join(dir, 'ours.age')]))).toBe(sha(data));
    run('age', ['-r', recipient, '-o', join(dir, 'theirs.age'), plain]);
    await decryptFile(join(dir, 'theirs.age'), join(dir, 'theirs.out'), identityText);
    expect(sha(readFileSync(join(dir, 'theirs.out')))).toBe(sha(data));
  });
});

describe('age-encryption (typage)', () => {
  for (const pq of [true, false]) {
    const kind = pq ? 'mlkem768x25519' : 'X25519';
    for (const n of [0, 1, 65536, 200_000]) {
      it(`${kind}: typage → custos and custos → typage, ${n} bytes`, async () => {
        const { identity, recipient } = generateIdentity({ pq });
        const data = pseudoRandom(n, n + 5);
        const e = new Encrypter();
        e.addRecipient(recipient);
        const theirs = await e.encrypt(data);
        expect(sha(await decrypt(theirs, [identity]))).toBe(sha(data));
        const d = new Decrypter();
        d.addIdentity(identity);
        expect(sha(await d.decrypt(await encrypt(data, [recipient])))).toBe(sha(data));
      });
    }
  }

  it('typage-generated hybrid identities work in custos and vice versa', async () => {
    const { generateHybridIdentity, identityToRecipient: theirRecipient } = await import('age-encryption');
    const theirId = await generateHybridIdentity();
    const theirRcpt = await theirRecipient(theirId);
    const data = pseudoRandom(1234, 77);
    expect(sha(await decrypt(await encrypt(data, [theirRcpt]), [theirId]))).toBe(sha(data));
    const ours = generateIdentity({ pq: true });
    expect(await theirRecipient(ours.identity)).toBe(ours.recipient);
  });

  it('scrypt both ways (low work factor)', async () => {
    const data = pseudoRandom(5000, 12);
    const e = new Encrypter();
    e.setPassphrase('correct horse');
    e.setScryptWorkFactor(12);
    expect(sha(await decrypt(await e.encrypt(data), [new ScryptIdentity('correct horse')]))).toBe(sha(data));
    const d = new Decrypter();
    d.addPassphrase('correct horse');
    expect(sha(await d.decrypt(await encrypt(data, [new ScryptRecipient('correct horse', { logN: 12 })])))).toBe(sha(data));
  });
});
