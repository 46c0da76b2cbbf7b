/**
 * ASCII armor (C2SP age §"ASCII armor"): strict RFC 7468 §3 PEM with the label
 * "AGE ENCRYPTED FILE", 64-column padded base64, LF or CRLF line ends, and only whitespace
 * allowed outside the block. Everything else (headers, short inner lines, whitespace inside
 * lines, non-canonical base64, garbage around the block) is ERR_ARMOR, since a lax parser
 * would make armored files malleable.
 */
import { fromBase64, joinBytes, toBase64 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const END = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
const MAX_LINE = 80;
const te = new TextEncoder();

/**
 * Armors an age file.
 *
 * @example
 * ```ts
 * const text = armor(await encrypt(data, [recipient])); // '-----BEGIN AGE ENCRYPTED FILE-----\n…'
 * ```
 */
export function armor(file: Uint8Array): string {
  return `${BEGIN}\n${lines(toBase64(file))}${END}\n`;
}

/**
 * Incremental armoring, for streams: push binary bytes, get the armored text's bytes back (the
 * begin line first, 64-column lines as soon as 48 bytes are in hand, the end line at `finish`).
 * The output is byte-identical to {@link armor} of the whole input.
 */
export class ArmorEncoder {
  readonly #pending = new Uint8Array(48 * 1024);
  #len = 0;
  #started = false;

  push(data: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    if (!this.#started) {
      this.#started = true;
      emit(te.encode(`${BEGIN}\n`));
    }
    let off = 0;
    while (off < data.length) {
      const n = Math.min(data.length - off, this.#pending.length - this.#len);
      this.#pending.set(data.subarray(off, off + n), this.#len);
      this.#len += n;
      off += n;
      if (this.#len === this.#pending.length) this.#flush(this.#len, emit);
    }
  }

  /** Emits the whole 48-byte groups of the first `upTo` pending bytes; keeps the rest. */
  #flush(upTo: number, emit: (bytes: Uint8Array) => void): void {
    const whole = upTo - (upTo % 48);
    if (whole === 0) return;
    emit(te.encode(lines(toBase64(this.#pending.subarray(0, whole)))));
    this.#pending.copyWithin(0, whole, this.#len);
    this.#len -= whole;
  }

  finish(emit: (bytes: Uint8Array) => void): void {
    if (!this.#started) this.push(new Uint8Array(0), emit);
    this.#flush(this.#len, emit);
    const tail = this.#len > 0 ? lines(toBase64(this.#pending.subarray(0, this.#len))) : '';
    this.#len = 0;
    emit(te.encode(`${tail}${END}\n`));
  }
}

function lines(b64: string): string {
  let out = '';
  for (let i = 0; i < b64.length; i += COLUMNS) out += `${b64.slice(i, i + COLUMNS)}\n`;
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** True when `head` (the first bytes of a file) looks armored: optional whitespace, then "-----". */
export function looksArmored(head: Uint8Array): boolean {
  let i = 0;
  while (i < head.length && isSpace(head[i]!)) i++;
  return head.length - i >= 5 && head[i] === 0x2d && head[i + 1] === 0x2d && head[i + 2] === 0x2d && head[i + 3] === 0x2d && head[i + 4] === 0x2d;
}

type State = 'leading' | 'begin' | 'body' | 'end' | 'trailing';

/** Incremental strict dearmoring: push armored bytes, get the binary file back. */
export class ArmorDecoder {
  #state: State = 'leading';
  #line: number[] = [];
  #lastShort = false;

  push(data: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    for (let i = 0; i < data.length; i++) {
      const c = data[i]!;
      if (this.#state === 'leading') {
        if (isSpace(c)) continue;
        this.#state = 'begin';
      }
      if (this.#state === 'trailing') {
        if (!isSpace(c)) fail('ERR_ARMOR', 'data after the armor end line');
        continue;
      }
      if (c === 0x0a) {
        this.#onLine(emit);
        continue;
      }
      if (this.#line.length >= MAX_LINE) fail('ERR_ARMOR', 'armor line too long');
      this.#line.push(c);
    }
  }

  #onLine(emit: (bytes: Uint8Array) => void): void {
    let line = String.fromCharCode(...this.#line);
    this.#line = [];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    switch (this.#state) {
      case 'begin':
        if (line !== BEGIN) fail('ERR_ARMOR', 'armor does not start with the AGE ENCRYPTED FILE begin line');
        this.#state = 'body';
        return;
      case 'body':
        if (line === END) {
          this.#state = 'trailing';
          return;
        }
        if (this.#lastShort) fail('ERR_ARMOR', 'armor line after the final short line');
        if (line.length === 0 || line.length > COLUMNS) fail('ERR_ARMOR', 'armor line must be 1 to 64 columns');
        if (line.length < COLUMNS || line.endsWith('=')) this.#lastShort = true;
        emit(decodeLine(line));
        return;
      default:
        fail('ERR_ARMOR', 'malformed armor');
    }
  }

  /** End of input: the end line must have been seen (its final line break is optional). */
  finish(emit: (bytes: Uint8Array) => void): void {
    if (this.#state === 'trailing') return;
    if (this.#state === 'body' && this.#line.length > 0) {
      const line = String.fromCharCode(...this.#line);
      this.#line = [];
      if (line === END) {
        this.#state = 'trailing';
        return;
      }
    }
    void emit;
    fail('ERR_ARMOR', this.#state === 'leading' ? 'empty armor' : 'armor has no end line');
  }
}

function decodeLine(line: string): Uint8Array {
  if (line.length % 4 !== 0) fail('ERR_ARMOR', 'armor line is not padded base64');
  try {
    return fromBase64(line);
  } catch (e) {
    throw new CustosError('ERR_ARMOR', 'armor line is not canonical base64', { cause: e });
  }
}

/**
 * Removes the armor from a complete armored file.
 *
 * @example
 * ```ts
 * const file = dearmor(armoredText);
 * ```
 */
export function dearmor(text: string | Uint8Array): Uint8Array {
  const input = typeof text === 'string' ? te.encode(text) : text;
  const parts: Uint8Array[] = [];
  const d = new ArmorDecoder();
  const emit = (b: Uint8Array) => parts.push(b);
  d.push(input, emit);
  d.finish(emit);
  return joinBytes(parts);
}
