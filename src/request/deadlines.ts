/**
 * `deadlines(request, receivedAt)`: every due time the request's instrument sets.
 *
 * Sources (each deadline carries its own `basis`):
 * - EPOC, Regulation (EU) 2023/1543: Art. 10(2)–(3) production within 10 days of receipt (at the
 *   end of the 10 days when the enforcing state is notified, which may object within those 10
 *   days, Art. 8 and 12); Art. 10(4) emergency: 8 hours, objection within 96 hours of the
 *   notification; Art. 4(5) ex-post validation within 48 hours of issue.
 * - EPOC-PR: Art. 11(1) preservation for 60 days, extendable once by 30 days; Art. 11(2) kept
 *   until production once a subsequent production request is confirmed.
 * - EIO, Directive 2014/41/EU: Art. 16(1) acknowledgement within a week; Art. 12(3) recognition
 *   within 30 days, Art. 12(5) extendable by up to 30 days with notice; Art. 12(4) execution
 *   within 90 days of the recognition decision; Art. 12(2) a shorter deadline the issuer asks for;
 *   Art. 32(2) provisional measures decided within 24 hours where practicable.
 * - MLA and COE-P2: the periods of the request's treaty profile.
 *
 * How periods are counted is documented in `periods.ts` (Regulation 1182/71 by default).
 */
import { fail } from '../errors.js';
import { holidaySet, periodEnd, type CountMethod, type PeriodRules, type PeriodUnit } from './periods.js';
import type { EvidenceRequest } from './schema.js';
import { formatUtc, parseInstant, zoneFor } from './time.js';

/** Who owes the act a deadline is for. */
export type DeadlineParty = 'addressee' | 'enforcing-authority' | 'issuing-authority' | 'executing-authority' | 'requested-party';

export interface Deadline {
  /** Stable identifier: `production`, `objection`, `ex-post-validation`, `preservation`, … or a treaty period id. */
  readonly id: string;
  readonly label: string;
  readonly party: DeadlineParty;
  /** UTC; `null` when the period is open-ended (EPOC-PR kept until production). */
  readonly dueAt: string | null;
  /**
   * The same period counted as N × 24 h or N h from the very instant (no rounding to the next
   * hour or day, no working-day rule): never later than `dueAt` except across a DST change, and
   * the safe target for whoever must not risk a dispute about how the period is counted.
   */
  readonly elapsedDueAt: string | null;
  readonly period: { readonly amount: number; readonly unit: PeriodUnit } | null;
  /** What the period runs from, and that instant in UTC. */
  readonly from: 'receipt' | 'issue' | 'recognition' | 'notification' | 'request';
  readonly fromAt: string;
  /**
   * Where calendar days and hours were counted: an IANA zone, or `UTC±hh:mm (fixed offset)` when
   * no zone was given (then a DST change inside the period is not seen), or `elapsed`.
   */
  readonly countedIn: string;
  /** The provision that sets it. */
  readonly basis: string;
  /** True when the due time is an upper bound that a later event will fix (EIO execution before recognition). */
  readonly provisional: boolean;
  readonly note?: string;
}

export interface DeadlineOptions {
  /**
   * IANA zone of the place where the act is to be done (1182/71 Art. 2(1)); needed for correct
   * days across daylight-saving changes. Default: the fixed offset written in `receivedAt`.
   */
  readonly timeZone?: string;
  /** `calendar` (default, Regulation 1182/71 Art. 3) or `elapsed` (N × 24 h / N h from the instant). */
  readonly method?: CountMethod;
  /** Public holidays (YYYY-MM-DD) at that place: turns on the working-day rules of 1182/71 Art. 3(4)–(5). */
  readonly holidays?: readonly string[];
  /** EPOC: when the enforcing authority received the notification (default: with the addressee, Art. 8(1)). */
  readonly notificationReceivedAt?: string;
  /** EPOC-PR: the issuing authority extended preservation by 30 days (Art. 11(1)). */
  readonly preservationExtended?: boolean;
  /** EPOC-PR: the issuing authority confirmed a subsequent production request (Art. 11(2)). */
  readonly productionRequestConfirmed?: boolean;
  /** EIO: the executing authority notified that recognition needs up to 30 more days (Art. 12(5)). */
  readonly recognitionExtended?: boolean;
  /** EIO: when the recognition decision was taken (Art. 12(4) counts execution from it). */
  readonly recognisedAt?: string;
}

interface Ctx {
  readonly rules: PeriodRules;
  /**
   * Where the issuing authority's own acts are counted (ex-post validation): the offset written
   * in issuedAt. Every other period, whether it runs from receipt or from issue, is owed by the
   * answering side and counted where that act is done (1182/71 Art. 2(1), 3): `rules`.
   */
  readonly issueRules: PeriodRules;
  readonly received: number;
  readonly issued: number;
  readonly out: Deadline[];
}

function describeZone(rules: PeriodRules): string {
  if (rules.method === 'elapsed') return 'elapsed';
  if ('timeZone' in rules.zone) return rules.zone.timeZone;
  const m = rules.zone.offsetMinutes;
  const a = Math.abs(m);
  return `UTC${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')} (fixed offset)`;
}

