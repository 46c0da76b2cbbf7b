/**
 * Custody events: what one link of a chain of custody says, its zod schema, and its wire form.
 *
 * An event is a COSE_Sign1 (RFC 9052 §4.2, tag 18) whose payload is a deterministic CBOR map
 * (RFC 8949 §4.2.1) with small integer keys, so that the bytes a court keeps are compact and
 * there is exactly one encoding of every event:
 *
 * | key | field          | CBOR type                          | meaning |
 * | --- | -------------- | ---------------------------------- | ------- |
 * | 1   | chainId        | tstr (1..200)                      | the exhibit this chain is about |
 * | 2   | seq            | uint                               | 0 for the first event, then +1 |
 * | 3   | prev           | bstr (32) / null                   | SHA-256 of the previous event's complete COSE_Sign1 bytes; null at seq 0 |
 * | 4   | type           | tstr                               | one of {@link EVENT_TYPES} |
 * | 5   | time           | uint                               | milliseconds since 1970-01-01T00:00:00Z |
 * | 6   | actor          | {1: authority, 2: role, 3: kid}    | who acted; kid = RFC 9679 thumbprint of the signing key |
 * | 7   | counterparty   | {1: authority, ?2: role, ?3: kid}  | the other party (the receiver of a transfer) |
 * | 8   | location       | tstr                               | where |
 * | 9   | purpose        | tstr                               | why |
 * | 10  | authorisation  | {1: type, 2: reference}            | e.g. {warrant, "LG Wien 12 HR 34/26"} |
 * | 11  | digests        | {tstr: bstr}                       | digests of the item, e.g. {"sha-256": h'…'} |
 * | 12  | derivedFrom    | [* {1: chainId, 2: event hash}]    | items this one was derived from |
 * | 13  | seals          | [* tstr]                           | tamper-evident bag / seal numbers |
 * | 14  | note           | tstr                               | free text |
 * | 15  | ref            | bstr (32)                          | hash of the event this one answers (received → its transfer) |
 *
 * The COSE protected header carries alg and kid; the kid must equal actor.kid.
 */
import { z } from 'zod';
import { encode } from '../cbor.js';
import { CustosError, fail } from '../errors.js';
import { timeArg } from '../time.js';
import { readEventPayload } from './wire.js';

/** The custody event types, in the vocabulary of evidence handling. */
export const EVENT_TYPES = [
  'collected',
  'acquired',
  'sealed',
  'transferred',
  'received',
  'accessed',
  'examined',
  'derived',
  'redacted',
  'disclosed',
  'exported',
  'preserved',
  'returned',
  'destroyed',
] as const;

export type CustodyEventType = (typeof EVENT_TYPES)[number];

/** Events after which nothing may follow. */
export const TERMINAL_EVENT_TYPES: readonly CustodyEventType[] = ['returned', 'destroyed'];
/** Event types a chain may start with. */
export const INITIAL_EVENT_TYPES: readonly CustodyEventType[] = ['collected', 'acquired', 'derived'];

const text = (max: number) => z.string().min(1).max(max);
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a byte string');
const hash32 = bytes.refine((b) => b.length === 32, 'expected 32 bytes');
const kid = bytes.refine((b) => b.length >= 1 && b.length <= 64, 'expected 1..64 bytes');
/** Digest algorithm names: lower-case IANA-style ("sha-256", "sha-512", "blake3"). */
const digestAlg = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected a lower-case digest name');

const digestsSchema = z
  .record(digestAlg, bytes.refine((b) => b.length >= 16 && b.length <= 64, 'expected 16..64 bytes'))
  .refine((d) => Object.keys(d).length >= 1 && Object.keys(d).length <= 8, 'expected 1..8 digests')
  .refine((d) => d['sha-256'] === undefined || d['sha-256'].length === 32, 'sha-256 must be 32 bytes');

