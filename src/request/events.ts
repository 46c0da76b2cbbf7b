/**
 * Signed request status events: COSE_Sign1 (RFC 9052 §4.2) over a deterministic-CBOR map.
 *
 * Each event names its request, its position (`seq`, from 0) and the SHA-256 of the previous
 * event's COSE bytes (`prev`), so a chain of status events cannot be reordered, shortened in the
 * middle or spliced. The signer's kid is in the protected header; the verifier maps it to an
 * authority through the trust store and requires that authority to be the event's `actor`.
 * Appending every event to a transparency log gives the other side a receipt for each step.
 */
import { z } from 'zod';
import { equalBytes } from '../bytes.js';
import { decode, encode } from '../cbor.js';
import { decodeSign1, HEADER, signSign1, type Sign1 } from '../cose/sign1.js';
import * as crypto from '#crypto';
import { CustosError, fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import { andThen, type Signed } from '../keys/signed.js';
import { ONCE_KINDS, STATUS_KINDS, TRANSITIONS } from './kinds.js';
import { checkParties } from './parties.js';
import { requestDigest } from './document.js';
import type { EvidenceRequest } from './schema.js';
import { validateRequest } from './validate.js';
import { isInstantText, parseInstant } from './time.js';

/** COSE content type (RFC 9052 §3.1 label 3) of a status event payload. */
export const STATUS_CONTENT_TYPE = 'application/vnd.custos.request-status+cbor';
/** Largest status event custos decodes. */
export const STATUS_MAX_BYTES = 64 * 1024;
/**
 * Most events in one request's status chain (verify and sign). A real request has tens; the
 * bound keeps a hostile chain from costing minutes of signature checks (finding F-8).
 */
export const MAX_STATUS_EVENTS = 10_000;

const text = (max: number) => z.string().min(1).max(max);
const instant = z.string().refine(isInstantText, 'expected an RFC 3339 date-time with Z or ±hh:mm');
const code = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected a lower-case code');

/** The fields a caller supplies for a new status event. */
export const statusInputSchema = z.strictObject({
  kind: z.enum(STATUS_KINDS),
  /** When it happened, with an explicit zone (kept as written). */
  at: instant,
  /** Trust-store id of the authority or provider acting; must own the signing key. */
  actor: text(200),
  /** delay-notified: why. */
  reasons: z.array(text(2000)).min(1).max(20).optional(),
  /** delay-notified: the new estimate of when the request will be answered. */
  estimate: instant.optional(),
  /** refused / objected: grounds, as codes (statistics count them) with optional text. */
  grounds: z.array(z.strictObject({ code, text: text(2000).optional() })).min(1).max(20).optional(),
  /** extended: what was extended. */
  extension: z
    .strictObject({
      code: z.enum(['preservation-30-days', 'production-request-confirmed', 'recognition-30-days', 'other']),
      until: instant.optional(),
    })
    .optional(),
  /** partially-fulfilled / fulfilled: how many items (files, records) went out with this step. */
  items: z.int().min(0).max(1_000_000_000).optional(),
  note: text(4000).optional(),
});
export type StatusInput = z.infer<typeof statusInputSchema>;

const digest32 = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32, 'expected 32 bytes');

const payloadSchema = statusInputSchema.extend({
  v: z.literal(1),
  request: text(128),
  /**
   * issued only: SHA-256 of the request document's deterministic CBOR (`requestDigest`), so the
   * chain is bound to the document it was issued for, not just to its id.
   */
  document: digest32.optional(),
  seq: z.int().min(0).max(1_000_000),
  prev: digest32.nullable(),
});

/** A decoded (not yet verified) status event. */
export type StatusEvent = z.infer<typeof payloadSchema>;

/** Per-kind fields: each kind carries what it needs, and nothing that belongs to another kind. */
function checkKindFields(e: StatusInput & { document?: Uint8Array | undefined }): void {
  const need = (ok: boolean, msg: string): void => {
    if (!ok) fail('ERR_EVENT_INVALID', `${e.kind}: ${msg}`);
  };
  need((e.kind === 'delay-notified') === (e.reasons !== undefined), 'reasons belong to delay-notified, which requires them');
  need((e.kind === 'delay-notified') === (e.estimate !== undefined), 'estimate belongs to delay-notified, which requires it');
  const refusal = e.kind === 'refused' || e.kind === 'objected';
  need(refusal === (e.grounds !== undefined), 'grounds belong to refused and objected, which require them');
  need((e.kind === 'extended') === (e.extension !== undefined), 'extension belongs to extended, which requires it');
  need((e.kind === 'issued') === (e.document !== undefined), 'document (the request digest) belongs to issued, which requires it');
  need(e.items === undefined || e.kind === 'partially-fulfilled' || e.kind === 'fulfilled', 'items belong to (partially-)fulfilled');
  if (e.estimate !== undefined) {
    need(parseInstant('estimate', e.estimate).epochMs > parseInstant('at', e.at).epochMs, 'estimate must be after at');
  }
}