function push(
  c: Ctx,
  d: Omit<Deadline, 'dueAt' | 'elapsedDueAt' | 'fromAt' | 'countedIn' | 'provisional' | 'period'> & { amount: number; unit: PeriodUnit; start: number; provisional?: boolean },
): number {
  const rules = d.from === 'issue' && d.party === 'issuing-authority' ? c.issueRules : c.rules;
  const due = periodEnd(d.start, d.amount, d.unit, rules);
  const elapsed = periodEnd(d.start, d.amount, d.unit, { ...rules, method: 'elapsed' });
  const { amount, unit, start, provisional, ...rest } = d;
  c.out.push({
    ...rest,
    period: { amount, unit },
    dueAt: formatUtc(due),
    elapsedDueAt: formatUtc(elapsed),
    fromAt: formatUtc(start),
    countedIn: describeZone(rules),
    provisional: provisional ?? false,
  });
  return due;
}

function exPostValidation(r: EvidenceRequest, c: Ctx): void {
  if (r.validating?.mode !== 'ex-post') return;
  push(c, {
    id: 'ex-post-validation',
    label: 'validation of the emergency order sought ex post',
    party: 'issuing-authority',
    amount: 48,
    unit: 'hours',
    start: c.issued,
    from: 'issue',
    basis: 'Regulation (EU) 2023/1543 Art. 4(5)',
    ...(r.validating.validatedAt === undefined ? {} : { note: `validated at ${formatUtc(parseInstant('validatedAt', r.validating.validatedAt).epochMs)}` }),
  });
}

function epoc(r: Extract<EvidenceRequest, { instrument: 'EPOC' }>, c: Ctx, o: DeadlineOptions): void {
  const notified = r.enforcing !== undefined;
  const emergency = r.emergency.flag;
  push(c, {
    id: 'production',
    label: 'transmission of the requested data',
    party: 'addressee',
    amount: emergency ? 8 : 10,
    unit: emergency ? 'hours' : 'days',
    start: c.received,
    from: 'receipt',
    basis: emergency ? 'Regulation (EU) 2023/1543 Art. 10(4)' : notified ? 'Regulation (EU) 2023/1543 Art. 10(2)' : 'Regulation (EU) 2023/1543 Art. 10(3)',
    ...(notified && !emergency
      ? { note: 'with notification, data go out at the end of the 10 days unless the enforcing authority raised a ground for refusal or confirmed earlier that it will not' }
      : {}),
  });
  if (notified) {
    const from = o.notificationReceivedAt === undefined ? c.received : parseInstant('notificationReceivedAt', o.notificationReceivedAt).epochMs;
    push(c, {
      id: 'objection',
      label: 'enforcing authority may raise grounds for refusal',
      party: 'enforcing-authority',
      amount: emergency ? 96 : 10,
      unit: emergency ? 'hours' : 'days',
      start: from,
      from: o.notificationReceivedAt === undefined ? 'receipt' : 'notification',
      basis: emergency ? 'Regulation (EU) 2023/1543 Art. 10(4), 12' : 'Regulation (EU) 2023/1543 Art. 10(2), 12',
    });
  }
  exPostValidation(r, c);
}

function epocPr(r: Extract<EvidenceRequest, { instrument: 'EPOC-PR' }>, c: Ctx, o: DeadlineOptions): void {
  if (o.productionRequestConfirmed === true) {
    c.out.push({
      id: 'preservation',
      label: 'preservation until the data are produced on the subsequent request',
      party: 'addressee',
      dueAt: null,
      elapsedDueAt: null,
      period: null,
      from: 'receipt',
      fromAt: formatUtc(c.received),
      countedIn: describeZone(c.rules),
      basis: 'Regulation (EU) 2023/1543 Art. 11(2)',
      provisional: false,
    });
  } else {
    const extended = o.preservationExtended === true;
    push(c, {
      id: 'preservation',
      label: extended ? 'preservation (extended once by 30 days)' : 'preservation (may be extended once by 30 days)',
      party: 'addressee',
      amount: extended ? 90 : 60,
      unit: 'days',
      start: c.received,
      from: 'receipt',
      basis: 'Regulation (EU) 2023/1543 Art. 11(1)',
    });
    if (!extended) {
      push(c, {
        id: 'extension-or-confirmation',
        label: 'issuing authority extends preservation or confirms a production request',
        party: 'issuing-authority',
        amount: 60,
        unit: 'days',
        start: c.received,
        from: 'receipt',
        basis: 'Regulation (EU) 2023/1543 Art. 11(1)',
      });
    }
  }
  exPostValidation(r, c);
}

