/**
 * A chain of custody as bytes: the signed events in order, and its file form, an RFC 8742 CBOR
 * sequence of COSE_Sign1 items back to back (no framing, no index: appending is writing bytes
 * at the end, and `cat a b` of two halves is the whole chain).
 */
import * as crypto from '#crypto';
import { assertBytes, concatBytes, equalBytes } from '../bytes.js';
import { encode, itemLength } from '../cbor.js';
import { decodeSign1, HEADER, type Sign1 } from '../cose/index.js';
import { CustosError, fail } from '../errors.js';
import { algFromCose } from '../keys/signing.js';
import { decodeCustodyEvent, type CustodyEvent } from './event.js';

/** COSE content type (header 3) of a custody event: it keeps a seal's signature from passing as an event's. */
export const CUSTODY_EVENT_CONTENT_TYPE = 'application/vnd.custos.custody-event+cbor';

/** Largest event custos accepts (events are small; this bounds hostile input). */
export const MAX_EVENT_BYTES = 1 << 20;
/**
 * Most events a chain may have (ERR_LIMIT beyond): a real exhibit has dozens or hundreds; this
 * bounds the time and memory a hostile chain can cost a verifier (one signature per event).
 */
export const MAX_CHAIN_EVENTS = 100_000;
/** Largest chain file the Node helpers read (ERR_LIMIT beyond), checked before reading. */
export const MAX_CHAIN_FILE_BYTES = 256 * 1024 * 1024;

/** A chain of custody: its exhibit id and its signed events (COSE_Sign1 bytes), oldest first. */
export interface CustodyChain {
  readonly id: string;
  readonly events: readonly Uint8Array[];
}

/** An event opened without checking its signature: the COSE message and the decoded payload. */
export interface OpenedEvent {
  readonly message: Sign1;
  readonly event: CustodyEvent;
}

function invalid(msg: string, cause?: unknown): never {
  throw new CustosError('ERR_EVENT_INVALID', msg, cause === undefined ? undefined : { cause });
}

/**
 * Decodes one event (strict COSE_Sign1 and payload) without verifying its signature; throws
 * ERR_EVENT_INVALID. The protected header must carry the event content type and a kid equal
 * to the payload's actor.kid; the unprotected header must be empty (nothing in a custody
 * record may be unauthenticated).
 *
 * @example
 * ```ts
 * const { event } = openCustodyEvent(chain.events[0]); // event.type === 'collected'
 * ```
 */
export function openCustodyEvent(bytes: Uint8Array): OpenedEvent {
  let message: Sign1 | undefined = fastSign1(assertBytes('event', bytes));
  if (message === undefined) {
    try {
      message = decodeSign1(bytes, { maxBytes: MAX_EVENT_BYTES });
    } catch (e) {
      invalid('event is not a well-formed COSE_Sign1', e);
    }
  }
  if (message.payload === null) invalid('event payload is detached');
  if (message.unprotectedHeaders.size !== 0) invalid('event has unprotected headers');
  if (message.protectedHeaders.get(HEADER.contentType) !== CUSTODY_EVENT_CONTENT_TYPE) invalid('event content type is not a custody event');
  const kid = message.protectedHeaders.get(HEADER.kid);
  const event = decodeCustodyEvent(message.payload);
  if (!(kid instanceof Uint8Array) || !equalBytes(kid, event.actor.kid)) invalid('event kid differs from actor.kid');
  return { message, event };
}

// the content type as encoded in the header: text-string head and UTF-8 bytes
const CT_ENC = encode(CUSTODY_EVENT_CONTENT_TYPE);

/** Reads a shortest-form byte-string head at `p`; returns [content start, length] or undefined. */
function bstrAt(b: Uint8Array, p: number): [number, number] | undefined {
  const ib = b[p];
  if (ib === undefined || ib >> 5 !== 2) return undefined;
  const ai = ib & 31;
  if (ai < 24) return [p + 1, ai];
  if (ai === 24 && p + 1 < b.length && b[p + 1]! >= 24) return [p + 2, b[p + 1]!];
  if (ai === 25 && p + 2 < b.length) {
    const n = (b[p + 1]! << 8) | b[p + 2]!;
    return n >= 0x100 ? [p + 3, n] : undefined;
  }
  return undefined; // longer items are not events; the generic decoder will say why
}

/**
 * The common case, read without the generic decoder: exactly the bytes appendEvent writes,
 * `18([h'a3 01 alg 03 ct 04 kid', {}, payload, signature])` with every head in shortest form.
 * Anything else returns undefined and takes the generic strict path, so this only saves time:
 * it accepts nothing the generic decoder would refuse (the tests compare the two).
 */
