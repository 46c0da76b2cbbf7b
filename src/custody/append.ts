/**
 * Growing a chain of custody: sign the next event, linked to the last one.
 *
 * `appendEvent` fills in what the chain determines (chain id, seq, the hash of the previous
 * event, the signer's kid) and refuses, before signing, an event the verifier would reject for
 * its place in the chain (a non-custodian acting, an unreceived transfer, time going backwards,
 * anything after destruction, a changed digest). Chains are immutable values: appending returns
 * a new chain and leaves the old one as it was. Appending costs O(1) amortised in time and memory:
 * the chains made here share one append-only store of events (events.ts), and the rules state
 * after each chain's last event is kept beside it.
 */
import { assertString } from '../bytes.js';
import { signSign1, HEADER } from '../cose/index.js';
import { CustosError, fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import { andThen, type Signed } from '../keys/signed.js';
import type { TrustStore } from '../keys/trust.js';
import { trustedSignerAt } from '../keys/verify-signed.js';
import { CUSTODY_EVENT_CONTENT_TYPE, eventHash, MAX_CHAIN_EVENTS, openCustodyEvent, type CustodyChain } from './chain.js';
import { emptyEvents, eventsWith, snapshotEvents } from './events.js';
import { encodeCustodyEvent, eventTime, parseCustodyEvent, type CustodyEvent, type CustodyEventType } from './event.js';
import { DEFAULT_EVENT_ROLES, INITIAL_STATE, stepCustody, type CustodyState, type EventRolePolicy } from './rules.js';

/** What the caller says about an event; the chain and the signer supply the rest. */
export interface CustodyEventInput {
  readonly type: CustodyEventType;
  /** When it happened (default: now). Date, epoch ms, or RFC 3339 with a zone. */
  readonly time?: Date | string | number;
  readonly actor: { readonly authority: string; readonly role: string };
  readonly counterparty?: { readonly authority: string; readonly role?: string; readonly kid?: Uint8Array };
  readonly location?: string;
  readonly purpose?: string;
  readonly authorisation?: { readonly type: string; readonly reference: string };
  readonly digests?: Readonly<Record<string, Uint8Array>>;
  readonly derivedFrom?: readonly { readonly chainId: string; readonly event: Uint8Array }[];
  readonly seals?: readonly string[];
  readonly note?: string;
  /** For `received`: the transfer's hash (default: the pending transfer of this chain). */
  readonly ref?: Uint8Array;
}

export interface AppendOptions {
  /** Also check the signer against a trust store (key valid now, authority and role match). */
  readonly trust?: TrustStore;
  readonly roles?: EventRolePolicy;
}

interface Tail {
  readonly state: CustodyState;
  readonly last: Uint8Array | undefined;
  readonly seq: number;
  /** The chain's events as a view of events.ts (what the next chain extends). */
  readonly events: readonly Uint8Array[];
}

// The rules state after the last event of each chain made here (frozen, so it cannot go stale),
// so that appending n events costs O(n), not O(n²).
const tails = new WeakMap<CustodyChain, Tail>();

function tailOf(chain: CustodyChain, policy: EventRolePolicy): Tail {
  const cached = tails.get(chain);
  if (cached !== undefined) return cached;
  // A chain made elsewhere (parseChain, a hand-built object) may change between calls: not
  // cached; its events are copied once and the rules run on the copy, which the next chain extends.
  const events = snapshotEvents(chain.events, MAX_CHAIN_EVENTS);
  let state = INITIAL_STATE;
  let last: Uint8Array | undefined;
  // an index loop: forEach would skip the holes of a sparse array (and chain onto the wrong event)
  for (let index = 0; index < events.length; index++) {
    const bytes = events[index]!;
    const { event } = openCustodyEvent(bytes);
    if (event.chainId !== chain.id) fail('ERR_CHAIN_ID', `event ${index} belongs to chain "${event.chainId}"`);
    last = eventHash(bytes);
    state = stepCustody(state, { index, event, hash: last }, policy).state;
  }
  return { state, last, seq: events.length, events };
}

/**
 * A new, empty chain for an exhibit.
 *
 * @example
 * ```ts
 * let chain = createChain('AT-BMI-2026-000417/item-3');
 * ```
 */
export function createChain(id: string): CustodyChain {
  assertString('id', id, 200);
  if (id.length === 0) fail('ERR_INVALID_ARGUMENT', '"id" must not be empty');
  const events = emptyEvents();
  const chain: CustodyChain = Object.freeze({ id, events });
  tails.set(chain, { state: INITIAL_STATE, last: undefined, seq: 0, events });
  return chain;
}

/**
 * Signs the next event of a chain and returns the longer chain, the event bytes and their hash.
 * Throws the code of the first custody rule the event would break (ERR_NOT_CUSTODIAN, …).
 *
 * @example
 * ```ts
 * const key = SigningKey.generate();
 * let { chain } = appendEvent(createChain('exhibit-17'), {
 *   type: 'collected', time: '2026-11-02T09:14:00+01:00',
 *   actor: { authority: 'at.lpd-wien', role: 'collector' },
 *   digests: { 'sha-256': forensicHash }, seals: ['A-0042117'],
 * }, key);
 * ```
 */
export function appendEvent<S extends Signer>(
  chain: CustodyChain,
  input: CustodyEventInput,
  signer: S,
  opts: AppendOptions = {},
): Signed<S, AppendResult> {
  if (typeof chain !== 'object' || chain === null || !Array.isArray(chain.events)) fail('ERR_INVALID_ARGUMENT', '"chain" expected a CustodyChain');
  if (typeof input !== 'object' || input === null) fail('ERR_INVALID_ARGUMENT', '"input" expected an object');
  if (typeof signer?.sign !== 'function') fail('ERR_INVALID_ARGUMENT', '"signer" expected a Signer');
  if (chain.events.length >= MAX_CHAIN_EVENTS) fail('ERR_LIMIT', `a chain holds at most ${MAX_CHAIN_EVENTS} events`);
  const policy = opts.roles ?? DEFAULT_EVENT_ROLES;
  const tail = tailOf(chain, policy);
  const time = eventTime('time', input.time ?? Date.now());
  let ref = input.ref;
  if (input.type === 'received' && ref === undefined) ref = tail.state.pendingTransfer?.hash;

  const event: CustodyEvent = parseCustodyEvent(
    stripUndefined({
      chainId: chain.id,
      seq: tail.seq,
      prev: tail.last ?? null,
      type: input.type,
      time,
      actor: { authority: input.actor?.authority, role: input.actor?.role, kid: signer.kid },
      counterparty: input.counterparty === undefined ? undefined : stripUndefined({ ...input.counterparty }),
      location: input.location,
      purpose: input.purpose,
      authorisation: input.authorisation === undefined ? undefined : { ...input.authorisation },
      digests: input.digests === undefined ? undefined : { ...input.digests },
      derivedFrom: input.derivedFrom?.map((d) => ({ ...d })),
      seals: input.seals === undefined ? undefined : [...input.seals],
      note: input.note,
      ref,
    }),
  );

  let signerRoles: readonly string[] | undefined;
  if (opts.trust !== undefined) {
    const found = trustedSignerAt(opts.trust, signer.kid, { at: time, authority: event.actor.authority, authorityCode: 'ERR_EVENT_INVALID' });
    if (!found.ok) fail(found.code, found.step === 'authority' ? `the signer's key belongs to ${found.signer.authority.id}, not ${event.actor.authority}` : `signer: ${found.reason}`);
    signerRoles = found.authority.roles;
  }

  const payload = encodeCustodyEvent(event);
  const signed = signSign1<Signer>(payload, signer, {
    protectedHeaders: new Map<number | string, unknown>([[HEADER.contentType, CUSTODY_EVENT_CONTENT_TYPE]]),
  });
  return andThen(signed, (bytes) => finishAppend(chain, tail, event, bytes, signerRoles, policy)) as Signed<S, AppendResult>;
}

/** What {@link appendEvent} returns: the new chain, the signed event and its hash. */
export interface AppendResult {
  readonly chain: CustodyChain;
  readonly event: Uint8Array;
  readonly hash: Uint8Array;
}

// The part of an append after the signature (at once for an in-memory key, later for a token).
function finishAppend(
  chain: CustodyChain,
  tail: ReturnType<typeof tailOf>,
  event: CustodyEvent,
  bytes: Uint8Array,
  signerRoles: readonly string[] | undefined,
  policy: NonNullable<AppendOptions['roles']>,
): AppendResult {
  const hash = eventHash(bytes);
  const step = stepCustody(tail.state, { index: tail.seq, event, hash, ...(signerRoles !== undefined ? { signerRoles } : {}) }, policy);
  const first = step.failures[0];
  if (first !== undefined) throw new CustosError(first.code, `refusing to append: ${first.message}`);

  const events = eventsWith(tail.events, bytes);
  const next: CustodyChain = Object.freeze({ id: chain.id, events });
  tails.set(next, { state: step.state, last: hash, seq: tail.seq + 1, events });
  return { chain: next, event: bytes, hash };
}

function stripUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
