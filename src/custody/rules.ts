/**
 * The custody rules, as a small immutable state machine stepped once per event.
 *
 * The same step function serves {@link verifyChain} (with the actor's authority and roles taken
 * from the trust store) and `appendEvent` (which refuses to sign an event the verifier would
 * reject). It checks what follows from the order of events; link, signature and key checks
 * live in verify.ts.
 *
 * Rules (each failure carries its code):
 * - a chain starts with collected, acquired or derived; its actor becomes the custodian;
 * - only the current custodian acts (ERR_NOT_CUSTODIAN);
 * - a transfer names its receiver; until that receiver signs a `received` event whose `ref` is
 *   the transfer's hash, nothing else may happen (ERR_TRANSFER_INCOMPLETE); a `received` event
 *   that references anything else, or is signed by anyone else, is ERR_TRANSFER_MISMATCH;
 * - once known, the item digests carry over: an event stating a digest that differs is
 *   ERR_DIGEST_CARRYOVER, unless it is a `derived` event, which replaces them;
 * - nothing follows `returned` or `destroyed` (ERR_AFTER_TERMINAL);
 * - times never go backwards (ERR_TIME_BACKWARDS; equal times are allowed);
 * - the actor's role must be one the event type allows (ERR_ROLE_NOT_ALLOWED).
 */
import { equalBytes } from '../bytes.js';
import type { ErrorCode } from '../errors.js';
import { INITIAL_EVENT_TYPES, TERMINAL_EVENT_TYPES, type CustodyEvent, type CustodyEventType } from './event.js';

/** Which roles may record which event type. `'any'` disables the per-type check. */
export type EventRolePolicy = 'any' | Readonly<Partial<Record<CustodyEventType, readonly string[]>>>;

/**
 * The default role policy. Roles are the strings an authority lists in the trust store:
 * `custodian` (evidence officer: holds, moves, keeps and disposes), `collector` (seizes or
 * acquires), `examiner` (forensic work), `disclosure-officer` (decides what leaves the agency).
 * A type missing from a policy may be recorded by any role.
 */
export const DEFAULT_EVENT_ROLES: Readonly<Record<CustodyEventType, readonly string[]>> = {
  collected: ['collector', 'custodian'],
  acquired: ['collector', 'examiner', 'custodian'],
  sealed: ['collector', 'examiner', 'custodian'],
  transferred: ['custodian'],
  received: ['custodian'],
  accessed: ['custodian', 'examiner', 'collector', 'disclosure-officer'],
  examined: ['examiner'],
  derived: ['examiner'],
  redacted: ['examiner', 'disclosure-officer'],
  disclosed: ['disclosure-officer', 'custodian'],
  exported: ['custodian', 'examiner'],
  preserved: ['custodian'],
  returned: ['custodian'],
  destroyed: ['custodian'],
};

/** What the rules know after some events. Immutable: every step returns a new state. */
export interface CustodyState {
  readonly count: number;
  readonly chainId: string | undefined;
  readonly custodian: string | undefined;
  readonly lastTime: number | undefined;
  readonly digests: Readonly<Record<string, Uint8Array>> | undefined;
  readonly pendingTransfer: { readonly index: number; readonly hash: Uint8Array; readonly to: string; readonly toKid?: Uint8Array } | undefined;
  readonly terminal: { readonly index: number; readonly type: CustodyEventType } | undefined;
}

export const INITIAL_STATE: CustodyState = {
  count: 0,
  chainId: undefined,
  custodian: undefined,
  lastTime: undefined,
  digests: undefined,
  pendingTransfer: undefined,
  terminal: undefined,
};

