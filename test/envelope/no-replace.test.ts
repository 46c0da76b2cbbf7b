/**
 * The atomic writer's no-replace commit (link to the final name, EEXIST → ERR_EXISTS) and the
 * process-wide temp registry the CLI's signal handler empties. Attacks, each tested:
 * - a file created at the final name after the writer started (the check-then-rename race);
 * - writers racing for one name: exactly one wins, its bytes are the file, none left a temp;
 * - a dangling symlink planted at the final name: refused, never followed;
 * - a temp file left behind after a refusal, an abort, or a registry that forgets one.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicWriter, isAtomicTemp, writeFileAtomic } from '../../src/node/files.js';
import { encryptFile } from '../../src/node/envelope.js';
import { generateIdentity } from '../../src/envelope/index.js';
import { registeredTemps, removeRegisteredTemps } from '../../src/node/temps.js';
import { codeOf } from './helpers.js';

const runs = Number(process.env.CUSTOS_FC_RUNS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'custos-noreplace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const temps = (): string[] => readdirSync(dir).filter(isAtomicTemp);
const u8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('AtomicWriter noReplace', () => {
  it('commits a new file; refuses an existing one (ERR_EXISTS) and leaves it byte for byte', async () => {
    const f = join(dir, 'a.txt');
    await writeFileAtomic(f, u8('first'), 0o644, { noReplace: true });
    expect(readFileSync(f, 'utf8')).toBe('first');
    expect(await codeOf(writeFileAtomic(f, u8('second'), 0o644, { noReplace: true }))).toBe('ERR_EXISTS');
    expect(readFileSync(f, 'utf8')).toBe('first');
    expect(temps()).toEqual([]);
    await writeFileAtomic(f, u8('third')); // the default still replaces (library callers)
    expect(readFileSync(f, 'utf8')).toBe('third');
  });

  it('a file that appears at the final name after create() is not replaced at the commit (no check-then-rename race)', async () => {
    const f = join(dir, 'late.txt');
    const w = await AtomicWriter.create(f, 0o644, { noReplace: true });
    await w.write([u8('mine')]);
    writeFileSync(f, 'theirs');
    expect(await codeOf(w.commit())).toBe('ERR_EXISTS');
    expect(readFileSync(f, 'utf8')).toBe('theirs');
    expect(temps()).toEqual([]);
    expect(registeredTemps()).toEqual([]);
  });

  it('a dangling symlink at the final name is refused and not followed', async () => {
    const f = join(dir, 'link.txt');
    const target = join(dir, 'target-never-written');
    symlinkSync(target, f);
    expect(await codeOf(writeFileAtomic(f, u8('x'), 0o644, { noReplace: true }))).toBe('ERR_EXISTS');
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(f).isSymbolicLink()).toBe(true);
    expect(temps()).toEqual([]);
  });

  it('property: writers racing for one name with noReplace: exactly one wins, the file is its bytes, no temp is left', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ minLength: 1, maxLength: 64 }), { minLength: 2, maxLength: 6 }), async (contents) => {
        const f = join(dir, `race-${round++}`);
        const writers = await Promise.all(contents.map(() => AtomicWriter.create(f, 0o644, { noReplace: true })));
        await Promise.all(writers.map((w, i) => w.write([u8(`${i}:${contents[i]}`)])));
        const results = await Promise.allSettled(writers.map((w) => w.commit()));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(won.length).toBe(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('ERR_EXISTS');
        expect(readFileSync(f, 'utf8')).toBe(`${won[0]}:${contents[won[0]!]}`);
        expect(temps()).toEqual([]);
      }),
      { numRuns: runs },
    );
  });

  it('encryptFile with noReplace refuses an existing output after the work, leaving it untouched', async () => {
    const a = generateIdentity();
    const src = join(dir, 'plain');
    writeFileSync(src, 'plain bytes');
    const out = join(dir, 'plain.age');
    writeFileSync(out, 'existing');
    expect(await codeOf(encryptFile(src, out, [a.recipient], { noReplace: true }))).toBe('ERR_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('existing');
    expect(temps()).toEqual([]);
  });
});

describe('the temp registry', () => {
  it('lists a writer\'s temp file until commit or abort; removeRegisteredTemps deletes what is listed, synchronously', async () => {
    const w1 = await AtomicWriter.create(join(dir, 'r1'));
    const w2 = await AtomicWriter.create(join(dir, 'r2'));
    expect(registeredTemps().length).toBe(2);
    expect(temps().length).toBe(2);
    await w1.write([u8('x')]);
    await w1.commit();
    expect(registeredTemps().length).toBe(1);
    const removed = removeRegisteredTemps();
    expect(removed.length).toBe(1);
    expect(temps()).toEqual([]);
    expect(registeredTemps()).toEqual([]);
    expect(readFileSync(join(dir, 'r1'), 'utf8')).toBe('x'); // a committed file is never touched
    expect(await codeOf(w2.commit())).toBe('ERR_IO'); // its temp is gone: no file appears
    expect(existsSync(join(dir, 'r2'))).toBe(false);
    const w3 = await AtomicWriter.create(join(dir, 'r3'));
    await w3.abort();
    expect(registeredTemps()).toEqual([]);
  });
});
