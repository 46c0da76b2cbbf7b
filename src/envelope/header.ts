/**
 * The age v1 header (C2SP age §"Header"): version line, recipient stanzas, MAC line.
 *
 * Parsing is strict and incremental: {@link HeaderReader} consumes bytes as they arrive,
 * validates every complete line once, and stops at the MAC line, so a streaming decrypt never
 * buffers more than the header and a hostile header is rejected at its first bad line.
 */
import { equalBytes, fromBase64NoPad, toBase64NoPad } from '../bytes.js';
import * as crypto from '#crypto';
import { CustosError, fail } from '../errors.js';

/** One recipient stanza: `-> type args…` and its body (C2SP age §"Recipient stanza"). */
export interface Stanza {
  /** The first argument (`X25519`, `mlkem768x25519`, `scrypt`, or a plug-in's name). */
  readonly type: string;
  /** The remaining arguments. */
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** A parsed header. `macInput` is every header byte up to and including `---`. */
export interface AgeHeader {
  readonly stanzas: readonly Stanza[];
  readonly mac: Uint8Array;
  /** Header bytes covered by the MAC (through the `---` mark, without the space after it). */
  readonly macInput: Uint8Array;
  /** The full encoded header, MAC line included: the payload starts right after it. */
  readonly bytes: Uint8Array;
}

export const VERSION_LINE = 'age-encryption.org/v1';
const VERSION_PREFIX = 'age-encryption.org/';
const COLUMNS = 64;
/**
 * Default bound on header size (ERR_AGE_HEADER past it; callers may lower or raise it). An
 * X25519 stanza is ~110 bytes and an mlkem768x25519 stanza ~1.6 KB, so {@link AGE_MAX_STANZAS}
 * PQ stanzas take ~420 KB: 1 MiB leaves room for larger plug-in stanzas while keeping what a
 * hostile header can make us buffer small.
 */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Default bound on the number of recipient stanzas in one header, enforced while parsing (before
 * any unwrap: each stanza costs an X25519 or ML-KEM operation per identity) and when writing a
 * header, refused with ERR_LIMIT. The age reference implementation refused more than 20 on
 * decrypt before v1.0 and has no bound since; evidence goes to a handful of agencies, each with
 * a few keys (e.g. 27 EU member states × a classic and a PQ key = 54), so 256 is generous.
 * Decrypt options may raise it (`maxStanzas`) for an unusual file.
 */
export const AGE_MAX_STANZAS = 256;

const te = new TextEncoder();
const HEADER_INFO = te.encode('header');

/** HMAC key = HKDF-SHA-256(ikm = file key, salt = empty, info = "header"). */
export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const key = crypto.hkdfSha256(fileKey, new Uint8Array(0), HEADER_INFO, 32);
  return crypto.hmacSha256(key, macInput);
}

/** True when the header MAC verifies under `fileKey` (constant-time compare). */
export function verifyHeaderMac(header: AgeHeader, fileKey: Uint8Array): boolean {
  return equalBytes(headerMac(fileKey, header.macInput), header.mac);
}

function isVchar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e;
}

