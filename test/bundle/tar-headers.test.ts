/**
 * Tar header metadata (issue 17, item 8): no digest covers a tar header, and `tar -x` as root
 * applies what it says (mode 06777 makes a setuid, world-writable item; uid/gid pick the owner;
 * mtime dates the file). So the reader accepts exactly the headers custos writes, and the
 * verifier binds the one archive mtime to the signed manifest's `created`.
 *
 * Attacks, each with its stable code (the table below): a header rewritten with its checksum
 * recomputed (mode, uid/gid, uname/gname, linkname, devmajor/devminor, prefix, old-style type
 * NUL, hidden bytes after a name's NUL, numeric fields in another spelling); one entry
 * back-dated (an mtime other than the archive's); every header re-dated together (passes the
 * reader, refused by the verifier against the signed time); unsafe names (`..`, absolute, in the
 * name, the prefix or a pax path); link, device, directory, GNU and global-pax types; pax records
 * that override the path of a plain name, carry mtime/uid/uname, or are missing where the writer
 * puts one; and, as a property, any one byte of any header changed with the checksum repaired.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { joinBytes, utf8 } from '../../src/bytes.js';
import { readTarIndex, TAR_BLOCK, TAR_END, tarHeader, tarMtime, tarPadding, type TarEntry } from '../../src/bundle/tar.js';
import { encrypt } from '../../src/envelope/index.js';
import { isCustosError } from '../../src/errors.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 60);
const MTIME = 1_774_626_300;
const longName = `items/${'x'.repeat(150)}.age`;

function tarOf(files: [string, Uint8Array][], mtime = MTIME): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [n, d] of files) parts.push(tarHeader(n, d.length, { mtime }), d, new Uint8Array(tarPadding(d.length)));
  parts.push(TAR_END);
  return joinBytes(parts);
}

const read = (b: Uint8Array) => async (o: number, n: number) => {
  if (o < 0 || n < 0 || o + n > b.length) throw new Error(`read ${o}+${n} beyond ${b.length}`);
  return b.slice(o, o + n);
};
async function outcome(b: Uint8Array): Promise<string> {
  try {
    await readTarIndex(read(b), b.length);
    return 'ok';
  } catch (e) {
    if (isCustosError(e)) return e.code;
    throw e;
  }
}

/** Recomputes the ustar checksum of the header block at `off` (what a forger does). */
function fixSum(b: Uint8Array, off: number): void {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[off + i]!;
  b.set(utf8(sum.toString(8).padStart(6, '0')), off + 148);
  b[off + 154] = 0;
  b[off + 155] = 0x20;
}

/** Writes `value` into a header field (zero-filled to its length) and repairs the checksum. */
function setField(b: Uint8Array, header: number, off: number, len: number, value: string | Uint8Array): Uint8Array {
  const out = b.slice();
  const v = typeof value === 'string' ? utf8(value) : value;
  out.fill(0, header + off, header + off + len);
  out.set(v.subarray(0, len), header + off);
  fixSum(out, header);
  return out;
}

/** A pax header (type x, written like custos writes one) with `body` as its records, then `main`. */
function paxBefore(main: Uint8Array, body: string, mtime = MTIME): Uint8Array {
  const pb = utf8(body);
  const ph = tarHeader('PaxHeaders/p', pb.length, { mtime }).slice(0, TAR_BLOCK);
  ph[156] = 'x'.charCodeAt(0);
  fixSum(ph, 0);
  return joinBytes([ph, pb, new Uint8Array(tarPadding(pb.length)), main]);
}
function record(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = utf8(body).length + 1;
  while (String(len).length + utf8(body).length !== len) len++;
  return `${len}${body}`;
}

const data = new Uint8Array([1, 2, 3]);
const good = tarOf([['items/a.age', data], ['manifest.cose', data]]);
/** The single-entry archive every row of the table starts from (header at 0). */
const one = tarOf([['items/a.age', data]]);
const withBody = (h: Uint8Array) => joinBytes([h, data, new Uint8Array(tarPadding(data.length)), TAR_END]);
const oneHeader = one.slice(0, TAR_BLOCK);
const second = TAR_BLOCK + TAR_BLOCK; // offset of good's second header

