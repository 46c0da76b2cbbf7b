/**
 * Verifying a chain of custody: every event, every rule, one report.
 *
 * For each event, in order: it decodes (strict COSE_Sign1 over a strict deterministic-CBOR
 * payload); its key is in the trust store and was valid at the event's own time; the signature
 * verifies; the key belongs to the authority the event names as actor; it belongs to this chain
 * (chain id); its seq is its index and its `prev` is the SHA-256 of the event before it (an
 * event whose `prev` another event already named is a fork, an event repeated byte for byte a
 * duplicate); then the custody rules of rules.ts. Nothing stops at the first failure: the
 * report lists each event with its status and every failure with its index and code.
 *
 * What a chain alone cannot show: that no events were cut off its end. Truncation is detected
 * by comparing the head hash with one recorded elsewhere (a transparency-log receipt, the
 * receiving agency's copy): the report gives `head` for that purpose.
 *
 * Key validity is judged at the time the event states; the signer chooses that time, so a
 * revoked key could back-date. Receipts from a transparency log bound it independently.
 */
import { equalBytes } from '../bytes.js';
import { CustosError, fail, type ErrorCode } from '../errors.js';
import type { Check } from '../report.js';
import type { TrustStore } from '../keys/trust.js';
import { verifySignedBy } from '../keys/verify-signed.js';
import { eventHash, MAX_CHAIN_EVENTS, openCustodyEvent, splitChain, type CustodyChain, type OpenedEvent } from './chain.js';
import type { CustodyEventType } from './event.js';
import { DEFAULT_EVENT_ROLES, INITIAL_STATE, stepCustody, type CustodyState, type EventRolePolicy } from './rules.js';

/**
 * One failed check ({@link Check}): where (`index`, the event, with `check` `event`; −1 and
 * `chain` for the chain as a whole) and what (stable code, detail for humans).
 */
export type ChainFailure = Check<'event' | 'chain'> & { readonly index: number; readonly ok: false; readonly code: ErrorCode; readonly detail: string };

function failureAt(index: number, code: ErrorCode, detail: string): ChainFailure {
  return { check: index < 0 ? 'chain' : 'event', index, ok: false, code, detail };
}

/** The verdict on one event. */
export interface ChainEventReport {
  readonly index: number;
  /** SHA-256 of the event bytes. */
  readonly hash: Uint8Array;
  readonly status: 'valid' | 'invalid';
  readonly type?: CustodyEventType;
  readonly time?: number;
  readonly actor?: { readonly authority: string; readonly role: string };
  /** The purpose the event states, if any. */
  readonly purpose?: string;
  /** Codes of the failures at this index. */
  readonly codes: readonly ErrorCode[];
}

export interface ChainReport {
  /** True when there is no failure at all. */
  readonly ok: boolean;
  readonly chainId: string | undefined;
  readonly length: number;
  /** SHA-256 of the last event: compare with a receipt or a copy to detect truncation. */
  readonly head: Uint8Array | undefined;
  /** Authority holding the item after the last event (the sender while a transfer is pending). */
  readonly custodian: string | undefined;
  readonly pendingTransfer: { readonly index: number; readonly to: string } | undefined;
  readonly terminal: { readonly index: number; readonly type: CustodyEventType } | undefined;
  /** The item digests the chain establishes, after carry-over and derivations. */
  readonly digests: Readonly<Record<string, Uint8Array>> | undefined;
  readonly events: readonly ChainEventReport[];
  readonly failures: readonly ChainFailure[];
}

export interface VerifyChainOptions {
  /** The chain id the caller expects (exhibit number); default: the first event's. */
  readonly expectedId?: string;
  /** Which roles may record which events (default {@link DEFAULT_EVENT_ROLES}). */
  readonly roles?: EventRolePolicy;
  /**
   * Accept a chain that ends with a transfer not yet received (an item in transit). Default
   * false: a court-ready chain has every transfer completed.
   */
  readonly allowPendingTransfer?: boolean;
}