export interface RuleFailure {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The event as the rules see it: the payload, its hash, and who really signed it. */
export interface RuleInput {
  readonly index: number;
  readonly event: CustodyEvent;
  readonly hash: Uint8Array;
  /** The signer's authority and roles from the trust store; undefined when appending without one. */
  readonly signerRoles?: readonly string[];
}

function digestFailures(known: Readonly<Record<string, Uint8Array>>, stated: Readonly<Record<string, Uint8Array>>): string[] {
  const bad: string[] = [];
  for (const [alg, d] of Object.entries(stated)) {
    // Own properties only: a digest named "constructor" or "toString" must not find
    // Object.prototype's member (it did, and gave a false ERR_DIGEST_CARRYOVER).
    const k = Object.hasOwn(known, alg) ? known[alg] : undefined;
    if (k !== undefined && !equalBytes(k, d)) bad.push(alg);
  }
  return bad;
}

/** Applies one event to the state; returns the next state and every rule it breaks. */
export function stepCustody(
  state: CustodyState,
  input: RuleInput,
  policy: EventRolePolicy = DEFAULT_EVENT_ROLES,
): { state: CustodyState; failures: RuleFailure[] } {
  const { event: e, index } = input;
  const failures: RuleFailure[] = [];
  const add = (code: ErrorCode, message: string) => failures.push({ code, message });
  const actor = e.actor.authority;

  if (input.signerRoles !== undefined && !input.signerRoles.includes(e.actor.role)) {
    add('ERR_ROLE_NOT_ALLOWED', `the trust store does not give ${actor} the role "${e.actor.role}"`);
  }
  if (policy !== 'any') {
    const allowed = policy[e.type];
    if (allowed !== undefined && !allowed.includes(e.actor.role)) {
      add('ERR_ROLE_NOT_ALLOWED', `role "${e.actor.role}" may not record "${e.type}" (allowed: ${allowed.join(', ')})`);
    }
  }
  if (state.lastTime !== undefined && e.time < state.lastTime) {
    add('ERR_TIME_BACKWARDS', `event time ${new Date(e.time).toISOString()} is before its predecessor's`);
  }
  if (state.terminal !== undefined) {
    add('ERR_AFTER_TERMINAL', `event follows "${state.terminal.type}" at index ${state.terminal.index}`);
  }

  let custodian = state.custodian;
  let pending = state.pendingTransfer;
  if (state.count === 0) {
    if (!INITIAL_EVENT_TYPES.includes(e.type)) {
      add('ERR_EVENT_INVALID', `a chain starts with ${INITIAL_EVENT_TYPES.join(', ')}, not "${e.type}"`);
    }
    custodian = actor;
  } else if (e.type === 'received') {
    if (pending === undefined) {
      add('ERR_TRANSFER_MISMATCH', 'received event without a pending transfer');
    } else if (e.ref === undefined || !equalBytes(e.ref, pending.hash)) {
      add('ERR_TRANSFER_MISMATCH', `received event does not reference the transfer at index ${pending.index}`);
    } else if (actor !== pending.to || (pending.toKid !== undefined && !equalBytes(pending.toKid, e.actor.kid))) {
      add('ERR_TRANSFER_MISMATCH', `the transfer at index ${pending.index} names ${pending.to}, not ${actor}`);
    } else {
      custodian = actor;
      pending = undefined;
    }
  } else if (pending !== undefined) {
    add('ERR_TRANSFER_INCOMPLETE', `the transfer at index ${pending.index} to ${pending.to} has not been received`);
  } else if (actor !== custodian) {
    add('ERR_NOT_CUSTODIAN', `${actor} acts while ${custodian ?? 'nobody'} holds the item`);
  }
  if (e.type === 'transferred' && e.counterparty !== undefined && pending === undefined) {
    pending = {
      index,
      hash: input.hash,
      to: e.counterparty.authority,
      ...(e.counterparty.kid !== undefined ? { toKid: e.counterparty.kid } : {}),
    };
  }

  let digests = state.digests;
  if (e.digests !== undefined) {
    if (e.type === 'derived' || digests === undefined) digests = e.digests;
    else {
      const bad = digestFailures(digests, e.digests);
      if (bad.length > 0) add('ERR_DIGEST_CARRYOVER', `the item's ${bad.join(', ')} digest changed without a derived event`);
      // the digests already established stay authoritative; new algorithms are added
      digests = { ...e.digests, ...digests };
    }
  }

  const next: CustodyState = {
    count: state.count + 1,
    chainId: state.chainId ?? e.chainId,
    custodian,
    lastTime: state.lastTime === undefined ? e.time : Math.max(state.lastTime, e.time),
    digests,
    pendingTransfer: pending,
    terminal: state.terminal ?? (TERMINAL_EVENT_TYPES.includes(e.type) ? { index, type: e.type } : undefined),
  };
  return { state: next, failures };
}