const TABLE: [string, Uint8Array, string][] = [
  // permission bits: what `tar -x` as root would apply
  ['mode 06777 (setuid + setgid, world-writable)', setField(one, 0, 100, 8, '0006777'), 'ERR_TAR_METADATA'],
  ['mode 04755 (setuid)', setField(one, 0, 100, 8, '0004755'), 'ERR_TAR_METADATA'],
  ['mode 0666 (world-writable)', setField(one, 0, 100, 8, '0000666'), 'ERR_TAR_METADATA'],
  ['mode 0755 (executable)', setField(one, 0, 100, 8, '0000755'), 'ERR_TAR_METADATA'],
  ['mode 0644 spelled " 644 " (same number, other bytes)', setField(one, 0, 100, 8, ' 644 '), 'ERR_TAR_METADATA'],
  // owner
  ['uid 1000 instead of 0', setField(one, 0, 108, 8, '0001750'), 'ERR_TAR_METADATA'],
  ['gid 1000 instead of 0', setField(one, 0, 116, 8, '0001750'), 'ERR_TAR_METADATA'],
  ['uname "root"', setField(one, 0, 265, 32, 'root'), 'ERR_TAR_METADATA'],
  ['gname "wheel"', setField(one, 0, 297, 32, 'wheel'), 'ERR_TAR_METADATA'],
  // time: one entry dated differently from the rest of the archive
  ['the second entry back-dated by one second', setField(good, second, 136, 12, (MTIME - 1).toString(8).padStart(11, '0')), 'ERR_TAR_METADATA'],
  ['the first entry dated to 1970', setField(good, 0, 136, 12, '00000000000'), 'ERR_TAR_METADATA'],
  // fields a regular file never carries
  ['linkname on a regular file', setField(one, 0, 157, 100, '/etc/shadow'), 'ERR_TAR_METADATA'],
  ['devmajor 8', setField(one, 0, 329, 8, '0000010'), 'ERR_TAR_METADATA'],
  ['prefix "evil" (entry becomes evil/items/a.age)', setField(one, 0, 345, 155, 'evil'), 'ERR_TAR_METADATA'],
  ['type NUL (old-style regular file)', setField(one, 0, 156, 1, new Uint8Array(1)), 'ERR_TAR_METADATA'],
  ['hidden bytes after the name\'s NUL', setField(one, 0, 0, 100, utf8('items/a.age\0hidden')), 'ERR_TAR_METADATA'],
  // names
  ['name with ..', setField(one, 0, 0, 100, '../a.age'), 'ERR_TAR'],
  ['name a/../../b', setField(one, 0, 0, 100, 'items/../../b'), 'ERR_TAR'],
  ['absolute name', setField(one, 0, 0, 100, '/etc/cron.d/x'), 'ERR_TAR'],
  ['prefix ".." (entry becomes ../items/a.age)', setField(one, 0, 345, 155, '..'), 'ERR_TAR'],
  // types
  ['symlink (type 2) to /etc/passwd', setField(setField(one, 0, 157, 100, '/etc/passwd'), 0, 156, 1, '2'), 'ERR_TAR'],
  ['hardlink (type 1) to /etc/passwd', setField(setField(one, 0, 157, 100, '/etc/passwd'), 0, 156, 1, '1'), 'ERR_TAR'],
  ['character device (type 3)', setField(one, 0, 156, 1, '3'), 'ERR_TAR'],
  ['directory (type 5)', setField(one, 0, 156, 1, '5'), 'ERR_TAR'],
  ['FIFO (type 6)', setField(one, 0, 156, 1, '6'), 'ERR_TAR'],
  ['GNU long name (type L)', setField(one, 0, 156, 1, 'L'), 'ERR_TAR'],
  ['global pax header (type g)', setField(one, 0, 156, 1, 'g'), 'ERR_TAR'],
  // pax records
  ['pax path overriding a plain name', withBody(paxBefore(oneHeader, record('path', 'items/other.age'))), 'ERR_TAR_METADATA'],
  ['pax path repeating a plain name (custos writes none)', withBody(paxBefore(oneHeader, record('path', 'items/a.age'))), 'ERR_TAR_METADATA'],
  ['pax path ../../etc/passwd', withBody(paxBefore(oneHeader, record('path', '../../etc/passwd'))), 'ERR_TAR'],
  ['pax path absolute', withBody(paxBefore(oneHeader, record('path', '/etc/passwd'))), 'ERR_TAR'],
  ['pax mtime record', withBody(paxBefore(oneHeader, record('mtime', String(MTIME - 86400)))), 'ERR_TAR_METADATA'],
  ['pax uid record', withBody(paxBefore(oneHeader, record('uid', '0'))), 'ERR_TAR_METADATA'],
  ['pax uname record', withBody(paxBefore(oneHeader, record('uname', 'root'))), 'ERR_TAR_METADATA'],
  ['pax linkpath record', withBody(paxBefore(oneHeader, record('linkpath', '/etc/passwd'))), 'ERR_TAR'],
  ['pax header with another mtime than its entry', withBody(paxBefore(oneHeader, record('path', 'items/a.age'), MTIME + 1)), 'ERR_TAR_METADATA'],
];