/** The zod schema of a custody event (the decoded payload, with named fields). */
export const custodyEventSchema = z.strictObject({
  chainId: text(200),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  prev: hash32.nullable(),
  type: z.enum(EVENT_TYPES),
  // up to year 9999: keeps times printable as RFC 3339
  time: z.number().int().min(0).max(253402300799999),
  actor: z.strictObject({ authority: text(200), role: text(100), kid }),
  counterparty: z.strictObject({ authority: text(200), role: text(100).optional(), kid: kid.optional() }).optional(),
  location: text(500).optional(),
  purpose: text(500).optional(),
  authorisation: z.strictObject({ type: text(100), reference: text(500) }).optional(),
  digests: digestsSchema.optional(),
  derivedFrom: z.array(z.strictObject({ chainId: text(200), event: hash32 })).min(1).max(256).optional(),
  seals: z.array(text(100)).min(1).max(256).optional(),
  note: text(4000).optional(),
  ref: hash32.optional(),
});

/** A custody event (the signed payload). */
export type CustodyEvent = z.infer<typeof custodyEventSchema>;

function invalid(msg: string, cause?: unknown): never {
  throw new CustosError('ERR_EVENT_INVALID', msg, cause === undefined ? undefined : { cause });
}

/**
 * Validates an event with the schema plus the cross-field rules the schema cannot say:
 * prev is null exactly at seq 0, a transfer names its receiver, a received event references
 * its transfer. Throws ERR_EVENT_INVALID naming the first offending field.
 */
export function parseCustodyEvent(value: unknown): CustodyEvent {
  const r = custodyEventSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    invalid(`event ${first?.path.join('.') || ''}: ${first?.message ?? 'invalid'}`.trim());
  }
  const e = r.data;
  if ((e.seq === 0) !== (e.prev === null)) invalid('event prev: must be null exactly for seq 0');
  if (e.type === 'transferred' && e.counterparty === undefined) invalid('event counterparty: a transfer names its receiver');
  if (e.type === 'received' && e.ref === undefined) invalid('event ref: a received event references its transfer');
  if (e.type === 'derived' && e.digests === undefined) invalid('event digests: a derived event states the new digests');
  return e;
}

function party(p: { authority: string; role?: string | undefined; kid?: Uint8Array | undefined }): Map<number, unknown> {
  const m = new Map<number, unknown>([[1, p.authority]]);
  if (p.role !== undefined) m.set(2, p.role);
  if (p.kid !== undefined) m.set(3, p.kid);
  return m;
}

/** The deterministic CBOR payload of an event (validated first). */
export function encodeCustodyEvent(event: CustodyEvent): Uint8Array {
  const e = parseCustodyEvent(event);
  const m = new Map<number, unknown>([
    [1, e.chainId],
    [2, e.seq],
    [3, e.prev],
    [4, e.type],
    [5, e.time],
    [6, party(e.actor)],
  ]);
  if (e.counterparty !== undefined) m.set(7, party(e.counterparty));
  if (e.location !== undefined) m.set(8, e.location);
  if (e.purpose !== undefined) m.set(9, e.purpose);
  if (e.authorisation !== undefined) m.set(10, new Map<number, unknown>([[1, e.authorisation.type], [2, e.authorisation.reference]]));
  if (e.digests !== undefined) m.set(11, new Map(Object.entries(e.digests)));
  if (e.derivedFrom !== undefined) m.set(12, e.derivedFrom.map((d) => new Map<number, unknown>([[1, d.chainId], [2, d.event]])));
  if (e.seals !== undefined) m.set(13, e.seals);
  if (e.note !== undefined) m.set(14, e.note);
  if (e.ref !== undefined) m.set(15, e.ref);
  return encode(m);
}

/**
 * Decodes and validates an event payload: strict deterministic CBOR of the documented shape
 * (wire.ts), then the schema.
 */
export function decodeCustodyEvent(payload: Uint8Array): CustodyEvent {
  return parseCustodyEvent(readEventPayload(payload));
}

/** Parses a time argument: Date, epoch milliseconds, or an RFC 3339 string with a zone (the base's {@link timeArg}). */
export function eventTime(name: string, t: Date | string | number): number {
  return timeArg(name, t);
}
