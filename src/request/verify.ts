/**
 * Verifying a request's chain of status events against a trust store.
 *
 * The verifier returns a report listing every check it made (decoding, signature, key validity
 * at the event's time, signer = actor, request id, sequence, link to the previous event, allowed
 * transition); it throws only on misuse. Only a chain whose every check passed becomes a
 * {@link VerifiedStatusChain}, the one input statistics and status reports accept: they cannot
 * be fed unverified events by mistake.
 */
import { equalBytes } from '../bytes.js';
import { isCustosError, fail } from '../errors.js';
import { allPassed, type Check } from '../report.js';
import type { TrustStore } from '../keys/trust.js';
import { verifySignedBy } from '../keys/verify-signed.js';
import { checkTransition, decodeStatusEvent, linksTo, MAX_STATUS_EVENTS, type DecodedStatusEvent, type StatusEvent } from './events.js';
import { requestDigest } from './document.js';
import type { EvidenceRequest } from './schema.js';
import { parseInstant } from './time.js';
import { validateRequest } from './validate.js';

/** One check of one status event ({@link Check}); `index` is the event's place in the chain. */
export type StatusCheck = Check<'decode' | 'signature' | 'key' | 'actor' | 'request' | 'document' | 'sequence' | 'link' | 'transition'> & { readonly index: number };

/** A status event whose signature, key, actor, link and transition all verified. */
export interface VerifiedStatusEvent extends StatusEvent {
  readonly atMs: number;
  /** Trust-store authority that signed (= `actor`). */
  readonly authority: string;
  readonly bytes: Uint8Array;
}

/** A fully verified chain of one request's status events. Created only by {@link verifyStatusChain}. */
export interface VerifiedStatusChain {
  readonly requestId: string;
  /**
   * The request document the chain is bound to (its `issued` event names this document's
   * digest), validated and frozen: instrument, data categories and emergency flag for
   * `requestStatus` and `statistics` come from here only.
   */
  readonly request: EvidenceRequest;
  /** SHA-256 of the document's deterministic CBOR (`requestDigest`). */
  readonly document: Uint8Array;
  readonly events: readonly VerifiedStatusEvent[];
}

export interface StatusChainReport {
  readonly ok: boolean;
  readonly checks: readonly StatusCheck[];
  /** Present only when `ok`. */
  readonly chain?: VerifiedStatusChain;
}

const verified = new WeakSet<object>();

/** Freezes plain objects and arrays (byte arrays cannot be frozen; callers get them as decoded). */
function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !(x instanceof Uint8Array)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/**
 * True for chains produced by {@link verifyStatusChain} in this process (not look-alike objects).
 *
 * @example
 * ```ts
 * isVerifiedStatusChain(report.chain); // true
 * isVerifiedStatusChain({ ...report.chain }); // false
 * ```
 */
export function isVerifiedStatusChain(x: unknown): x is VerifiedStatusChain {
  return typeof x === 'object' && x !== null && verified.has(x);
}

function failure(index: number, check: StatusCheck['check'], e: unknown): StatusCheck {
  if (isCustosError(e)) return { index, check, ok: false, code: e.code, detail: e.message };
  return { index, check, ok: false, code: 'ERR_INTERNAL', detail: 'unexpected error' };
}

/**
 * Verifies one request's status events (COSE bytes, in order) against the request document
 * they were issued for: `issued` must name `request`'s digest (check `document`), and who may
 * sign each status follows from that document's instrument and parties (check `transition`).
 * `request` is required: without it the party rules cannot run. An invalid document throws
 * ERR_REQUEST_INVALID (misuse).
 *
 * @example
 * ```ts
 * const report = verifyStatusChain(chain, trust, { request: req });
 * if (!report.ok) console.table(report.checks.filter((c) => !c.ok));
 * else statistics([req], [report.chain!], period);
 * ```
 */