function isB64(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

function ascii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function decodeB64(line: Uint8Array, what: string): Uint8Array {
  for (let i = 0; i < line.length; i++) if (!isB64(line[i]!)) fail('ERR_AGE_HEADER', `invalid character in ${what}`);
  // Length ≡ 1 (mod 4) is never valid; the decoder also rejects non-zero trailing bits.
  try {
    return fromBase64NoPad(ascii(line));
  } catch (e) {
    throw new CustosError('ERR_AGE_HEADER', `non-canonical base64 in ${what}`, { cause: e });
  }
}

/** Validates and splits an arg line (`-> a b c`, without LF) into its arguments. */
function parseArgLine(line: Uint8Array): string[] {
  if (line.length < 4 || line[0] !== 0x2d || line[1] !== 0x3e || line[2] !== 0x20) {
    fail('ERR_AGE_HEADER', 'stanza line must start with "-> " and have an argument');
  }
  const args: string[] = [];
  let start = 3;
  for (let i = 3; i <= line.length; i++) {
    if (i === line.length || line[i] === 0x20) {
      if (i === start) fail('ERR_AGE_HEADER', 'empty stanza argument');
      args.push(ascii(line.subarray(start, i)));
      start = i + 1;
    } else if (!isVchar(line[i]!)) {
      fail('ERR_AGE_HEADER', 'invalid character in stanza argument');
    }
  }
  return args;
}

type State = 'version' | 'stanza-or-end' | 'body' | 'done';

/**
 * Incremental strict header parser. Feed bytes with {@link HeaderReader.push}; once it returns
 * true, {@link HeaderReader.header} is set and {@link HeaderReader.rest} holds the bytes after
 * the header (the start of the payload).
 */
export class HeaderReader {
  #buf = new Uint8Array(4096);
  #len = 0;
  /** Start of the first line not yet parsed. */
  #pos = 0;
  #state: State = 'version';
  #stanzas: Stanza[] = [];
  #args: string[] = [];
  #body: Uint8Array[] = [];
  #bodyLen = 0;
  readonly #max: number;
  readonly #maxStanzas: number;
  header: AgeHeader | undefined;
  rest: Uint8Array = new Uint8Array(0);

  constructor(maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES, maxStanzas = AGE_MAX_STANZAS) {
    this.#max = maxHeaderBytes;
    this.#maxStanzas = maxStanzas;
  }

  /**
   * Adds bytes; returns true once the header is complete. Throws on the first malformed line.
   * Large inputs are consumed in slices so a whole file passed at once is not copied; `rest` is
   * then a view of `data` after the header.
   */
  push(data: Uint8Array): boolean {
    if (this.#state === 'done') fail('ERR_INTERNAL', 'HeaderReader already complete');
    const SLICE = 16 * 1024;
    for (let start = 0; start < data.length; start += SLICE) {
      const piece = data.subarray(start, start + SLICE);
      const at = this.#pushPiece(piece);
      if (at >= 0) {
        this.rest = data.subarray(start + at);
        return true;
      }
    }
    return false;
  }

  /** Appends one slice; returns the offset in it where the payload starts, or -1. */
  #pushPiece(data: Uint8Array): number {
    const need = this.#len + data.length;
    if (need > this.#buf.length) {
      const nb = new Uint8Array(Math.max(need, this.#buf.length * 2));
      nb.set(this.#buf.subarray(0, this.#len));
      this.#buf = nb;
    }
    const scanFrom = this.#len;
    this.#buf.set(data, this.#len);
    this.#len = need;
    let nl = this.#buf.subarray(scanFrom, this.#len).indexOf(0x0a);
    if (nl >= 0) nl += scanFrom;
    while (nl >= 0) {
      const line = this.#buf.subarray(this.#pos, nl);
      this.#pos = nl + 1;
      if (this.#pos > this.#max) fail('ERR_AGE_HEADER', `header larger than ${this.#max} bytes`);
      if (this.#line(line, nl)) return this.#pos - scanFrom;
      nl = this.#buf.subarray(this.#pos, this.#len).indexOf(0x0a);
      if (nl >= 0) nl += this.#pos;
    }
    this.#checkPartial();
    return -1;
  }

  /** Rejects early what can never become a valid line, and bounds the header size. */
  #checkPartial(): void {
    if (this.#len > this.#max) fail('ERR_AGE_HEADER', `header larger than ${this.#max} bytes`);
    const partial = this.#buf.subarray(this.#pos, this.#len);
    if (this.#state === 'version') {
      const n = Math.min(partial.length, VERSION_PREFIX.length);
      for (let i = 0; i < n; i++) if (partial[i] !== VERSION_PREFIX.charCodeAt(i)) fail('ERR_AGE_VERSION', 'not an age file');
    } else if (this.#state === 'body' && partial.length > COLUMNS) {
      fail('ERR_AGE_HEADER', 'stanza body line longer than 64 columns');
    }
  }

  /** Handles one complete line (without its LF); returns true at the MAC line. */
  #line(line: Uint8Array, lfIndex: number): boolean {
    switch (this.#state) {
      case 'version': {
        const s = ascii(line);
        if (s === VERSION_LINE) {
          this.#state = 'stanza-or-end';
          return false;
        }
        if (s.startsWith(VERSION_PREFIX)) fail('ERR_AGE_VERSION', 'unsupported age version');
        return fail('ERR_AGE_VERSION', 'not an age file');
      }
      case 'stanza-or-end': {
        if (line.length >= 3 && line[0] === 0x2d && line[1] === 0x2d && line[2] === 0x2d) return this.#end(line, lfIndex);
        // Refuse the stanza one past the bound at its first line, before anything is unwrapped.
        if (this.#stanzas.length >= this.#maxStanzas) fail('ERR_LIMIT', `header has more than ${this.#maxStanzas} recipient stanzas`);
        this.#args = parseArgLine(line);
        this.#body = [];
        this.#bodyLen = 0;
        this.#state = 'body';
        return false;
      }
      case 'body': {
        if (line.length > COLUMNS) fail('ERR_AGE_HEADER', 'stanza body line longer than 64 columns');
        const part = decodeB64(line, 'stanza body');
        this.#body.push(part);
        this.#bodyLen += part.length;
        if (line.length < COLUMNS) {
          const body = new Uint8Array(this.#bodyLen);
          let o = 0;
          for (const p of this.#body) {
            body.set(p, o);
            o += p.length;
          }
          const [type, ...args] = this.#args;
          this.#stanzas.push({ type: type!, args, body });
          this.#state = 'stanza-or-end';
        }
        return false;
      }
      default:
        return fail('ERR_INTERNAL', 'HeaderReader in a bad state');
    }
  }

  #end(line: Uint8Array, lfIndex: number): boolean {
    // end = "--- " 43base64char LF
    if (this.#stanzas.length === 0) fail('ERR_AGE_HEADER', 'header has no recipient stanza');
    if (line.length !== 4 + 43 || line[3] !== 0x20) fail('ERR_AGE_HEADER', 'malformed MAC line');
    const mac = decodeB64(line.subarray(4), 'header MAC');
    if (mac.length !== 32) fail('ERR_AGE_HEADER', 'malformed MAC line');
    const macEnd = lfIndex - line.length + 3;
    this.header = {
      stanzas: this.#stanzas,
      mac,
      macInput: this.#buf.slice(0, macEnd),
      bytes: this.#buf.slice(0, lfIndex + 1),
    };
    this.#state = 'done';
    return true;
  }

  /** Call at end of input: a header that never completed is an error. */
  finish(): never {
    if (this.#state === 'version' && this.#len === 0) fail('ERR_AGE_HEADER', 'empty input');
    if (this.#state === 'version') fail('ERR_AGE_VERSION', 'not an age file');
    return fail('ERR_AGE_HEADER', 'header ends before its MAC line');
  }
}

/**
 * Parses a complete header at the start of `bytes` (a detached header or a whole file).
 * Returns the header and the offset where the payload starts.
 *
 * @example
 * ```ts
 * const { header, payloadOffset } = parseHeader(fileBytes);
 * header.stanzas.map((s) => s.type); // ['X25519']
 * ```
 */
export function parseHeader(
  bytes: Uint8Array,
  maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
  maxStanzas = AGE_MAX_STANZAS,
): { header: AgeHeader; payloadOffset: number } {
  const r = new HeaderReader(maxHeaderBytes, maxStanzas);
  if (!r.push(bytes)) r.finish();
  return { header: r.header!, payloadOffset: r.header!.bytes.length };
}

function validateStanza(s: Stanza): void {
  const argRe = /^[\x21-\x7e]+$/;
  if (typeof s.type !== 'string' || !argRe.test(s.type)) fail('ERR_AGE_STANZA', 'stanza type must be 1+ visible ASCII characters');
  for (const a of s.args) if (typeof a !== 'string' || !argRe.test(a)) fail('ERR_AGE_STANZA', 'stanza arguments must be 1+ visible ASCII characters');
  if (!(s.body instanceof Uint8Array)) fail('ERR_AGE_STANZA', 'stanza body must be a Uint8Array');
}

/** Encodes stanzas (arg line, body wrapped at 64 columns, final short line). */
export function encodeStanzas(stanzas: readonly Stanza[]): string {
  let out = '';
  for (const s of stanzas) {
    validateStanza(s);
    out += `-> ${[s.type, ...s.args].join(' ')}\n`;
    const b64 = toBase64NoPad(s.body);
    let i = 0;
    for (; i + COLUMNS <= b64.length; i += COLUMNS) out += `${b64.slice(i, i + COLUMNS)}\n`;
    out += `${b64.slice(i)}\n`; // always a final line shorter than 64 columns, possibly empty
  }
  return out;
}

/**
 * Encodes a header for `stanzas` and MACs it under `fileKey` (HMAC-SHA-256, key =
 * HKDF(file key, "", "header")).
 *
 * @example
 * ```ts
 * const { bytes } = encodeHeader(stanzas, fileKey); // "age-encryption.org/v1\n-> …\n--- <mac>\n"
 * ```
 */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): AgeHeader {
  if (stanzas.length === 0) fail('ERR_INVALID_ARGUMENT', 'an age header needs at least one stanza');
  // Never write a header our own decrypt would refuse by default.
  if (stanzas.length > AGE_MAX_STANZAS) fail('ERR_LIMIT', `an age header holds at most ${AGE_MAX_STANZAS} recipient stanzas`);
  const macInput = te.encode(`${VERSION_LINE}\n${encodeStanzas(stanzas)}---`);
  const mac = headerMac(fileKey, macInput);
  const bytes = new Uint8Array(macInput.length + 1 + 43 + 1);
  bytes.set(macInput);
  bytes.set(te.encode(` ${toBase64NoPad(mac)}\n`), macInput.length);
  return { stanzas: stanzas.map((s) => ({ type: s.type, args: [...s.args], body: s.body.slice() })), mac, macInput, bytes };
}
