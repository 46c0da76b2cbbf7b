/**
 * POSIX tar (pax interchange format, IEEE 1003.1-2017 `pax` §"pax Interchange Format"): the
 * container of an evidence bundle.
 *
 * Writing: each entry is a ustar header (512 bytes), preceded by a pax extended header (type
 * `x`) when the name does not fit the 100-byte ustar name field or is not ASCII, or when the size
 * does not fit the 11 octal digits of the ustar size field (8 GiB − 1). Data is padded with zeros
 * to a 512-byte boundary; the archive ends with two zero blocks. Headers are deterministic: mode
 * 0644, uid/gid 0, fixed mtime, so the same inputs give the same bytes.
 *
 * Reading is strict and bounded, because a bundle comes from another agency and may be hostile:
 * every header checksum is checked, numeric fields must be octal, only regular files (and the
 * pax headers describing them) are accepted — no links, devices, directories or global headers —,
 * names must be relative, without `..`, empty components, backslashes or NUL, and unique; sizes
 * must fit {@link TAR_MAX_ENTRY_SIZE} and the archive; the end-of-archive marker must be present
 * and followed only by zeros.
 *
 * Header metadata is not covered by any digest, and `tar -x` run as root applies it (a mode of
 * 06777 makes a setuid, world-writable item). So the reader accepts only the headers the writer
 * produces, byte for byte: for each entry it rebuilds the pax and ustar headers {@link tarHeader}
 * writes for that name and size and refuses any difference with ERR_TAR_METADATA — mode 0644,
 * uid/gid 0, empty uname/gname, linkname and prefix, devmajor/devminor 0, type `0` (or `x` for
 * the pax header), pax records `path` (only for a name that does not fit ustar) and `size` (only
 * above 8 GiB − 1), the ustar name the writer derives. Every header of an archive carries one
 * mtime, which the bundle verifier binds to the signed manifest's `created` ({@link tarMtime}).
 */
import { fromUtf8, joinBytes, utf8 } from '../bytes.js';
import { fail } from '../errors.js';

/** Tar block size (POSIX ustar). */
export const TAR_BLOCK = 512;
/** Largest entry a bundle reader accepts: 1 TiB (disk images are large, but not unbounded). */
export const TAR_MAX_ENTRY_SIZE = 2 ** 40;
/** Largest pax extended header the reader accepts. */
export const TAR_MAX_PAX_SIZE = 64 * 1024;
/** Largest entry name (bytes of UTF-8). */
export const TAR_MAX_NAME = 1024;
/** Most entries a reader accepts in one archive. */
export const TAR_MAX_ENTRIES = 100_000;

const USTAR_MAX_SIZE = 0o77777777777;

/** One regular file in an archive, as the reader found it. */
export interface TarEntry {
  readonly name: string;
  readonly size: number;
  /** Byte offset of the entry's data in the archive. */
  readonly offset: number;
  readonly mtime: number;
  readonly mode: number;
}

/** Options for a written entry. */
export interface TarEntryOptions {
  /** Modification time, seconds since the epoch (default 0 for reproducible archives). */
  readonly mtime?: number;
  /** Permission bits: 0o644, the only mode a reader accepts (anything else is ERR_INVALID_ARGUMENT). */
  readonly mode?: number;
}

/** The only permission bits custos writes and accepts: rw-r--r--, no setuid/setgid/sticky. */
export const TAR_MODE = 0o644;
/** Largest mtime a ustar header can carry (11 octal digits). */
const USTAR_MAX_TIME = 0o77777777777;

/**
 * The tar mtime of every header of a bundle created at `created` (an ISO 8601 instant): whole
 * seconds since the epoch, rounded down. The writer stamps it, the verifier requires it, so the
 * header time is bound to the signed manifest.
 *
 * @example
 * ```ts
 * tarMtime('2026-03-27T15:45:00.250Z'); // 1774626300
 * ```
 */
export function tarMtime(created: string): number {
  const t = Date.parse(created);
  if (!Number.isFinite(t) || t < 0 || Math.floor(t / 1000) > USTAR_MAX_TIME) fail('ERR_INVALID_ARGUMENT', '"created" expected an instant from 1970 to 6325');
  return Math.floor(t / 1000);
}