export function verifyStatusChain(
  chain: readonly Uint8Array[],
  trust: TrustStore,
  opts: { request: EvidenceRequest },
): StatusChainReport {
  if (!Array.isArray(chain)) fail('ERR_INVALID_ARGUMENT', '"chain" expected an array of status events');
  if (opts?.request === undefined || opts.request === null) fail('ERR_INVALID_ARGUMENT', '"opts.request" (the request document) is required');
  const doc = validateRequest(opts.request);
  const document = requestDigest(doc);
  // No verdict on a chain that large (thrown, as for custody chains): see MAX_STATUS_EVENTS.
  if (chain.length > MAX_STATUS_EVENTS) fail('ERR_LIMIT', `the status chain has more than ${MAX_STATUS_EVENTS} events`);
  const checks: StatusCheck[] = [];
  const decoded: Array<DecodedStatusEvent | undefined> = [];
  const out: VerifiedStatusEvent[] = [];
  if (chain.length === 0) checks.push({ index: 0, check: 'decode', ok: false, code: 'ERR_CHAIN_EMPTY', detail: 'no status events' });
  const requestId = doc.id;
  // An index loop, not forEach: forEach skips the holes of a sparse array, so a trailing hole
  // would verify as if absent (finding F-9). Every index up to length gets a decode check.
  const visit = (bytes: Uint8Array | undefined, i: number): void => {
    if (!(bytes instanceof Uint8Array)) {
      decoded.push(undefined);
      checks.push({ index: i, check: 'decode', ok: false, code: 'ERR_INVALID_ARGUMENT', detail: 'not a Uint8Array (a hole in the array or another type)' });
      return;
    }
    let d: DecodedStatusEvent;
    try {
      d = decodeStatusEvent(bytes);
      checks.push({ index: i, check: 'decode', ok: true });
    } catch (e) {
      decoded.push(undefined);
      checks.push(failure(i, 'decode', e));
      return;
    }
    decoded.push(d);
    const e = d.event;
    const atMs = parseInstant('at', e.at).epochMs;
    let authority: string | undefined;
    let jurisdiction: string | undefined;
    // the actor is compared below as its own check (run only when the signature verified)
    const signed = verifySignedBy(d.sign1, trust, { at: atMs });
    if (signed.ok || signed.step === 'signature') {
      checks.push({ index: i, check: 'key', ok: true });
      if (signed.ok) {
        checks.push({ index: i, check: 'signature', ok: true });
        authority = signed.authority.id;
      } else checks.push({ index: i, check: 'signature', ok: false, code: signed.code, detail: signed.code === 'ERR_SIGNATURE_INVALID' ? 'signature does not verify' : signed.reason });
      jurisdiction = (signed.ok ? signed : signed.signer).authority.jurisdiction;
    } else checks.push({ index: i, check: 'key', ok: false, code: signed.code, detail: signed.reason });
    if (authority !== undefined) {
      checks.push(authority === e.actor
        ? { index: i, check: 'actor', ok: true }
        : { index: i, check: 'actor', ok: false, code: 'ERR_ROLE_NOT_ALLOWED', detail: 'the event was signed by another authority than its actor' });
    }
    checks.push(e.request === requestId
      ? { index: i, check: 'request', ok: true }
      : { index: i, check: 'request', ok: false, code: 'ERR_CHAIN_ID', detail: 'event belongs to another request' });
    if (i === 0) {
      checks.push(e.document !== undefined && equalBytes(e.document, document)
        ? { index: i, check: 'document', ok: true }
        : { index: i, check: 'document', ok: false, code: 'ERR_REQUEST_MISMATCH', detail: 'issued names another request document (or none)' });
    }
    checks.push(e.seq === i
      ? { index: i, check: 'sequence', ok: true }
      : { index: i, check: 'sequence', ok: false, code: 'ERR_CHAIN_SEQ', detail: `expected seq ${i}, got ${e.seq}` });
    const prev = i === 0 ? null : decoded[i - 1];
    const linked = i === 0 ? e.prev === null : prev !== undefined && prev !== null && linksTo(e, prev.digest);
    checks.push(linked
      ? { index: i, check: 'link', ok: true }
      : { index: i, check: 'link', ok: false, code: 'ERR_CHAIN_BROKEN', detail: 'prev does not name the previous event' });
    try {
      const history = decoded.slice(0, i).filter((x): x is DecodedStatusEvent => x !== undefined).map((x) => x.event);
      checkTransition(history, e, doc, authority === undefined ? undefined : jurisdiction);
      checks.push({ index: i, check: 'transition', ok: true });
    } catch (err) {
      checks.push(failure(i, 'transition', err));
    }
    out.push(deepFreeze({ ...e, atMs, authority: authority ?? '', bytes }));
  };
  for (let i = 0; i < chain.length; i++) visit(chain[i], i);
  const ok = allPassed(checks);
  if (!ok) return { ok: false, checks };
  const result: VerifiedStatusChain = Object.freeze({ requestId, request: deepFreeze(structuredClone(doc)), document, events: Object.freeze(out) });
  verified.add(result);
  return { ok: true, checks, chain: result };
}