function parsePayload(value: unknown): StatusEvent {
  const r = payloadSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    fail('ERR_EVENT_INVALID', `status event ${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  checkKindFields(r.data);
  return r.data;
}

/**
 * Checks that `next` may follow `history` (all of one request, in order) for `request`, the
 * document the chain is bound to. Throws ERR_TRANSITION for a status the graph or the
 * instrument does not allow, ERR_TIME_BACKWARDS for time going back, and ERR_ROLE_NOT_ALLOWED
 * when the wrong party acts (see `parties.ts`; `jurisdiction` is the signer's, when known).
 *
 * @example
 * ```ts
 * checkTransition([issued], fulfilled, request); // throws ERR_TRANSITION: issued → fulfilled is not allowed
 * ```
 */
export function checkTransition(history: readonly StatusEvent[], next: StatusEvent, request: EvidenceRequest, jurisdiction?: string): void {
  const last = history[history.length - 1];
  if (last === undefined) {
    if (next.kind !== 'issued') fail('ERR_TRANSITION', `a request's first status must be issued, not ${next.kind}`);
    checkParties(history, next, request, jurisdiction);
    return;
  }
  if (!TRANSITIONS[last.kind].includes(next.kind)) fail('ERR_TRANSITION', `${last.kind} → ${next.kind} is not allowed`);
  const seen = new Set(history.map((e) => e.kind));
  if (ONCE_KINDS.has(next.kind) && seen.has(next.kind)) fail('ERR_TRANSITION', `${next.kind} may happen only once`);
  const needsReceipt = !['issued', 'received', 'validated', 'withdrawn'].includes(next.kind);
  if (needsReceipt && !seen.has('received')) fail('ERR_TRANSITION', `${next.kind} before received`);
  if (parseInstant('at', next.at).epochMs < parseInstant('at', last.at).epochMs) {
    fail('ERR_TIME_BACKWARDS', `status ${next.seq} is dated before status ${last.seq}`);
  }
  checkParties(history, next, request, jurisdiction);
}

