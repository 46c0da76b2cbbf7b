/**
 * FINDINGS F-5: a writer killed mid-write (SIGKILL) leaves its temp file; the next writer to the
 * same final name removes it (its pid is dead), never touching a live writer's file or anything
 * else. Also: rewrapFile keeps the input's permission bits.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/envelope/index.js';
import { decryptFile, encryptFile, rewrapFile } from '../../src/node/envelope.js';
import { AtomicWriter, removeOrphanTemps } from '../../src/node/files.js';
import { pseudoRandom, sha } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-orphans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const id = generateIdentity();
const FIXTURE = new URL('./fixtures/slow-writer.ts', import.meta.url).pathname;
const temps = (final: string) => readdirSync(dir).filter((n) => n.startsWith(`.${final}.`) && n.endsWith('.tmp'));

/** Starts the fixture and SIGKILLs it as soon as its temp file exists; resolves with its pid. */
function killMidWrite(mode: 'enc' | 'dec', input: string, output: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=custos-source', FIXTURE, mode, input, output, key], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('started')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL' && !out.includes('finished')) resolve(child.pid!);
      else reject(new Error(`child was not killed mid-write (${signal ?? _code}): ${out} ${err}`));
    });
  });
}

describe('orphan temp files (F-5)', () => {
  const plain = join(dir, 'plain.bin');
  const data = pseudoRandom(32 * 1024 * 1024, 5);
  writeFileSync(plain, data);

  it('encryptFile killed mid-write: the next encryptFile to the same name removes the orphan', async () => {
    const out = join(dir, 'image.age');
    const pid = await killMidWrite('enc', plain, out, id.recipient);
    expect(existsSync(out)).toBe(false); // nothing partial under the final name
    const left = temps('image.age');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^\\.image\\.age\\.${pid}\\.[0-9a-f]{16}\\.tmp$`));
    await encryptFile(plain, out, id.recipient);
    expect(temps('image.age')).toEqual([]);
    await decryptFile(out, join(dir, 'image.out'), id.identity);
    expect(sha(readFileSync(join(dir, 'image.out')))).toBe(sha(data));
  }, 60_000);

  it('decryptFile killed mid-write: the next decryptFile to the same name removes the orphan', async () => {
    const enc = join(dir, 'd.age');
    await encryptFile(plain, enc, id.recipient);
    const out = join(dir, 'd.out');
    await killMidWrite('dec', enc, out, id.identity);
    expect(existsSync(out)).toBe(false);
    expect(temps('d.out')).toHaveLength(1);
    await decryptFile(enc, out, id.identity);
    expect(temps('d.out')).toEqual([]);
    expect(statSync(out).size).toBe(data.length);
  }, 60_000);

  it('never removes a live writer’s temp file, other names, or look-alikes', async () => {
    const final = join(dir, 'x.age');
    const live = await AtomicWriter.create(final); // this process: alive
    const dead = `.x.age.999999999.${'0'.repeat(16)}.tmp`; // pid far above pid_max: no such process
    const others = ['.x.age.5.tmp', `.x.age.1.${'0'.repeat(15)}.tmp`, `.y.age.999999999.${'0'.repeat(16)}.tmp`, `.x.age.5.999999999.${'0'.repeat(16)}.tmp`];
    for (const n of [dead, ...others]) writeFileSync(join(dir, n), 'x');
    expect(await removeOrphanTemps(final)).toEqual([dead]);
    for (const n of others) expect(existsSync(join(dir, n))).toBe(true);
    expect(temps('x.age')).toHaveLength(1 + 3); // the live one and three look-alikes of x.age
    await live.write([new Uint8Array([1, 2, 3])]);
    await live.commit();
    expect(readFileSync(final)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('rewrapFile keeps the input file’s mode (in place and to another output)', async () => {
    const p = join(dir, 'r.age');
    await encryptFile(plain, p, id.recipient);
    chmodSync(p, 0o600);
    await rewrapFile(p, id.identity, { add: generateIdentity().recipient });
    expect(statSync(p).mode & 0o777).toBe(0o600);
    chmodSync(p, 0o640);
    await rewrapFile(p, id.identity, { add: generateIdentity().recipient }, { output: join(dir, 'r2.age') });
    expect(statSync(join(dir, 'r2.age')).mode & 0o777).toBe(0o640);
    await rewrapFile(p, id.identity, { add: generateIdentity().recipient }, { output: join(dir, 'r3.age'), mode: 0o644 });
    expect(statSync(join(dir, 'r3.age')).mode & 0o777).toBe(0o644);
  }, 60_000);
});
