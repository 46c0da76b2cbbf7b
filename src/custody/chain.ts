/**
 * A chain of custody as bytes: the signed events in order, and its file form, an RFC 8742 CBOR
 * sequence of COSE_Sign1 items back to back (no framing, no index: appending is writing bytes
 * at the end, and `cat a b` of two halves is the whole chain).
 */
import * as crypto from '#crypto';
import { assertBytes, concatBytes, equalBytes } from '../bytes.js';
import { itemLength } from '../cbor.js';
import { decodeSign1, HEADER, type Sign1 } from '../cose/index.js';
import { CustosError, fail } from '../errors.js';
import { decodeCustodyEvent, type CustodyEvent } from './event.js';

/** COSE content type (header 3) of a custody event: it keeps a seal's signature from passing as an event's. */
export const CUSTODY_EVENT_CONTENT_TYPE = 'application/vnd.custos.custody-event+cbor';

/** Largest event custos accepts (events are small; this bounds hostile input). */
export const MAX_EVENT_BYTES = 1 << 20;

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
 */
export function openCustodyEvent(bytes: Uint8Array): OpenedEvent {
  let message: Sign1;
  try {
    message = decodeSign1(assertBytes('event', bytes), { maxBytes: MAX_EVENT_BYTES });
  } catch (e) {
    invalid('event is not a well-formed COSE_Sign1', e);
  }
  if (message.payload === null) invalid('event payload is detached');
  if (message.unprotectedHeaders.size !== 0) invalid('event has unprotected headers');
  if (message.protectedHeaders.get(HEADER.contentType) !== CUSTODY_EVENT_CONTENT_TYPE) invalid('event content type is not a custody event');
  const kid = message.protectedHeaders.get(HEADER.kid);
  const event = decodeCustodyEvent(message.payload);
  if (!(kid instanceof Uint8Array) || !equalBytes(kid, event.actor.kid)) invalid('event kid differs from actor.kid');
  return { message, event };
}

/** SHA-256 of an event's complete bytes: what the next event's `prev` names. */
export function eventHash(bytes: Uint8Array): Uint8Array {
  return crypto.sha256(assertBytes('event', bytes));
}

/** The file form of a chain: its events as one CBOR sequence. */
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
 * split, and the error at the first one that could not (whose bytes run to the end).
 */
export function splitChain(bytes: Uint8Array): { events: Uint8Array[]; error?: CustosError } {
  const b = assertBytes('chain', bytes);
  const events: Uint8Array[] = [];
  let pos = 0;
  while (pos < b.length) {
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
 */
export function parseChain(bytes: Uint8Array): CustodyChain {
  const { events, error } = splitChain(bytes);
  if (error !== undefined) throw error;
  if (events.length === 0) fail('ERR_CHAIN_EMPTY', 'the chain has no events');
  const first = openCustodyEvent(events[0]!);
  return { id: first.event.chainId, events: events.map((e) => e.slice()) };
}
