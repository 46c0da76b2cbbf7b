/**
 * `requestStatus(request, chain, now)`: where a request stands, what is due, what is overdue,
 * and from when escalation is owed.
 *
 * The status events (verified) supply the times the deadlines run from and the events that
 * meet them: `received` starts the clock; an `extended` event with `preservation-30-days`,
 * `production-request-confirmed` or `recognition-30-days` changes the EPOC-PR / EIO periods;
 * for an EIO, the first `in-progress`, `partially-fulfilled`, `fulfilled` or `refused` is taken
 * as the recognition decision (2014/41 Art. 12(3)–(4)). A final status (`fulfilled`, `refused`,
 * `withdrawn`) closes every open deadline.
 *
 * Escalation is owed once an open deadline has passed (plus an optional grace period), or once
 * the new estimate of the latest `delay-notified` has passed; a delay notice does not move a
 * legal deadline, it is reported next to it.
 */
import { equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { requestDigest } from './document.js';
import { deadlines, type Deadline, type DeadlineOptions } from './deadlines.js';
import { TERMINAL_KINDS, type StatusKind } from './kinds.js';
import type { EvidenceRequest } from './schema.js';
import { formatUtc, parseInstant } from './time.js';
import { isVerifiedStatusChain, type VerifiedStatusChain, type VerifiedStatusEvent } from './verify.js';

/**
 * `met` / `met-late`: the event that meets it came before / after the due time; `pending`: still
 * open; `overdue`: passed and open; `lapsed`: a window that passed; `closed`: the request ended
 * (fulfilled, refused, withdrawn) before the due time; `missed`: it ended only after the due time,
 * without the deadline being met.
 */
export type DeadlineState = 'pending' | 'met' | 'met-late' | 'overdue' | 'lapsed' | 'closed' | 'missed';

export interface DeadlineStatus extends Deadline {
  readonly state: DeadlineState;
  /** When the event that met it happened. */
  readonly metAt?: string;
}

export interface RequestStatusReport {
  readonly requestId: string;
  /** The last status at `now`. */
  readonly current: StatusKind;
  readonly closed: boolean;
  readonly deadlines: readonly DeadlineStatus[];
  readonly due: readonly DeadlineStatus[];
  readonly overdue: readonly DeadlineStatus[];
  /** The newest delay notice, if any. */
  readonly delay?: { readonly notifiedAt: string; readonly estimate: string; readonly reasons: readonly string[] };
  readonly escalation: {
    /** True when escalation is owed at `now`. */
    readonly owed: boolean;
    /** Since when it is owed (when owed), or when it will be owed if nothing happens (when not). */
    readonly at: string | null;
    readonly reasons: readonly string[];
  };
}

export interface RequestStatusOptions extends Omit<DeadlineOptions, 'preservationExtended' | 'productionRequestConfirmed' | 'recognitionExtended' | 'recognisedAt'> {
  /** Hours after a missed deadline before escalation is owed (default 0). */
  readonly escalationGraceHours?: number;
}

/** Which status events meet which deadline. Deadlines not listed are windows that lapse. */
const MET_BY: Readonly<Record<string, readonly StatusKind[]>> = {
  production: ['fulfilled'],
  'ex-post-validation': ['validated'],
  acknowledgement: ['acknowledged'],
  recognition: ['in-progress', 'partially-fulfilled', 'fulfilled', 'refused'],
  'provisional-measure': ['in-progress', 'partially-fulfilled', 'fulfilled', 'refused'],
  execution: ['fulfilled'],
  'issuer-deadline': ['fulfilled'],
  'extension-or-confirmation': ['extended'],
};
/**
 * Windows: a party may act until then, and letting one pass is not a failure (the enforcing
 * authority need not object; the issuing authority may let preservation end).
 */
const WINDOWS = new Set(['objection', 'preservation', 'extension-or-confirmation']);

function metBy(request: EvidenceRequest, id: string): readonly StatusKind[] {
  if (request.instrument === 'MLA' || request.instrument === 'COE-P2') {
    return request.treaty.periods.find((p) => p.id === id)?.metBy ?? ['fulfilled'];
  }
  return MET_BY[id] ?? [];
}

/**
 * The status of one request at `now`, from its verified status chain. `request` must be the
 * document the chain is bound to (ERR_REQUEST_MISMATCH otherwise); what the deadlines depend on
 * (instrument, emergency, parties) is read from the chain's verified copy.
 *
 * @example
 * ```ts
 * const report = verifyStatusChain(chain, trust, { request: req });
 * const s = requestStatus(req, report.chain!, new Date().toISOString(), { timeZone: 'Europe/Dublin' });
 * if (s.escalation.owed) notifySupervisor(s.overdue);
 * ```
 */
export function requestStatus(
  request: EvidenceRequest,
  chain: VerifiedStatusChain,
  now: string,
  opts: RequestStatusOptions = {},
): RequestStatusReport {
  if (!isVerifiedStatusChain(chain)) fail('ERR_INVALID_ARGUMENT', '"chain" must come from verifyStatusChain');
  if (chain.requestId !== request?.id) fail('ERR_INVALID_ARGUMENT', 'the chain belongs to another request');
  // The document the chain is bound to decides; one edited after issue (same id) is refused.
  if (!equalBytes(requestDigest(request), chain.document)) {
    fail('ERR_REQUEST_MISMATCH', 'the request differs from the document its status chain was issued for');
  }
  request = chain.request;
  const nowMs = parseInstant('now', now).epochMs;
  const events = chain.events.filter((e) => e.atMs <= nowMs);
  const last = events[events.length - 1];
  if (last === undefined) fail('ERR_INVALID_ARGUMENT', '"now" is before the request was issued');
  const closed = TERMINAL_KINDS.has(last.kind);
  const received = events.find((e) => e.kind === 'received');
  const grace = (opts.escalationGraceHours ?? 0) * 3_600_000;
  if (!Number.isFinite(grace) || grace < 0) fail('ERR_INVALID_ARGUMENT', '"escalationGraceHours" expected a non-negative number');

  const delayEvent = [...events].reverse().find((e) => e.kind === 'delay-notified');
  const delay = delayEvent?.estimate === undefined
    ? undefined
    : { notifiedAt: delayEvent.at, estimate: delayEvent.estimate, reasons: delayEvent.reasons ?? [] };

  let list: readonly Deadline[] = [];
  if (received !== undefined) {
    const ext = (code: string): boolean => events.some((e) => e.kind === 'extended' && e.extension?.code === code);
    const recognition = request.instrument === 'EIO' ? events.find((e) => metBy(request, 'recognition').includes(e.kind)) : undefined;
    const { escalationGraceHours: _g, ...deadlineOpts } = opts;
    list = deadlines(request, received.at, {
      ...deadlineOpts,
      preservationExtended: ext('preservation-30-days'),
      productionRequestConfirmed: ext('production-request-confirmed'),
      recognitionExtended: ext('recognition-30-days'),
      ...(recognition !== undefined ? { recognisedAt: recognition.at } : {}),
    });
  }

  const statuses: DeadlineStatus[] = list.map((d) => {
    const dueMs = d.dueAt === null ? Infinity : Date.parse(d.dueAt);
    const kinds = metBy(request, d.id);
    const hit: VerifiedStatusEvent | undefined = events.find((e) => kinds.includes(e.kind));
    let state: DeadlineState;
    if (hit !== undefined) state = hit.atMs < dueMs ? 'met' : 'met-late';
    else if (closed) state = !WINDOWS.has(d.id) && kinds.length > 0 && last.atMs >= dueMs ? 'missed' : 'closed';
    else if (WINDOWS.has(d.id) || kinds.length === 0) state = nowMs < dueMs ? 'pending' : 'lapsed';
    else state = nowMs < dueMs ? 'pending' : 'overdue';
    return { ...d, state, ...(hit !== undefined ? { metAt: hit.at } : {}) };
  });
  const due = statuses.filter((s) => s.state === 'pending');
  const overdue = statuses.filter((s) => s.state === 'overdue');

  const reasons: string[] = [];
  let owedAt = Infinity;
  for (const o of overdue) {
    const at = Date.parse(o.dueAt as string) + grace;
    if (at <= nowMs) {
      reasons.push(`${o.id} overdue since ${o.dueAt}`);
      owedAt = Math.min(owedAt, at);
    }
  }
  if (!closed && delay !== undefined && Date.parse(delay.estimate) <= nowMs) {
    reasons.push(`the delay estimate ${delay.estimate} has passed`);
    owedAt = Math.min(owedAt, Date.parse(delay.estimate));
  }
  let nextAt = Infinity;
  if (reasons.length === 0 && !closed) {
    for (const d of [...due, ...overdue]) {
      if (WINDOWS.has(d.id) || metBy(request, d.id).length === 0 || d.dueAt === null) continue;
      nextAt = Math.min(nextAt, Date.parse(d.dueAt) + grace);
    }
    if (delay !== undefined) nextAt = Math.min(nextAt, Date.parse(delay.estimate));
  }
  const owed = reasons.length > 0;
  return {
    requestId: request.id,
    current: last.kind,
    closed,
    deadlines: statuses,
    due,
    overdue,
    ...(delay !== undefined ? { delay } : {}),
    escalation: {
      owed,
      at: owed ? formatUtc(owedAt) : Number.isFinite(nextAt) ? formatUtc(nextAt) : null,
      reasons,
    },
  };
}