/** Throws ERR_TAR unless `name` is a safe relative path (what we write and what we accept). */
export function checkTarName(name: string): string {
  const b = utf8(name);
  if (b.length === 0 || b.length > TAR_MAX_NAME) fail('ERR_TAR', 'entry name is empty or too long');
  if (name.includes('\0') || name.includes('\\')) fail('ERR_TAR', 'entry name contains NUL or a backslash');
  if (name.startsWith('/')) fail('ERR_TAR', 'entry name is absolute');
  for (const part of name.split('/')) {
    if (part === '' || part === '.' || part === '..') fail('ERR_TAR', `entry name has an unsafe component: ${JSON.stringify(name)}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) fail('ERR_TAR', 'entry name contains control characters');
  return name;
}

function putString(h: Uint8Array, off: number, len: number, s: string): void {
  const b = utf8(s);
  if (b.length > len) fail('ERR_INTERNAL', 'tar field overflow');
  h.set(b, off);
}

function putOctal(h: Uint8Array, off: number, len: number, n: number): void {
  // len-1 octal digits, zero-padded, then NUL (POSIX ustar numeric fields)
  const s = n.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) fail('ERR_INTERNAL', 'tar numeric field overflow');
  putString(h, off, len - 1, s);
  h[off + len - 1] = 0;
}

function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function ustarHeader(name: string, size: number, type: string, opts: TarEntryOptions): Uint8Array {
  const h = new Uint8Array(TAR_BLOCK);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, TAR_MODE);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, opts.mtime ?? 0);
  h[156] = type.charCodeAt(0);
  putString(h, 257, 6, 'ustar'); // "ustar\0"
  putString(h, 263, 2, '00');
  putOctal(h, 329, 8, 0);
  putOctal(h, 337, 8, 0);
  const sum = checksum(h);
  // checksum: 6 octal digits, NUL, space (the historical form every tar accepts)
  putString(h, 148, 6, sum.toString(8).padStart(6, '0'));
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

/** One pax record: `"<len> <key>=<value>\n"`, where len counts the whole record in bytes. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = utf8(body).length;
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function isPlainName(name: string): boolean {
  return utf8(name).length <= 100 && /^[\x20-\x7e]+$/.test(name);
}

/** Bytes of zero padding after `size` bytes of data. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/**
 * The header block(s) for a regular file of `size` bytes: a pax header when needed, then ustar.
 *
 * @example
 * ```ts
 * const head = tarHeader('items/a.age', data.length);
 * // write head, data, new Uint8Array(tarPadding(data.length)); finally TAR_END
 * ```
 */
export function tarHeader(name: string, size: number, opts: TarEntryOptions = {}): Uint8Array {
  checkTarName(name);
  if (!Number.isSafeInteger(size) || size < 0) fail('ERR_INVALID_ARGUMENT', '"size" expected a non-negative integer');
  if (opts.mode !== undefined && opts.mode !== TAR_MODE) fail('ERR_INVALID_ARGUMENT', '"mode" must be 0o644, the only mode a bundle reader accepts');
  const mtime = opts.mtime ?? 0;
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > USTAR_MAX_TIME) fail('ERR_INVALID_ARGUMENT', '"mtime" expected whole seconds that fit a ustar header');
  let pax = '';
  if (!isPlainName(name)) pax += paxRecord('path', name);
  if (size > USTAR_MAX_SIZE) pax += paxRecord('size', String(size));
  const main = ustarHeader(isPlainName(name) ? name : fallbackName(name), size > USTAR_MAX_SIZE ? 0 : size, '0', opts);
  if (pax === '') return main;
  const pb = utf8(pax);
  const ph = ustarHeader(`PaxHeaders/${fallbackName(name)}`.slice(0, 100), pb.length, 'x', opts);
  const out = new Uint8Array(TAR_BLOCK + pb.length + tarPadding(pb.length) + TAR_BLOCK);
  out.set(ph, 0);
  out.set(pb, TAR_BLOCK);
  out.set(main, out.length - TAR_BLOCK);
  return out;
}

/** An ASCII stand-in for readers that ignore pax (the pax `path` record is authoritative). */
function fallbackName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100).replace(/^\/+/, '');
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END: Uint8Array = new Uint8Array(2 * TAR_BLOCK);

/** Random-access reader over an archive: `read(offset, length)` returns exactly that range. */
export type TarRead = (offset: number, length: number) => Promise<Uint8Array>;

function field(h: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && h[end] !== 0) end++;
  return fromUtf8(h.subarray(off, end));
}

function octal(h: Uint8Array, off: number, len: number, what: string): number {
  const s = field(h, off, len).trim();
  if (!/^[0-7]{1,12}$/.test(s)) fail('ERR_TAR', `header field ${what} is not octal`);
  return parseInt(s, 8);
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const PAX_KEYS = new Set(['path', 'size', 'mtime', 'atime', 'ctime', 'uid', 'gid', 'uname', 'gname']);
/** The pax records the writer emits; the others of {@link PAX_KEYS} are known but refused. */
const WRITTEN_PAX_KEYS = new Set(['path', 'size']);

/** A ustar field as the writer fills it: the text, then zeros to the field's length. */
function fieldBytes(text: string, len: number): Uint8Array {
  const b = new Uint8Array(len);
  b.set(utf8(text));
  return b;
}

/**
 * The ustar fields whose value never depends on the entry, as the writer writes them, checked
 * one by one so a refusal names the field.
 */
const FIXED_FIELDS: readonly (readonly [string, number, Uint8Array])[] = [
  ['mode', 100, fieldBytes('0000644', 8)],
  ['uid', 108, fieldBytes('0000000', 8)],
  ['gid', 116, fieldBytes('0000000', 8)],
  ['linkname', 157, new Uint8Array(100)],
  ['uname', 265, new Uint8Array(32)],
  ['gname', 297, new Uint8Array(32)],
  ['devmajor', 329, fieldBytes('0000000', 8)],
  ['devminor', 337, fieldBytes('0000000', 8)],
  ['prefix', 345, new Uint8Array(155)],
  ['the unused tail', 500, new Uint8Array(12)],
];

function sameAt(h: Uint8Array, off: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (h[off + i] !== want[i]) return false;
  return true;
}

/** True when field [off, off+len) holds `digits` (ASCII) followed only by zeros. */
function textThenZeros(h: Uint8Array, off: number, len: number, text: string): boolean {
  if (text.length > len) return false;
  for (let i = 0; i < text.length; i++) if (h[off + i] !== text.charCodeAt(i)) return false;
  for (let i = off + text.length; i < off + len; i++) if (h[i] !== 0) return false;
  return true;
}

/**
 * Refuses (ERR_TAR_METADATA) an entry whose header blocks are not exactly those
 * {@link tarHeader} writes for (name, size, mtime). The fixed fields are checked first, by
 * name; then, for an entry without a pax header, the name, size, mtime and type fields in place
 * (the checksum then matches by construction: the reader has checked it against these bytes);
 * an entry with a pax header is compared byte for byte with the blocks the writer produces.
 */
function checkWrittenHeader(h: Uint8Array, name: string, size: number, mtime: number, paxBytes: Uint8Array | undefined): void {
  const refuse = (what: string): never => fail('ERR_TAR_METADATA', `entry ${JSON.stringify(name)}: ${what}`);
  for (const [what, off, want] of FIXED_FIELDS) {
    if (!sameAt(h, off, want)) refuse(`${what} is not the value custos writes`);
  }
  if (paxBytes === undefined) {
    // the writer uses a pax header for every name that is not plain, and for sizes above ustar's
    if (!isPlainName(name) || size > USTAR_MAX_SIZE) refuse('a pax header is missing');
    if (!textThenZeros(h, 0, 100, name)) refuse('the name field is not the one custos writes');
    if (!textThenZeros(h, 124, 12, size.toString(8).padStart(11, '0'))) refuse('the size field is not the one custos writes');
    if (!textThenZeros(h, 136, 12, mtime.toString(8).padStart(11, '0'))) refuse('the mtime field is not the one custos writes');
    if (h[156] !== 0x30) refuse('the type flag is not the one custos writes');
    return;
  }
  const expected = tarHeader(name, size, { mtime });
  const actual = joinBytes([paxBytes, h]);
  if (expected.length !== actual.length) refuse('a pax header custos would not write');
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== actual[i]) refuse(`header byte ${i} differs from what custos writes`);
  }
}

function parsePax(b: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < b.length) {
    let sp = pos;
    while (sp < b.length && sp - pos < 20 && b[sp] !== 0x20) sp++;
    const lenStr = String.fromCharCode(...b.subarray(pos, sp));
    if (!/^[1-9][0-9]*$/.test(lenStr)) fail('ERR_TAR', 'pax record length is malformed');
    const len = Number(lenStr);
    if (pos + len > b.length || b[pos + len - 1] !== 0x0a) fail('ERR_TAR', 'pax record overruns its header');
    const rec = fromUtf8(b.subarray(sp + 1, pos + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) fail('ERR_TAR', 'pax record has no key');
    const key = rec.slice(0, eq);
    if (!PAX_KEYS.has(key)) fail('ERR_TAR', `unsupported pax record "${key.slice(0, 40)}"`);
    if (!WRITTEN_PAX_KEYS.has(key)) fail('ERR_TAR_METADATA', `pax record "${key}" is not one custos writes`);
    if (out.has(key)) fail('ERR_TAR', `pax record "${key}" repeated`);
    out.set(key, rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Reads the table of contents of an archive of `total` bytes, checking every header strictly
 * (see the module comment). Entry data is not read.
 *
 * @example
 * ```ts
 * const entries = await readTarIndex((o, n) => readRange(fd, o, n), size);
 * ```
 */
export async function readTarIndex(read: TarRead, total: number): Promise<TarEntry[]> {
  if (!Number.isSafeInteger(total) || total < 0) fail('ERR_INVALID_ARGUMENT', '"total" expected a non-negative integer');
  if (total % TAR_BLOCK !== 0) fail('ERR_TAR', 'archive size is not a multiple of 512');
  const entries: TarEntry[] = [];
  const names = new Set<string>();
  let pos = 0;
  let pax: Map<string, string> | undefined;
  // the pax header block and its padded data, for the comparison with what the writer produces
  let paxBytes: Uint8Array | undefined;
  let archiveMtime: number | undefined;
  for (;;) {
    if (pos + TAR_BLOCK > total) fail('ERR_TAR', 'archive ends without the end-of-archive marker');
    const h = await read(pos, TAR_BLOCK);
    if (isZero(h)) {
      if (pax !== undefined) fail('ERR_TAR', 'pax header not followed by an entry');
      if (pos + 2 * TAR_BLOCK > total) fail('ERR_TAR', 'archive ends inside the end-of-archive marker');
      // Everything after the first zero block must be zeros (the second block, record padding).
      for (let p = pos + TAR_BLOCK; p < total; p += 64 * TAR_BLOCK) {
        if (!isZero(await read(p, Math.min(64 * TAR_BLOCK, total - p)))) fail('ERR_TAR', 'data after the end-of-archive marker');
      }
      return entries;
    }
    // Exactly "dddddd\0 " (what we and GNU tar write), so no byte of the field is free to change.
    if (h[154] !== 0 || h[155] !== 0x20 || !/^[0-7]{6}$/.test(field(h, 148, 6)) || parseInt(field(h, 148, 6), 8) !== checksum(h)) {
      fail('ERR_TAR', `header checksum mismatch at offset ${pos}`);
    }
    if (field(h, 257, 6) !== 'ustar' || h[262] !== 0 || h[263] !== 0x30 || h[264] !== 0x30) {
      fail('ERR_TAR', 'not a POSIX ustar header');
    }
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    if (type !== '0' && type !== 'x') fail('ERR_TAR', `entry type "${type}" is not allowed (only regular files)`);
    let size = octal(h, 124, 12, 'size');
    const dataOff = pos + TAR_BLOCK;
    const mtime = octal(h, 136, 12, 'mtime');
    if (archiveMtime === undefined) archiveMtime = mtime;
    else if (mtime !== archiveMtime) fail('ERR_TAR_METADATA', `header at offset ${pos} has another mtime than the archive's first header`);
    if (type === 'x') {
      if (pax !== undefined) fail('ERR_TAR', 'two pax headers in a row');
      if (size > TAR_MAX_PAX_SIZE) fail('ERR_TAR', 'pax header too large');
      if (dataOff + size > total) fail('ERR_TAR', 'pax header overruns the archive');
      const pb = await read(dataOff, size + tarPadding(size));
      if (!isZero(pb.subarray(size))) fail('ERR_TAR', 'non-zero padding after a pax header');
      pax = parsePax(pb.subarray(0, size));
      paxBytes = joinBytes([h, pb]);
      pos = dataOff + size + tarPadding(size);
      continue;
    }
    const prefix = field(h, 345, 155);
    let name = prefix === '' ? field(h, 0, 100) : `${prefix}/${field(h, 0, 100)}`;
    if (pax?.has('path')) name = pax.get('path')!;
    if (pax?.has('size')) {
      const s = pax.get('size')!;
      if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) fail('ERR_TAR', 'pax size is malformed');
      size = Number(s);
    }
    pax = undefined;
    checkTarName(name);
    if (names.has(name)) fail('ERR_TAR', `entry ${JSON.stringify(name)} appears twice`);
    if (size > TAR_MAX_ENTRY_SIZE) fail('ERR_LIMIT', `entry ${JSON.stringify(name)} exceeds the entry size limit`);
    checkWrittenHeader(h, name, size, mtime, paxBytes);
    paxBytes = undefined;
    if (dataOff + size + tarPadding(size) > total) fail('ERR_TAR', `entry ${JSON.stringify(name)} overruns the archive`);
    if (entries.length >= TAR_MAX_ENTRIES) fail('ERR_LIMIT', 'too many entries');
    names.add(name);
    entries.push({ name, size, offset: dataOff, mtime, mode: TAR_MODE });
    // Padding is outside every digest, so it must be zero: no byte of a bundle is unchecked.
    if (tarPadding(size) > 0 && !isZero(await read(dataOff + size, tarPadding(size)))) {
      fail('ERR_TAR', `non-zero padding after ${JSON.stringify(name)}`);
    }
    pos = dataOff + size + tarPadding(size);
  }
}