describe('tar headers: exactly what custos writes', () => {
  it('the archives the table starts from are accepted, with their one mtime and mode 0644', async () => {
    for (const b of [good, one, tarOf([[longName, data], ['records/Zeugenaussage-Müller.cbor', data]])]) {
      const entries = await readTarIndex(read(b), b.length);
      expect(entries.every((e) => e.mtime === MTIME && e.mode === 0o644)).toBe(true);
    }
  });

  it.each(TABLE)('%s → %s', async (_name, bytes, code) => {
    expect(await outcome(bytes)).toBe(code);
  });

  it('a long name without its pax header is another entry (the ustar stand-in name), never the long one', async () => {
    const b = tarOf([[longName, data]]);
    const main = b.slice(b.length - TAR_END.length - TAR_BLOCK - TAR_BLOCK, b.length - TAR_END.length - TAR_BLOCK);
    const entries = await readTarIndex(read(withBody(main)), withBody(main).length);
    expect(entries.map((e) => e.name)).not.toContain(longName);
  });

  it('property: any one byte of any header changed, checksum repaired, is refused or changes the listing', async () => {
    const base = tarOf([['items/a.age', data], [longName, new Uint8Array(600)], ['records/Zeugenaussage-Müller.cbor', data]]);
    const entries = await readTarIndex(read(base), base.length);
    const headers: number[] = [];
    let pos = 0;
    for (const e of entries) {
      for (let p = pos; p < e.offset; p += TAR_BLOCK) headers.push(p);
      pos = e.offset + e.size + tarPadding(e.size);
    }
    const listing = (es: TarEntry[]) => es.map((e) => `${e.name}:${e.size}:${e.offset}:${e.mtime}:${e.mode}`).join('|');
    const want = listing(entries);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...headers), fc.integer({ min: 0, max: TAR_BLOCK - 1 }), fc.integer({ min: 1, max: 255 }), async (h, i, x) => {
        if (i >= 148 && i < 156) return; // the checksum itself is repaired below
        const b = base.slice();
        b[h + i] = b[h + i]! ^ x;
        fixSum(b, h);
        let got: TarEntry[] | undefined;
        try {
          got = await readTarIndex(read(b), b.length);
        } catch (e) {
          if (!isCustosError(e)) throw e;
          return;
        }
        // accepted only as a different archive (a renamed or resized entry), which the
        // manifest's names and sizes refuse
        expect(listing(got)).not.toBe(want);
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('the writer refuses a mode other than 0644 and an mtime a header cannot hold', () => {
    for (const mode of [0o755, 0o6777, 0o600]) {
      expect(() => tarHeader('a', 1, { mode })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(() => tarHeader('a', 1, { mtime: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => tarHeader('a', 1, { mtime: 8 ** 11 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(tarMtime('2026-03-27T15:45:00.999Z')).toBe(MTIME);
  });
});

describe('bundle: the one tar mtime is the signed manifest time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-tarhdr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sender = SigningKey.generate();
  const trust = TrustStore.parse({
    version: 1,
    authorities: [{ id: 'IE-P', name: 'Provider', jurisdiction: 'IE', roles: ['custodian'], keys: [trustedKeyEntry(sender.alg, sender.publicKey, new Date(Date.now() - 3_600_000))] }],
  });
  const policy = { requireSeal: false } as const;
  const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);

  async function bundle(): Promise<{ path: string; bytes: Uint8Array; created: string }> {
    const path = join(dir, 'b.tar');
    const created = new Date(Date.now() - 60_000);
    await createBundle(path, { signer: sender, issuer: 'IE-P', request: 'R1', created, items: [{ id: 'disk', encrypted: await encrypt(data, [generateIdentity().recipient]) }] });
    return { path, bytes: new Uint8Array(readFileSync(path)), created: created.toISOString() };
  }
  async function headerOffsets(b: Uint8Array): Promise<number[]> {
    const out: number[] = [];
    let pos = 0;
    for (const e of await readTarIndex(read(b), b.length)) {
      for (let p = pos; p < e.offset; p += TAR_BLOCK) out.push(p);
      pos = e.offset + e.size + tarPadding(e.size);
    }
    return out;
  }

  it('every header carries tarMtime(created) and verify reports tar.mtime passed', async () => {
    const { path, bytes, created } = await bundle();
    const entries = await readTarIndex(read(bytes), bytes.length);
    expect(entries.every((e) => e.mtime === tarMtime(created))).toBe(true);
    const r = await verifyBundle(path, { trust, policy });
    expect(r.checks.find((c) => c.check === 'tar.mtime')?.ok).toBe(true);
  });

  it('every header re-dated together (checksums repaired: the reader alone cannot tell) fails tar.mtime', async () => {
    const { path, bytes } = await bundle();
    const before = failed(await verifyBundle(path, { trust, policy }));
    const b = bytes.slice();
    for (const h of await headerOffsets(b)) {
      b.set(utf8((MTIME - 86_400 * 365).toString(8).padStart(11, '0')), h + 136);
      fixSum(b, h);
    }
    expect(await outcome(b)).toBe('ok');
    writeFileSync(path, b);
    const after = failed(await verifyBundle(path, { trust, policy }));
    expect(after.sort()).toEqual([...before, 'tar.mtime:ERR_TAR_METADATA'].sort());
  });

  it('one header of a bundle made setuid (mode 06777, checksum repaired) fails the tar check', async () => {
    const { path, bytes } = await bundle();
    const [, h] = await headerOffsets(bytes);
    writeFileSync(path, setField(bytes, h!, 100, 8, '0006777'));
    const r = await verifyBundle(path, { trust, policy });
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['tar:ERR_TAR_METADATA']);
  });
});