/** A Map key for a 32-byte hash: one char per byte (hex costs more, and this runs per event). */
function bytesKey(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/** The report on a chain refused as a whole (e.g. ERR_LIMIT), with its one chain-level failure. */
export function refusedChainReport(e: CustosError): ChainReport {
  return { ok: false, chainId: undefined, length: 0, head: undefined, custodian: undefined, pendingTransfer: undefined, terminal: undefined, digests: undefined, events: [], failures: [failureAt(-1, e.code, e.message)] };
}

function asEvents(chain: CustodyChain | readonly Uint8Array[] | Uint8Array): { events: readonly Uint8Array[]; error?: CustosError } {
  if (chain instanceof Uint8Array) return splitChain(chain);
  if (Array.isArray(chain)) return { events: chain as readonly Uint8Array[] };
  if (typeof chain === 'object' && chain !== null && Array.isArray((chain as CustodyChain).events)) {
    return { events: (chain as CustodyChain).events };
  }
  return fail('ERR_INVALID_ARGUMENT', '"chain" expected a CustodyChain, an array of events or the chain file bytes');
}

/**
 * Verifies a chain of custody against a trust store. Throws only on misuse; every finding is in
 * the report.
 *
 * @example
 * ```ts
 * const report = verifyChain(readFileSync('exhibit-17.chain'), trust);
 * if (!report.ok) for (const f of report.failures) console.log(f.index, f.code, f.detail);
 * ```
 */
export function verifyChain(
  chain: CustodyChain | readonly Uint8Array[] | Uint8Array,
  trust: TrustStore,
  opts: VerifyChainOptions = {},
): ChainReport {
  if (typeof trust?.lookup !== 'function') fail('ERR_INVALID_ARGUMENT', '"trust" expected a TrustStore');
  let split: { events: readonly Uint8Array[]; error?: CustosError };
  try {
    split = asEvents(chain);
    if (split.events.length > MAX_CHAIN_EVENTS) fail('ERR_LIMIT', `the chain has more than ${MAX_CHAIN_EVENTS} events`);
  } catch (e) {
    if (!(e instanceof CustosError) || e.code !== 'ERR_LIMIT') throw e;
    // refused unread: verifying it would cost one signature check per hostile event
    return refusedChainReport(e);
  }
  const { events, error } = split;
  const failures: ChainFailure[] = [];
  const reports: ChainEventReport[] = [];
  if (events.length === 0) failures.push(failureAt(-1, 'ERR_CHAIN_EMPTY', 'the chain has no events'));

  const byHash = new Map<string, number>();
  const byPrev = new Map<string, number>();
  let state: CustodyState = INITIAL_STATE;
  let chainId = opts.expectedId;
  let prevHash: Uint8Array | undefined;
  const policy = opts.roles ?? DEFAULT_EVENT_ROLES;

  for (let i = 0; i < events.length; i++) {
    const bytes = events[i]!;
    const hash = eventHash(bytes);
    const hx = bytesKey(hash);
    const mine: ChainFailure[] = [];
    const add = (code: ErrorCode, detail: string) => mine.push(failureAt(i, code, detail));
    let opened: OpenedEvent | undefined;
    if (error !== undefined && i === events.length - 1) add('ERR_EVENT_INVALID', error.message);
    else {
      try {
        opened = openCustodyEvent(bytes);
      } catch (e) {
        add(e instanceof CustosError ? e.code : 'ERR_EVENT_INVALID', e instanceof Error ? e.message : 'invalid event');
      }
    }
    const dup = byHash.get(hx);
    if (dup !== undefined) add('ERR_CHAIN_SEQ', `event repeats event ${dup} byte for byte`);
    else byHash.set(hx, i);

    let signerRoles: readonly string[] | undefined;
    if (opened !== undefined) {
      const { event: e, message } = opened;
      // keys and signature
      // openCustodyEvent made sure the protected kid is the payload's actor.kid
      const signed = verifySignedBy(message, trust, { at: e.time, authority: e.actor.authority, authorityCode: 'ERR_EVENT_INVALID' });
      if (signed.ok) signerRoles = signed.authority.roles;
      else if (signed.step === 'signature') add('ERR_SIGNATURE_INVALID', 'event signature does not verify');
      else add(signed.code, signed.step === 'authority' ? `event names ${e.actor.authority} as actor but is signed by a key of ${signed.signer.authority.id}` : `event key: ${signed.reason}`);
      // chain identity and links
      if (chainId === undefined) chainId = e.chainId;
      else if (e.chainId !== chainId) add('ERR_CHAIN_ID', `event belongs to chain "${e.chainId}", not "${chainId}"`);
      if (dup === undefined) {
        const prevKey = e.prev === null ? undefined : bytesKey(e.prev);
        const forkOf = prevKey === undefined ? undefined : byPrev.get(prevKey);
        if (forkOf !== undefined) add('ERR_CHAIN_FORK', `event names the same predecessor as event ${forkOf}`);
        else {
          if (e.seq !== i) add('ERR_CHAIN_SEQ', `event has seq ${e.seq} at index ${i}`);
          const linked = i === 0 ? e.prev === null : e.prev !== null && prevHash !== undefined && equalBytes(e.prev, prevHash);
          if (!linked) add('ERR_CHAIN_BROKEN', i === 0 ? 'first event names a predecessor' : `event does not link to event ${i - 1}`);
        }
        if (prevKey !== undefined && !byPrev.has(prevKey)) byPrev.set(prevKey, i);
      }
      // custody rules (signer roles only when the signature and authority check out)
      const step = stepCustody(state, { index: i, event: e, hash, ...(signerRoles !== undefined ? { signerRoles } : {}) }, policy);
      state = step.state;
      for (const f of step.failures) add(f.code, f.message);
    }
    // an unreadable event still occupies its place: the next one must link to its bytes
    prevHash = hash;
    failures.push(...mine);
    reports.push({
      index: i,
      hash,
      status: mine.length === 0 ? 'valid' : 'invalid',
      ...(opened !== undefined
        ? {
            type: opened.event.type,
            time: opened.event.time,
            actor: { authority: opened.event.actor.authority, role: opened.event.actor.role },
            ...(opened.event.purpose !== undefined ? { purpose: opened.event.purpose } : {}),
          }
        : {}),
      codes: mine.map((f) => f.code),
    });
  }
  const pending = state.pendingTransfer;
  if (pending !== undefined && !opts.allowPendingTransfer) {
    failures.push(failureAt(pending.index, 'ERR_TRANSFER_INCOMPLETE', `the transfer to ${pending.to} was never received`));
    const r = reports[pending.index];
    if (r !== undefined) reports[pending.index] = { ...r, status: 'invalid', codes: [...r.codes, 'ERR_TRANSFER_INCOMPLETE'] };
  }
  return {
    ok: failures.length === 0,
    chainId,
    length: events.length,
    head: events.length > 0 ? reports[reports.length - 1]!.hash : undefined,
    custodian: state.custodian,
    pendingTransfer: pending === undefined ? undefined : { index: pending.index, to: pending.to },
    terminal: state.terminal,
    digests: state.digests,
    events: reports,
    failures,
  };
}
