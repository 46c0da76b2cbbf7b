/**
 * Every named bound in src/limits.ts: accepted at its value, refused one past it with the
 * listed code, and listed in the README section "Limits on hostile input".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toBase64, utf8 } from '../../src/bytes.js';
import { readTarIndex, TAR_BLOCK, tarHeader, tarPadding } from '../../src/bundle/tar.js';
import { decode } from '../../src/cbor.js';
import { CustosError, type ErrorCode } from '../../src/errors.js';
import * as limits from '../../src/limits.js';
import { splitChain } from '../../src/custody/chain.js';
import { readChainFile } from '../../src/node/custody-file.js';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHeader } from '../../src/envelope/header.js';
import { encrypt } from '../../src/envelope/encrypt.js';
import { decrypt } from '../../src/envelope/decrypt.js';
import { ScryptIdentity, ScryptRecipient } from '../../src/envelope/scrypt.js';
import { parseNote } from '../../src/log/note.js';
import { encodeBundle } from '../../src/log/tiles.js';
import { parsePath } from '../../src/redact/path.js';
import { decodeManifest } from '../../src/bundle/manifest.js';
import { commitRecord } from '../../src/redact/commit.js';
import { decodeStatusEvent, signStatusEvent } from '../../src/request/events.js';
import { verifyStatusChain } from '../../src/request/verify.js';
import { validateRequest } from '../../src/request/validate.js';
import { TrustStore } from '../../src/keys/trust.js';
import { SigningKey } from '../../src/keys/signing.js';

const { LIMITS } = limits;
const tested = new Set<string>();

function code(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof CustosError) return e.code;
    throw e;
  }
}
async function codeAsync(f: () => Promise<unknown>): Promise<ErrorCode | 'none'> {
  try {
    await f();
    return 'none';
  } catch (e) {
    if (e instanceof CustosError) return e.code;
    throw e;
  }
}
function limit(name: string) {
  const l = LIMITS.find((x) => x.name === name);
  if (l === undefined) throw new Error(`no limit ${name}`);
  tested.add(name);
  return l;
}

// ---- a virtual tar archive: headers at offsets, zeros everywhere else (no memory for data)

interface Seg {
  readonly off: number;
  readonly bytes: Uint8Array;
}
function virtualTar(entries: { name: string; size: number; head?: Uint8Array }[]): { total: number; read: (o: number, n: number) => Promise<Uint8Array> } {
  const segs: Seg[] = [];
  let pos = 0;
  for (const e of entries) {
    const h = e.head ?? tarHeader(e.name, e.size);
    segs.push({ off: pos, bytes: h });
    pos += h.length + e.size + tarPadding(e.size);
  }
  const total = pos + 2 * TAR_BLOCK;
  const read = async (o: number, n: number) => {
    const out = new Uint8Array(n);
    // binary search for the last segment starting at or before o (segments are in order)
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.off <= o) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < segs.length && segs[i]!.off < o + n; i++) {
      const s = segs[i]!;
      if (s.off + s.bytes.length <= o) continue;
      const from = Math.max(o, s.off);
      const to = Math.min(o + n, s.off + s.bytes.length);
      out.set(s.bytes.subarray(from - s.off, to - s.off), from - o);
    }
    return out;
  };
  return { total, read };
}

function ustar(name: string, size: number, type: string): Uint8Array {
  const h = new Uint8Array(TAR_BLOCK);
  const put = (off: number, s: string) => h.set(utf8(s), off);
  put(0, name);
  put(100, '0000644');
  put(108, '0000000');
  put(116, '0000000');
  put(124, size.toString(8).padStart(11, '0'));
  put(136, '00000000000');
  put(156, type);
  put(257, 'ustar');
  put(263, '00');
  put(329, '0000000'); // devmajor, devminor: what custos writes (the reader requires it)
  put(337, '0000000');
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  put(148, sum.toString(8).padStart(6, '0'));
  h[155] = 0x20;
  return h;
}
/** A pax header (type x) with the given records, followed by a ustar header for `name`. */
function paxThen(records: [string, string][], name: string, size: number): Uint8Array {
  let body = '';
  for (const [k, v] of records) {
    const rest = ` ${k}=${v}\n`;
    let len = utf8(rest).length + 1;
    while (String(len).length + utf8(rest).length !== len) len++;
    body += `${len}${rest}`;
  }
  const pb = utf8(body);
  const out = new Uint8Array(TAR_BLOCK + pb.length + tarPadding(pb.length) + TAR_BLOCK);
  out.set(ustar('PaxHeaders/x', pb.length, 'x'), 0);
  out.set(pb, TAR_BLOCK);
  out.set(ustar(name, size, '0'), out.length - TAR_BLOCK);
  return out;
}
/** pax records whose encoded size is exactly `n` bytes (one padded uname record). */
function paxOfSize(n: number): [string, string][] {
  for (let v = n - 20; v < n; v++) {
    const rest = ` uname=${'u'.repeat(v)}\n`;
    const len = String(rest.length + 6).length + rest.length;
    if (len === n && String(len).length + rest.length === len) return [['uname', 'u'.repeat(v)]];
  }
  throw new Error('no pax size');
}