export function fastSign1(b: Uint8Array): Sign1 | undefined {
  if (b[0] !== 0xd2 || b[1] !== 0x84) return undefined;
  const ph = bstrAt(b, 2);
  if (ph === undefined) return undefined;
  const [ps, pl] = ph;
  const pe = ps + pl;
  // protected map {1: alg, 3: content type, 4: kid}
  if (pe > b.length || b[ps] !== 0xa3 || b[ps + 1] !== 0x01) return undefined;
  const algByte = b[ps + 2];
  if (algByte !== 0x27 && algByte !== 0x26) return undefined; // -8 EdDSA, -7 ES256
  let p = ps + 3;
  if (b[p] !== 0x03) return undefined;
  p += 1;
  for (let i = 0; i < CT_ENC.length; i++) if (b[p + i] !== CT_ENC[i]) return undefined;
  p += CT_ENC.length;
  if (b[p] !== 0x04) return undefined;
  const kh = bstrAt(b, p + 1);
  if (kh === undefined || kh[0] + kh[1] !== pe) return undefined;
  if (b[pe] !== 0xa0) return undefined;
  const yh = bstrAt(b, pe + 1);
  if (yh === undefined) return undefined;
  const sh = bstrAt(b, yh[0] + yh[1]);
  if (sh === undefined || sh[0] + sh[1] !== b.length) return undefined;
  const kid = b.slice(kh[0], pe);
  const alg = algByte === 0x27 ? -8 : -7;
  return {
    protectedBytes: b.slice(ps, pe),
    protectedHeaders: new Map<number | string, unknown>([[HEADER.alg, alg], [HEADER.contentType, CUSTODY_EVENT_CONTENT_TYPE], [HEADER.kid, kid]]),
    unprotectedHeaders: new Map(),
    payload: b.slice(yh[0], yh[0] + yh[1]),
    signature: b.slice(sh[0], b.length),
    alg: algFromCose(alg),
    kid,
  };
}

/**
 * SHA-256 of an event's complete bytes: what the next event's `prev` names.
 *
 * @example
 * ```ts
 * const head = eventHash(chain.events[chain.events.length - 1]); // compare with a receipt
 * ```
 */
export function eventHash(bytes: Uint8Array): Uint8Array {
  return crypto.sha256(assertBytes('event', bytes));
}

/**
 * The file form of a chain: its events as one CBOR sequence.
 *
 * @example
 * ```ts
 * writeFileSync('exhibit-17.chain', serializeChain(chain));
 * ```
 */
export function serializeChain(chain: CustodyChain | readonly Uint8Array[]): Uint8Array {
  const events = Array.isArray(chain) ? (chain as readonly Uint8Array[]) : (chain as CustodyChain).events;
  return concatBytes(...events);
}

/** Length of the head of a CBOR byte string or nil at `p`, or -1 when it is something else. */
function bstrEnd(b: Uint8Array, p: number): number {
  const ib = b[p];
  if (ib === undefined) return -1;
  if (ib === 0xf6) return p + 1;
  if (ib >> 5 !== 2) return -1;
  const ai = ib & 31;
  let len: number;
  let head: number;
  if (ai < 24) [len, head] = [ai, 1];
  else if (ai === 24) [len, head] = [b[p + 1] ?? -1, 2];
  else if (ai === 25) [len, head] = [((b[p + 1] ?? 0) << 8) | (b[p + 2] ?? 0), 3];
  else if (ai === 26) [len, head] = [(b[p + 1] ?? 0) * 2 ** 24 + (((b[p + 2] ?? 0) << 16) | ((b[p + 3] ?? 0) << 8) | (b[p + 4] ?? 0)), 5];
  else return -1;
  if (len < 0 || p + head > b.length) return -1;
  return p + head + len;
}

/**
 * Splits a chain file into events. The common shape (tag 18, array of 4, bstr, empty map,
 * bstr, bstr) is split by reading four heads; anything else goes through the strict CBOR
 * decoder, so a malformed item is reported, never skipped. Returns the events that could be
 * split, and the error at the first one that could not (whose bytes run to the end). More than
 * {@link MAX_CHAIN_EVENTS} events is ERR_LIMIT (thrown: no verdict on a chain that large).
 */
export function splitChain(bytes: Uint8Array): { events: Uint8Array[]; error?: CustosError } {
  const b = assertBytes('chain', bytes);
  const events: Uint8Array[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (events.length >= MAX_CHAIN_EVENTS) fail('ERR_LIMIT', `the chain has more than ${MAX_CHAIN_EVENTS} events`);
    let end = -1;
    if (b[pos] === 0xd2 && b[pos + 1] === 0x84) {
      let p = bstrEnd(b, pos + 2);
      if (p > 0 && b[p] === 0xa0) p = bstrEnd(b, p + 1);
      else p = -1;
      if (p > 0) p = bstrEnd(b, p);
      if (p > 0 && p <= b.length) end = p;
    }
    if (end < 0) {
      try {
        end = pos + itemLength(b.subarray(pos), { allowedTags: [18], maxBytes: MAX_EVENT_BYTES });
      } catch (e) {
        const err = e instanceof CustosError ? e : new CustosError('ERR_EVENT_INVALID', 'unreadable event', { cause: e });
        events.push(b.subarray(pos));
        return { events, error: new CustosError('ERR_EVENT_INVALID', `event ${events.length - 1} cannot be read: ${err.message}`, { cause: err }) };
      }
    }
    if (end - pos > MAX_EVENT_BYTES) {
      events.push(b.subarray(pos));
      return { events, error: new CustosError('ERR_EVENT_INVALID', `event ${events.length - 1} exceeds ${MAX_EVENT_BYTES} bytes`) };
    }
    events.push(b.subarray(pos, end));
    pos = end;
  }
  return { events };
}

/**
 * Parses a chain file strictly: every event must split and open. Throws ERR_EVENT_INVALID or
 * ERR_CHAIN_EMPTY; use {@link verifyChain} on the bytes for a full report instead.
 *
 * @example
 * ```ts
 * const chain = parseChain(readFileSync('exhibit-17.chain'));
 * ```
 */
export function parseChain(bytes: Uint8Array): CustodyChain {
  const { events, error } = splitChain(bytes);
  if (error !== undefined) throw error;
  if (events.length === 0) fail('ERR_CHAIN_EMPTY', 'the chain has no events');
  const first = openCustodyEvent(events[0]!);
  return { id: first.event.chainId, events: events.map((e) => e.slice()) };
}
