/**
 * A dedicated strict reader for custody event payloads.
 *
 * Verifying a chain decodes every payload, and the generic strict decoder (built for any value:
 * tags, nesting, allocation budgets) costs a good part of an Ed25519 verification per event
 * (it cost more than one when it still re-encoded each value to compare). This reader walks the
 * one shape an event payload has (event.ts) and enforces the same RFC 8949 §4.2.1 rules inline:
 * shortest-form heads, definite lengths, map keys in strictly ascending bytewise order (so no
 * duplicates), strict UTF-8, no tags, no floats, no simple values but null where allowed, and no
 * trailing bytes. Whatever it returns is then validated by the zod schema like any other event.
 * A differential property test checks it against the generic decoder on valid and mutated input.
 */
import { fail } from '../errors.js';

const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function bad(msg: string): never {
  fail('ERR_EVENT_INVALID', `event payload: ${msg}`);
}

class Reader {
  p = 0;
  constructor(readonly b: Uint8Array) {}

  /** Reads an item head; returns [major type, argument]. Rejects non-shortest and indefinite forms. */
  head(): [number, number] {
    const b = this.b;
    const ib = b[this.p++];
    if (ib === undefined) bad('truncated');
    const mt = ib >> 5;
    const ai = ib & 31;
    if (ai < 24) return [mt, ai];
    let n: number;
    let min: number;
    if (ai === 24) [n, min] = [1, 24];
    else if (ai === 25) [n, min] = [2, 0x100];
    else if (ai === 26) [n, min] = [4, 0x10000];
    else if (ai === 27) [n, min] = [8, 0x100000000];
    else bad(ai === 31 ? 'indefinite length' : 'reserved head');
    if (mt === 7) bad('floats and simple values are not allowed');
    if (this.p + n > b.length) bad('truncated');
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[this.p + i]!;
    this.p += n;
    if (v < min) bad('non-shortest head');
    if (!Number.isSafeInteger(v)) bad('integer too large');
    return [mt, v];
  }

  expect(mt: number, what: string): number {
    const [m, v] = this.head();
    if (m !== mt) bad(`expected ${what}`);
    return v;
  }

  uint(): number {
    return this.expect(0, 'an unsigned integer');
  }

  raw(len: number): Uint8Array {
    if (len > this.b.length - this.p) bad('truncated');
    const out = this.b.slice(this.p, this.p + len);
    this.p += len;
    return out;
  }

  bytes(): Uint8Array {
    return this.raw(this.expect(2, 'a byte string'));
  }

  text(): string {
    const len = this.expect(3, 'a text string');
    if (len > this.b.length - this.p) bad('truncated');
    let s: string;
    try {
      s = td.decode(this.b.subarray(this.p, this.p + len));
    } catch {
      bad('invalid UTF-8');
    }
    this.p += len;
    return s;
  }

  bytesOrNull(): Uint8Array | null {
    if (this.b[this.p] === 0xf6) {
      this.p++;
      return null;
    }
    return this.bytes();
  }

  /** A map with small unsigned keys, strictly ascending; calls `field` for each. */
  intMap(maxKey: number, field: (key: number) => void): void {
    const n = this.expect(5, 'a map');
    let last = 0;
    for (let i = 0; i < n; i++) {
      const k = this.uint();
      if (k <= last || k > maxKey) bad(k > maxKey ? `unknown key ${k}` : 'map keys out of order or repeated');
      last = k;
      field(k);
    }
  }

  array<T>(item: () => T): T[] {
    const n = this.expect(4, 'an array');
    if (n > this.b.length - this.p) bad('truncated');
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
}

function party(r: Reader): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  r.intMap(3, (k) => {
    if (k === 1) o.authority = r.text();
    else if (k === 2) o.role = r.text();
    else o.kid = r.bytes();
  });
  return o;
}

function digests(r: Reader): Record<string, unknown> {
  const n = r.expect(5, 'a map');
  const entries: [string, Uint8Array][] = [];
  let prev: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const start = r.p;
    const k = r.text();
    const enc = r.b.subarray(start, r.p);
    if (prev !== undefined && compare(prev, enc) >= 0) bad('digest names out of order or repeated');
    prev = enc;
    entries.push([k, r.bytes()]);
  }
  return Object.fromEntries(entries);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Reads an event payload into a plain object with the schema's field names (not yet validated
 * against the schema). Throws ERR_EVENT_INVALID for anything that is not the deterministic
 * encoding of that shape.
 */
export function readEventPayload(payload: Uint8Array): Record<string, unknown> {
  const r = new Reader(payload);
  const o: Record<string, unknown> = {};
  r.intMap(15, (k) => {
    switch (k) {
      case 1: o.chainId = r.text(); break;
      case 2: o.seq = r.uint(); break;
      case 3: o.prev = r.bytesOrNull(); break;
      case 4: o.type = r.text(); break;
      case 5: o.time = r.uint(); break;
      case 6: o.actor = party(r); break;
      case 7: o.counterparty = party(r); break;
      case 8: o.location = r.text(); break;
      case 9: o.purpose = r.text(); break;
      case 10: {
        const a: Record<string, unknown> = {};
        r.intMap(2, (j) => (j === 1 ? (a.type = r.text()) : (a.reference = r.text())));
        o.authorisation = a;
        break;
      }
      case 11: o.digests = digests(r); break;
      case 12:
        o.derivedFrom = r.array(() => {
          const d: Record<string, unknown> = {};
          r.intMap(2, (j) => (j === 1 ? (d.chainId = r.text()) : (d.event = r.bytes())));
          return d;
        });
        break;
      case 13: o.seals = r.array(() => r.text()); break;
      case 14: o.note = r.text(); break;
      default: o.ref = r.bytes();
    }
  });
  if (r.p !== payload.length) bad('trailing bytes');
  return o;
}
