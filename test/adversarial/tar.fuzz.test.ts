/**
 * Hostile tar archives against the strict bundle tar reader: header mutations, pax records,
 * claimed sizes up to the field maximum, truncation, splicing. Every accepted archive must list
 * only safe, unique names whose data lies inside the archive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { joinBytes, utf8 } from '../../src/bytes.js';
import { checkTarName, readTarIndex, TAR_BLOCK, TAR_END, tarHeader, tarPadding, type TarEntry } from '../../src/bundle/tar.js';
import { CustosError } from '../../src/errors.js';
import { byteFlipSweep, counters, fuzz, truncationSweep, type Target } from './harness.js';

function tarOf(files: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of files) parts.push(tarHeader(name, data.length), data, new Uint8Array(tarPadding(data.length)));
  parts.push(TAR_END);
  return joinBytes(parts);
}

const samples = [
  tarOf([
    ['manifest.cose', utf8('m'.repeat(300))],
    ['items/a.age', new Uint8Array(700).fill(0xa5)],
    ['items/é-ünïcode-name.age', utf8('x')],
    [`long/${'d'.repeat(150)}/file.txt`, new Uint8Array(0)],
  ]),
  tarOf([['one', utf8('1')]]),
];

async function readMem(b: Uint8Array): Promise<TarEntry[]> {
  return readTarIndex(async (o, n) => {
    if (o < 0 || n < 0 || o + n > b.length) throw new Error(`reader asked for ${o}+${n} beyond ${b.length}`);
    return b.subarray(o, o + n);
  }, b.length);
}

const tar: Target<TarEntry[]> = {
  name: 'readTarIndex',
  samples,
  run: readMem,
  oracle: (b, entries) => {
    const names = new Set<string>();
    for (const e of entries) {
      try {
        checkTarName(e.name);
      } catch {
        return `accepted unsafe name ${JSON.stringify(e.name)}`;
      }
      if (names.has(e.name)) return `accepted duplicate name ${e.name}`;
      names.add(e.name);
      if (e.offset % TAR_BLOCK !== 0 || e.offset + e.size > b.length) return `entry ${e.name} lies outside the archive`;
    }
    return undefined;
  },
};

/** Recomputes the checksum of every block that carries the ustar magic, so field mutations reach the parser. */
function repairChecksums(input: Uint8Array): Uint8Array {
  const b = input.slice();
  for (let off = 0; off + TAR_BLOCK <= b.length; off += TAR_BLOCK) {
    if (b[off + 257] !== 0x75 || b[off + 258] !== 0x73) continue; // "us"tar
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[off + i]!;
    b.set(utf8(sum.toString(8).padStart(6, '0')), off + 148);
    b[off + 154] = 0;
    b[off + 155] = 0x20;
  }
  return b;
}

const tarRepaired: Target<TarEntry[]> = {
  name: 'readTarIndex (checksums repaired after mutation)',
  samples,
  run: (b) => readMem(repairChecksums(b)),
  oracle: (b, entries) => tar.oracle!(repairChecksums(b), entries),
};

describe('fuzz: bundle tar reader', () => {
  afterAll(() => console.log(`[adversarial] tar: ${counters.cases} cases`));
  it('samples parse', async () => {
    expect((await readMem(samples[0]!)).map((e) => e.name)).toHaveLength(4);
  });
  it('survives structured mutations and arbitrary bytes', async () => {
    await fuzz(tar);
  });
  it('survives header-field mutations with valid checksums', async () => {
    await fuzz(tarRepaired, { runs: 4 * Number(process.env.CUSTOS_FC_RUNS ?? 150) });
    expect([...(await byteFlipSweep(tarRepaired))]).toEqual([]);
  });
  it('every truncation (by block and by byte) and every byte flip', async () => {
    expect([...(await truncationSweep(tar)), ...(await byteFlipSweep(tar))]).toEqual([]);
  });
  it('a size field at its maximum (8 GiB − 1) and a pax size of 2^53 are refused, not allocated', async () => {
    const b = samples[1]!.slice();
    // size field "77777777777\0" and recomputed checksum
    b.set(utf8('77777777777'), 124);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
    b.set(utf8(sum.toString(8).padStart(6, '0')), 148);
    await expect(readMem(b)).rejects.toBeInstanceOf(CustosError);
  });
});