describe('limits: at the bound and one past it', () => {
  it('CBOR_MAX_DEPTH', () => {
    const l = limit('CBOR_MAX_DEPTH');
    const nested = (n: number) => Uint8Array.from([...new Array(n).fill(0x81), 0x00]);
    expect(code(() => decode(nested(l.value)))).toBe('none');
    expect(code(() => decode(nested(l.value + 1)))).toBe(l.code);
  });
  it('CBOR_MAX_ITEMS', () => {
    const l = limit('CBOR_MAX_ITEMS');
    // An array head plus (n - 1) zero integers is n data items.
    const items = (n: number) => {
      const b = new Uint8Array(5 + n - 1);
      b[0] = 0x9a;
      new DataView(b.buffer).setUint32(1, n - 1);
      return b;
    };
    expect(code(() => decode(items(l.value)))).toBe('none');
    expect(code(() => decode(items(l.value + 1)))).toBe(l.code);
  });
  it('CBOR_MAX_BYTES', () => {
    const l = limit('CBOR_MAX_BYTES');
    const bstr = (total: number) => {
      const b = new Uint8Array(total);
      b[0] = 0x5a;
      new DataView(b.buffer).setUint32(1, total - 5);
      return b;
    };
    expect(code(() => decode(bstr(l.value)))).toBe('none');
    expect(code(() => decode(bstr(l.value + 1)))).toBe(l.code);
  });
  const sig = (name: string) => `\u2014 ${name} ${toBase64(new Uint8Array(68).fill(1))}`;
  it('NOTE_MAX_BYTES', () => {
    const l = limit('NOTE_MAX_BYTES');
    const note = (total: number) => {
      const tail = `\n\n${sig('k')}\n`;
      return utf8('a'.repeat(total - utf8(tail).length) + tail);
    };
    expect(note(l.value).length).toBe(l.value);
    expect(code(() => parseNote(note(l.value)))).toBe('none');
    expect(code(() => parseNote(note(l.value + 1)))).toBe(l.code);
  });
  it('NOTE_MAX_SIGNATURES', () => {
    const l = limit('NOTE_MAX_SIGNATURES');
    const note = (n: number) => `origin\n1\n${toBase64(new Uint8Array(32))}\n\n${Array.from({ length: n }, (_, i) => sig(`k${i}`)).join('\n')}\n`;
    expect(code(() => parseNote(note(l.value)))).toBe('none');
    expect(code(() => parseNote(note(l.value + 1)))).toBe(l.code);
  });
  it('TAR_MAX_ENTRY_SIZE (a 1 TiB entry is indexed without reading it)', async () => {
    const l = limit('TAR_MAX_ENTRY_SIZE');
    const at = virtualTar([{ name: 'items/disk.age', size: l.value }]);
    expect((await readTarIndex(at.read, at.total))[0]!.size).toBe(l.value);
    const past = virtualTar([{ name: 'items/disk.age', size: l.value + 1 }]);
    expect(await codeAsync(() => readTarIndex(past.read, past.total))).toBe(l.code);
  });
  it('TAR_MAX_NAME', async () => {
    const l = limit('TAR_MAX_NAME');
    const name = (n: number) => `d/${'n'.repeat(n - 2)}`;
    const at = virtualTar([{ name: name(l.value), size: 1 }]);
    expect((await readTarIndex(at.read, at.total))[0]!.name).toBe(name(l.value));
    const past = virtualTar([{ name: 'x', size: 1, head: paxThen([['path', name(l.value + 1)]], 'x', 1) }]);
    expect(await codeAsync(() => readTarIndex(past.read, past.total))).toBe(l.code);
  });
  it('TAR_MAX_PAX_SIZE', async () => {
    const l = limit('TAR_MAX_PAX_SIZE');
    // At the bound the pax header is read and parsed; it is then refused only because custos
    // never writes a uname record (ERR_TAR_METADATA), not by the size bound (ERR_TAR).
    const at = virtualTar([{ name: 'x', size: 1, head: paxThen(paxOfSize(l.value), 'x', 1) }]);
    expect(await codeAsync(() => readTarIndex(at.read, at.total))).toBe('ERR_TAR_METADATA');
    const past = virtualTar([{ name: 'x', size: 1, head: paxThen(paxOfSize(l.value + 1), 'x', 1) }]);
    expect(await codeAsync(() => readTarIndex(past.read, past.total))).toBe(l.code);
  });
  it('TAR_MAX_ENTRIES', async () => {
    const l = limit('TAR_MAX_ENTRIES');
    const names = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `e${i}`, size: 0, head: ustar(`e${i}`, 0, '0') }));
    const at = virtualTar(names(l.value));
    expect(await readTarIndex(at.read, at.total)).toHaveLength(l.value);
    const past = virtualTar(names(l.value + 1));
    expect(await codeAsync(() => readTarIndex(past.read, past.total))).toBe(l.code);
  }, 180_000); // 200,001 strict header checks: seconds alone, a minute on a loaded 2-core machine
  it('DEFAULT_MAX_HEADER_BYTES', () => {
    const l = limit('DEFAULT_MAX_HEADER_BYTES');
    // version line, one stanza of an unknown type whose argument pads the header, empty body, MAC line
    const header = (total: number) => {
      const fixed = 'age-encryption.org/v1\n'.length + '-> X '.length + 1 + 1 + `--- ${'A'.repeat(43)}\n`.length;
      return utf8(`age-encryption.org/v1\n-> X ${'a'.repeat(total - fixed)}\n\n--- ${'A'.repeat(43)}\n`);
    };
    expect(header(l.value).length).toBe(l.value);
    expect(code(() => parseHeader(header(l.value)))).toBe('none');
    expect(code(() => parseHeader(header(l.value + 1)))).toBe(l.code);
  });
  it('AGE_MAX_STANZAS (refused while parsing, before any unwrap)', () => {
    const l = limit('AGE_MAX_STANZAS');
    const header = (n: number) => utf8(`age-encryption.org/v1\n${'-> X a\n\n'.repeat(n)}--- ${'A'.repeat(43)}\n`);
    expect(code(() => parseHeader(header(l.value)))).toBe('none');
    expect(code(() => parseHeader(header(l.value + 1)))).toBe(l.code);
  });
  it('DEFAULT_MAX_SCRYPT_LOG_N (refused before any derivation; the bound itself via a lower maxLogN)', async () => {
    const l = limit('DEFAULT_MAX_SCRYPT_LOG_N');
    const file = (logN: number) => {
      // an scrypt stanza claiming work factor logN (the body is never reached when refused)
      const f = new TextEncoder().encode(`age-encryption.org/v1\n-> scrypt ${'A'.repeat(22)} ${logN}\n${'A'.repeat(43)}\n--- ${'A'.repeat(43)}\n`);
      return new Uint8Array([...f, ...new Uint8Array(32)]);
    };
    const t0 = performance.now();
    expect(await codeAsync(() => decrypt(file(l.value + 1), [new ScryptIdentity('p')]))).toBe(l.code);
    expect(performance.now() - t0).toBeLessThan(2000);
    const small = await encrypt(utf8('x'), [new ScryptRecipient('p', { logN: 10 })]);
    expect(await codeAsync(() => decrypt(small, [new ScryptIdentity('p', { maxLogN: 10 })]))).toBe('none');
    expect(await codeAsync(() => decrypt(small, [new ScryptIdentity('p', { maxLogN: 9 })]))).toBe(l.code);
  });
  it('MAX_EVENT_BYTES', () => {
    const l = limit('MAX_EVENT_BYTES');
    // a tagged COSE_Sign1-shaped item of exactly `total` bytes: d2 84 40 a0 5a <len> payload 58 40 sig
    const event = (total: number) => {
      const n = total - 75;
      const b = new Uint8Array(total);
      b.set([0xd2, 0x84, 0x40, 0xa0, 0x5a], 0);
      new DataView(b.buffer).setUint32(5, n);
      b.set([0x58, 0x40], 9 + n);
      return b;
    };
    expect(event(l.value).length).toBe(l.value);
    expect(splitChain(event(l.value)).error).toBeUndefined();
    expect(splitChain(event(l.value + 1)).error?.code).toBe(l.code);
  });
  it('MAX_CHAIN_EVENTS', () => {
    const l = limit('MAX_CHAIN_EVENTS');
    // minimal COSE_Sign1-shaped items (empty bstrs and map): splitting is all that is bounded here
    const chain = (n: number) => {
      const b = new Uint8Array(6 * n);
      for (let i = 0; i < n; i++) b.set([0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40], 6 * i);
      return b;
    };
    expect(splitChain(chain(l.value)).events).toHaveLength(l.value);
    expect(code(() => splitChain(chain(l.value + 1)))).toBe(l.code);
  });
  it('MAX_CHAIN_FILE_BYTES (sparse files: refused before reading)', async () => {
    const l = limit('MAX_CHAIN_FILE_BYTES');
    const d = mkdtempSync(join(tmpdir(), 'custos-chainlimit-'));
    try {
      const f = join(d, 'chain.cbor');
      // first byte 0xff (a CBOR break: no event), then zeros: parsing stops at event 0
      writeFileSync(f, Uint8Array.of(0xff));
      truncateSync(f, l.value);
      const at = await codeAsync(() => readChainFile(f));
      expect(at).not.toBe(l.code);
      truncateSync(f, l.value + 1);
      expect(await codeAsync(() => readChainFile(f))).toBe(l.code);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it('MAX_ENTRY_BYTES', () => {
    const l = limit('MAX_ENTRY_BYTES');
    expect(code(() => encodeBundle([new Uint8Array(l.value)]))).toBe('none');
    expect(code(() => encodeBundle([new Uint8Array(l.value + 1)]))).toBe(l.code);
  });
  it('MAX_PATH_LENGTH', () => {
    const l = limit('MAX_PATH_LENGTH');
    expect(code(() => parsePath('a'.repeat(l.value)))).toBe('none');
    expect(code(() => parsePath('a'.repeat(l.value + 1)))).toBe(l.code);
  });
  it('MAX_PATH_SEGMENTS', () => {
    const l = limit('MAX_PATH_SEGMENTS');
    const path = (n: number) => Array.from({ length: n }, () => 'a').join('.');
    expect(code(() => parsePath(path(l.value)))).toBe('none');
    expect(code(() => parsePath(path(l.value + 1)))).toBe(l.code);
  });
  it('MAX_RECORD_DEPTH', () => {
    const l = limit('MAX_RECORD_DEPTH');
    const k = SigningKey.fromSecret(new Uint8Array(32).fill(5));
    const nest = (n: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < n; i++) v = { a: v };
      return v;
    };
    expect(code(() => commitRecord(nest(l.value) as never, { redactable: [], signer: k }))).toBe('none');
    expect(code(() => commitRecord(nest(l.value + 1) as never, { redactable: [], signer: k }))).toBe(l.code);
  });
  // A COSE_Sign1-shaped item of exactly `total` bytes (empty protected header, big payload): the
  // size check passes at the bound (a later structural check fails instead), not one past it.
  const sign1Of = (total: number) => {
    const b = new Uint8Array(total);
    const short = total - 73 < 65536; // canonical length head: 2 bytes below 2^16, else 4
    const n = short ? total - 73 : total - 75;
    b.set([0xd2, 0x84, 0x40, 0xa0, short ? 0x59 : 0x5a], 0);
    if (short) new DataView(b.buffer).setUint16(5, n);
    else new DataView(b.buffer).setUint32(5, n);
    b.set([0x58, 0x40], (short ? 7 : 9) + n);
    return b;
  };
  it('MANIFEST_MAX_BYTES', () => {
    const l = limit('MANIFEST_MAX_BYTES');
    const at = code(() => decodeManifest(sign1Of(l.value)));
    expect(at).not.toBe(l.code);
    expect(at).toBe('ERR_BUNDLE_MALFORMED');
    expect(code(() => decodeManifest(sign1Of(l.value + 1)))).toBe(l.code);
  });
  it('STATUS_MAX_BYTES', () => {
    const l = limit('STATUS_MAX_BYTES');
    const at = code(() => decodeStatusEvent(sign1Of(l.value)));
    expect(at).not.toBe(l.code);
    expect(at).toBe('ERR_EVENT_INVALID');
    expect(code(() => decodeStatusEvent(sign1Of(l.value + 1)))).toBe(l.code);
  });
  it('MAX_STATUS_EVENTS', () => {
    const l = limit('MAX_STATUS_EVENTS');
    const key = SigningKey.fromSecret(new Uint8Array(32).fill(7));
    const trust = TrustStore.parse({ version: 1, authorities: [] });
    // junk elements: each fails its own decode check, cheaply; the bound is on their number
    const junk = (n: number) => Array.from({ length: n }, () => Uint8Array.of(0xd2));
    const request = validateRequest(JSON.parse(readFileSync(new URL('../../examples/requests/epoc-traffic.json', import.meta.url), 'utf8')));
    expect(code(() => verifyStatusChain(junk(l.value), trust, { request }))).toBe('none');
    expect(code(() => verifyStatusChain(junk(l.value + 1), trust, { request }))).toBe(l.code);
    const input = { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' } as const;
    // a chain one short of the bound may still grow (here its junk fails to decode instead) …
    expect(code(() => signStatusEvent(junk(l.value - 1), request, input, key))).not.toBe(l.code);
    // … a full one may not, and nothing is decoded or signed
    expect(code(() => signStatusEvent(junk(l.value), request, input, key))).toBe(l.code);
  });
  it('every limit in LIMITS is tested here and listed in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Limits on hostile input'));
    for (const l of LIMITS) {
      expect(tested.has(l.name), `${l.name} has no bound test`).toBe(true);
      expect(section.includes(l.name), `${l.name} missing from README`).toBe(true);
      expect((limits as Record<string, unknown>)[l.name]).toBe(l.value);
    }
  });
});