function eio(r: Extract<EvidenceRequest, { instrument: 'EIO' }>, c: Ctx, o: DeadlineOptions): void {
  push(c, {
    id: 'acknowledgement',
    label: 'acknowledgement of receipt (Annex B)',
    party: 'executing-authority',
    amount: 7,
    unit: 'days',
    start: c.received,
    from: 'receipt',
    basis: 'Directive 2014/41/EU Art. 16(1)',
  });
  if (r.provisionalMeasure === true) {
    push(c, {
      id: 'provisional-measure',
      label: 'decision on the provisional measure (where practicable)',
      party: 'executing-authority',
      amount: 24,
      unit: 'hours',
      start: c.received,
      from: 'receipt',
      basis: 'Directive 2014/41/EU Art. 32(2)',
    });
  }
  const extended = o.recognitionExtended === true;
  const recognitionDue = push(c, {
    id: 'recognition',
    label: extended ? 'decision on recognition (extended by 30 days)' : 'decision on recognition',
    party: 'executing-authority',
    amount: extended ? 60 : 30,
    unit: 'days',
    start: c.received,
    from: 'receipt',
    basis: extended ? 'Directive 2014/41/EU Art. 12(3), 12(5)' : 'Directive 2014/41/EU Art. 12(3)',
  });
  const recognised = o.recognisedAt === undefined ? undefined : parseInstant('recognisedAt', o.recognisedAt).epochMs;
  push(c, {
    id: 'execution',
    label: 'carrying out the investigative measure',
    party: 'executing-authority',
    amount: 90,
    unit: 'days',
    // Without a decision, count from the last instant recognition could lawfully be taken.
    start: recognised ?? recognitionDue - 1,
    from: 'recognition',
    basis: 'Directive 2014/41/EU Art. 12(4)',
    provisional: recognised === undefined,
    ...(recognised === undefined ? { note: 'counted from the latest permitted recognition; fixed once recognisedAt is known' } : {}),
  });
  if (r.requestedDeadline !== undefined) {
    const at = parseInstant('requestedDeadline', r.requestedDeadline).epochMs;
    c.out.push({
      id: 'issuer-deadline',
      label: 'shorter deadline requested by the issuing authority (to be taken as fully as possible into account)',
      party: 'executing-authority',
      dueAt: formatUtc(at),
      elapsedDueAt: formatUtc(at),
      period: null,
      from: 'request',
      fromAt: formatUtc(c.issued),
      countedIn: describeZone(c.rules),
      basis: 'Directive 2014/41/EU Art. 12(2)',
      provisional: false,
    });
  }
}

function treaty(r: Extract<EvidenceRequest, { instrument: 'MLA' | 'COE-P2' }>, c: Ctx): void {
  for (const p of r.treaty.periods) {
    const e = r.emergency.flag ? p.emergency : undefined;
    push(c, {
      id: p.id,
      label: p.label,
      party: r.addressee.kind === 'service-provider' ? 'addressee' : 'requested-party',
      amount: e?.amount ?? p.amount,
      unit: e?.unit ?? p.unit,
      start: p.from === 'receipt' ? c.received : c.issued,
      from: p.from,
      basis: `${r.treaty.name}: ${p.basis}`,
    });
  }
}

/**
 * Every due time the request's instrument sets, computed from `receivedAt`.
 *
 * `receivedAt` must carry its zone (`Z` or `±hh:mm`); results are UTC. The request should come
 * from {@link validateRequest}.
 *
 * @example
 * ```ts
 * const req = validateRequest(json); // an EPOC for traffic data, notified to the enforcing state
 * deadlines(req, '2026-03-27T16:00:00Z', { timeZone: 'Europe/Dublin' });
 * // [{ id: 'production', dueAt: '2026-04-06T23:00:00Z', basis: 'Regulation (EU) 2023/1543 Art. 10(2)', … },
 * //  { id: 'objection', … }]
 * ```
 */
export function deadlines(request: EvidenceRequest, receivedAt: string, opts: DeadlineOptions = {}): readonly Deadline[] {
  const recv = parseInstant('receivedAt', receivedAt);
  const issuedInstant = parseInstant('request.issuedAt', request.issuedAt);
  const issued = issuedInstant.epochMs;
  if (recv.epochMs < issued) fail('ERR_TIME_INVALID', '"receivedAt" is earlier than the request\'s issuedAt');
  const method = opts.method ?? 'calendar';
  if (method !== 'calendar' && method !== 'elapsed') fail('ERR_INVALID_ARGUMENT', '"method" expected calendar or elapsed');
  const rules: PeriodRules = {
    zone: zoneFor('receivedAt', recv, opts.timeZone),
    method,
    holidays: opts.holidays === undefined ? undefined : holidaySet(opts.holidays),
  };
  const issueRules: PeriodRules = { ...rules, zone: { offsetMinutes: issuedInstant.offsetMinutes } };
  const c: Ctx = { rules, issueRules, received: recv.epochMs, issued, out: [] };
  switch (request.instrument) {
    case 'EPOC':
      epoc(request, c, opts);
      break;
    case 'EPOC-PR':
      epocPr(request, c, opts);
      break;
    case 'EIO':
      eio(request, c, opts);
      break;
    case 'MLA':
    case 'COE-P2':
      treaty(request, c);
      break;
    default:
      fail('ERR_INVALID_ARGUMENT', '"request" has an unknown instrument');
  }
  return c.out;
}