/** A decoded status event with its COSE message and bytes. */
export interface DecodedStatusEvent {
  readonly event: StatusEvent;
  readonly sign1: Sign1;
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`: what the next event's `prev` names. */
  readonly digest: Uint8Array;
}

/**
 * Decodes a status event without verifying it (ERR_COSE_*, ERR_CBOR_*, ERR_EVENT_INVALID).
 *
 * @example
 * ```ts
 * const { event } = decodeStatusEvent(bytes); // event.kind, event.seq, event.at — not yet trusted
 * ```
 */
export function decodeStatusEvent(bytes: Uint8Array): DecodedStatusEvent {
  const sign1 = decodeSign1(bytes, { maxBytes: STATUS_MAX_BYTES });
  if (sign1.protectedHeaders.get(HEADER.contentType) !== STATUS_CONTENT_TYPE) {
    fail('ERR_EVENT_INVALID', 'not a request status event (content type)');
  }
  if (sign1.payload === null) fail('ERR_EVENT_INVALID', 'status event without payload');
  const event = parsePayload(decode(sign1.payload, { objects: true, maxBytes: STATUS_MAX_BYTES, maxDepth: 8 }));
  return { event, sign1, bytes, digest: crypto.sha256(bytes) };
}

/**
 * Signs the next status event of a request's chain, after checking that the transition is
 * allowed. `request` is the request document (checked with `validateRequest`): `issued` binds
 * its digest, and every later event must extend a chain bound to the same document (else
 * ERR_REQUEST_MISMATCH). `chain` holds the request's earlier events (COSE bytes, in order;
 * empty for `issued`). Times are kept as written, with their offset: the offset of `received` is where
 * the addressee counts its calendar days.
 *
 * @example
 * ```ts
 * const issued = signStatusEvent([], request, { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'at-wksta' }, key);
 * const received = signStatusEvent([issued], request, { kind: 'received', at: '2026-03-27T17:00:00+01:00', actor: 'ie-mail' }, providerKey);
 * ```
 */
export function signStatusEvent<S extends Signer>(chain: readonly Uint8Array[], request: EvidenceRequest, input: StatusInput, signer: S): Signed<S, Uint8Array> {
  const doc = validateRequest(request);
  const requestId = doc.id;
  const document = requestDigest(doc);
  // Times first, so that a floating local time is ERR_TIME_INVALID like everywhere else.
  parseInstant('input.at', (input as { at?: unknown } | null)?.at);
  const est = (input as { estimate?: unknown } | null)?.estimate;
  if (est !== undefined) parseInstant('input.estimate', est);
  const parsed = statusInputSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    fail('ERR_EVENT_INVALID', `status input ${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  if (!Array.isArray(chain)) fail('ERR_INVALID_ARGUMENT', '"chain" expected an array of status events');
  if (chain.length >= MAX_STATUS_EVENTS) fail('ERR_LIMIT', `a status chain holds at most ${MAX_STATUS_EVENTS} events`);
  // Array.from visits every index (map would skip the holes of a sparse array and leave them in
  // the history): a hole is decoded, and refused, like any other non-event (F-9's twin).
  const history = Array.from(chain, (b) => decodeStatusEvent(b));
  const last = history[history.length - 1];
  const event: StatusEvent = parsePayload({
    ...stripUndefined(parsed.data),
    v: 1,
    request: requestId,
    seq: history.length,
    prev: last === undefined ? null : last.digest,
    ...(parsed.data.kind === 'issued' ? { document } : {}),
  });
  for (const h of history) {
    if (h.event.request !== requestId) fail('ERR_CHAIN_ID', 'the chain holds another request\'s events');
  }
  const bound = history[0]?.event.document;
  if (bound !== undefined && !equalBytes(bound, document)) {
    fail('ERR_REQUEST_MISMATCH', 'the chain was issued for another version of this request document');
  }
  checkTransition(
    history.map((h) => h.event),
    event,
    doc,
  );
  // The schema bounds text in characters, readers bound the signed event in bytes
  // (STATUS_MAX_BYTES): a long text in a script of 2–4 UTF-8 bytes per character would give an
  // event that no reader accepts and that blocks the chain for both parties (finding F-8).
  // Refused before signing (the payload alone is over) and after (with the COSE envelope).
  const payload = encode(event);
  const tooBig = (n: number) => fail('ERR_CBOR_SIZE', `the signed status event would be ${n} bytes, over STATUS_MAX_BYTES (${STATUS_MAX_BYTES}); shorten its text fields`);
  if (payload.length > STATUS_MAX_BYTES) tooBig(payload.length);
  const signed = signSign1<Signer>(payload, signer, {
    protectedHeaders: new Map<number, unknown>([[HEADER.contentType, STATUS_CONTENT_TYPE]]),
  });
  return andThen(signed, (b) => (b.length > STATUS_MAX_BYTES ? tooBig(b.length) : b)) as Signed<S, Uint8Array>;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Something status events can be appended to: `openLog(dir).append` from `custos/node` fits. */
export interface StatusLog {
  append(entry: Uint8Array): Promise<{ index: number }>;
}

/**
 * Signs the next status event and appends it to a transparency log, so the other side can ask
 * the log for an inclusion receipt for this step.
 *
 * @example
 * ```ts
 * const log = await openLog('./log', { … });
 * const { bytes, index } = await publishStatusEvent(log, chain, req, { kind: 'acknowledged', at, actor }, key);
 * ```
 */
export async function publishStatusEvent(
  log: StatusLog,
  chain: readonly Uint8Array[],
  request: EvidenceRequest,
  input: StatusInput,
  signer: Signer,
): Promise<{ bytes: Uint8Array; index: number }> {
  const bytes = await signStatusEvent<Signer>(chain, request, input, signer);
  let index: number;
  try {
    ({ index } = await log.append(bytes));
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('ERR_IO', 'appending the status event to the log failed', { cause: e });
  }
  if (!Number.isSafeInteger(index) || index < 0) fail('ERR_INTERNAL', 'the log returned an invalid index');
  return { bytes, index };
}

/** True when `b` is the digest named by `event.prev` (constant time). */
export function linksTo(event: StatusEvent, previousDigest: Uint8Array): boolean {
  return event.prev !== null && equalBytes(event.prev, previousDigest);
}
