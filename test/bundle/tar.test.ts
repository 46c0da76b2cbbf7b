import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readTarIndex, tarHeader, TAR_BLOCK, TAR_END, tarPadding, checkTarName } from '../../src/bundle/tar.js';
import { AtomicFile, TarFile, TarWriter } from '../../src/node/bundle-fs.js';
import { isCustosError } from '../../src/errors.js';
import { joinBytes } from '../../src/bytes.js';

const runs = Number(process.env.CUSTOS_FC_RUNS ?? 30);

function memTar(files: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [n, d] of files) parts.push(tarHeader(n, d.length, { mtime: 1_700_000_000 }), d, new Uint8Array(tarPadding(d.length)));
  parts.push(TAR_END);
  return joinBytes(parts);
}
const reader = (b: Uint8Array) => async (o: number, n: number) => {
  if (o + n > b.length) throw new Error('range');
  return b.slice(o, o + n);
};
async function code(p: Promise<unknown>): Promise<string> {
  try { await p; return 'ok'; } catch (e) { return isCustosError(e) ? e.code : String(e); }
}

const longName = `items/${'x'.repeat(150)}.age`;
const unicodeName = 'records/Zeugenaussage-Müller-證據.cbor';

describe('tar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-tar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips entries through the reader (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,12}(\/[a-z0-9][a-z0-9.]{0,11}){0,3}$/), fc.uint8Array({ maxLength: 2000 })), { selector: (t) => t[0], maxLength: 6 }),
      async (files) => {
        const tar = memTar(files);
        const idx = await readTarIndex(reader(tar), tar.length);
        expect(idx.map((e) => e.name)).toEqual(files.map((f) => f[0]));
        for (const [i, e] of idx.entries()) expect(tar.slice(e.offset, e.offset + e.size)).toEqual(files[i]![1]);
      }), { numRuns: runs });
  });

  it('is listed and extracted by the system tar, including pax names', async () => {
    const path = join(dir, 'a.tar');
    const f = await AtomicFile.create(path);
    const w = new TarWriter(f, { mtime: 1_700_000_000 });
    const big = new Uint8Array(700_000).map((_, i) => i * 7);
    await w.addBytes('manifest.cose', new Uint8Array([1, 2, 3]));
    await w.addStream(longName, big.length, (function* () { for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536); })());
    await w.addBytes(unicodeName, new Uint8Array(0));
    await w.finish();
    await f.commit();
    const list = execFileSync('tar', ['-tf', path], { encoding: 'utf8' }).trim().split('\n');
    expect(list).toEqual(['manifest.cose', longName, unicodeName]);
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xf', path, '-C', out]);
    expect(new Uint8Array(readFileSync(join(out, longName)))).toEqual(big);
    expect(readFileSync(join(out, unicodeName)).length).toBe(0);
    const t = await TarFile.open(path);
    expect(t.entries.map((e) => e.name)).toEqual(list);
    expect(await t.readAll('manifest.cose', 10)).toEqual(new Uint8Array([1, 2, 3]));
    await t.close();
  });

  it('refuses archives written by the system tar: their headers carry metadata custos never writes', async () => {
    // A bundle repacked by another tool is not the one that was signed: GNU tar's pax headers
    // carry mtime/atime/ctime records, its ustar headers the owner's uid/gid/uname and mode.
    const src = join(dir, 'src');
    mkdirSync(join(src, 'items'), { recursive: true });
    writeFileSync(join(src, 'items', 'a.age'), 'hello');
    const path = join(dir, 'sys.tar');
    execFileSync('tar', ['--format=pax', '-cf', path, '-C', src, 'items/a.age']);
    expect(await code(TarFile.open(path))).toBe('ERR_TAR_METADATA');
    execFileSync('tar', ['--format=ustar', '-cf', path, '-C', src, 'items/a.age']);
    expect(await code(TarFile.open(path))).toBe('ERR_TAR_METADATA');
  });

  it('rejects directories and links written by the system tar', async () => {
    const src = join(dir, 'src2');
    mkdirSync(join(src, 'd'), { recursive: true });
    const path = join(dir, 'dir.tar');
    // ustar format (no pax records in front), so the entry type itself is what is refused
    execFileSync('tar', ['--format=ustar', '-cf', path, '-C', src, 'd']);
    expect(await code(TarFile.open(path))).toBe('ERR_TAR');
    execFileSync('ln', ['-s', '/etc/passwd', join(src, 'l')]);
    execFileSync('tar', ['--format=ustar', '-cf', path, '-C', src, 'l']);
    expect(await code(TarFile.open(path))).toBe('ERR_TAR');
    // in pax format the pax header in front (mtime records) is refused first
    execFileSync('tar', ['--format=pax', '-cf', path, '-C', src, 'l']);
    expect(await code(TarFile.open(path))).toBe('ERR_TAR_METADATA');
  });

  it('rejects unsafe names', () => {
    for (const n of ['/etc/passwd', '../x', 'a/../../b', 'a//b', 'a\\b', '', 'a/./b', 'a\u0001']) {
      expect(() => checkTarName(n), n).toThrow(expect.objectContaining({ code: 'ERR_TAR' }));
    }
  });

  it('rejects hostile archives with ERR_TAR', async () => {
    const good = memTar([['a', new Uint8Array([1, 2, 3])], [longName, new Uint8Array(600)]]);
    expect(await code(readTarIndex(reader(good), good.length))).toBe('ok');
    const cases: [string, Uint8Array][] = [
      ['truncated', good.slice(0, good.length - TAR_BLOCK)],
      ['no end', good.slice(0, good.length - 2 * TAR_BLOCK)],
      ['odd size', good.slice(0, good.length - 1)],
      ['duplicate', memTar([['a', new Uint8Array(1)], ['a', new Uint8Array(1)]])],
    ];
    const trailing = new Uint8Array(good.length + TAR_BLOCK); trailing.set(good); trailing[trailing.length - 1] = 1;
    cases.push(['trailing garbage', trailing]);
    for (const [name, b] of cases) expect(await code(readTarIndex(reader(b), b.length)), name).toBe('ERR_TAR');
  });

  it('catches every single-byte change in headers, padding and the end marker (sampled)', async () => {
    const tar = memTar([['a', new Uint8Array([1, 2, 3])], [longName, new Uint8Array(600)], [unicodeName, new Uint8Array(5)]]);
    const idx = await readTarIndex(reader(tar), tar.length);
    const data = new Set<number>();
    for (const e of idx) for (let i = 0; i < e.size; i++) data.add(e.offset + i);
    let checked = 0;
    for (let pos = 0; pos < tar.length; pos += 5) {
      if (data.has(pos)) continue; // entry data is covered by the bundle manifest's digests
      for (const delta of [1, 0x20, 0x80]) {
        const b = tar.slice(); b[pos] = b[pos]! ^ delta;
        const r = await code(readTarIndex(reader(b), b.length));
        if (r === 'ok') {
          // a pax path change is still caught: the entry is renamed
          const again = await readTarIndex(reader(b), b.length);
          expect(again.map((e) => e.name), `pos ${pos} delta ${delta}`).not.toEqual(idx.map((e) => e.name));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});
