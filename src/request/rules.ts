/**
 * Cross-field rules of the request templates. Each rule reports its own issue, at the path of
 * the field that has to change, with a message that cites the provision it enforces.
 *
 * Sources: Regulation (EU) 2023/1543 (EPOC, EPOC-PR) Art. 3, 4, 5, 8; Directive 2014/41/EU
 * (EIO) Art. 2(c), 12(2); the Second Additional Protocol to the Budapest Convention (CETS 224)
 * Art. 6–10. The rules check what a template can know; they do not replace the legal review
 * by the issuing and validating authorities.
 */
import { BOUND_BY_2014_41, BOUND_BY_2023_1543 } from './countries.js';
import type { AuthorityType, DataCategory, EvidenceRequest } from './schema.js';
import { parseInstant } from './time.js';

/** One problem found in a request: where, and what is wrong. */
export interface RequestIssue {
  /** Dotted path with array indexes in brackets, e.g. `targets[0].at`; empty for the root. */
  readonly path: string;
  readonly message: string;
}

type Report = (path: string, message: string) => void;

const JUDICIAL: readonly AuthorityType[] = ['judge', 'court', 'investigating-judge'];
const JUDICIAL_OR_PROSECUTOR: readonly AuthorityType[] = [...JUDICIAL, 'prosecutor'];

/** Traffic data other than for identification, or content data (2023/1543 Art. 4(2), 5(4), 8(1)). */
export function needsJudicialLevel(categories: readonly DataCategory[]): boolean {
  return categories.includes('traffic') || categories.includes('content');
}

/**
 * 2023/1543 Art. 7(1): EPOCs and EPOC-PRs go to the designated establishment or the legal
 * representative (Directive (EU) 2023/1544) of the service provider, not to the provider at
 * large (Art. 7(2)–(3), addressing another establishment in an emergency or on default, are
 * not modelled: such an order names the establishment it goes to).
 */
const EPOC_ADDRESSEES: readonly string[] = ['designated-establishment', 'legal-representative'];

const ms = (s: string): number => parseInstant('time', s).epochMs;
const HOURS_48 = 48 * 3_600_000;

/**
 * Who may issue or validate (2023/1543 Art. 4; 2014/41 Art. 2(c)): the issuer is in `allowed`,
 * or a validating authority in `allowed` validates it — before issue, or (where `exPost` is
 * allowed) after an emergency issue.
 */
function checkAuthority(
  r: EvidenceRequest,
  allowed: readonly AuthorityType[],
  exPostAllowed: boolean,
  provision: string,
  report: Report,
): void {
  const issuerOk = allowed.includes(r.issuing.authority.type);
  const v = r.validating;
  if (issuerOk) return;
  const who = allowed.join(', ');
  if (v === undefined) {
    report('validating', `required: a ${r.issuing.authority.type} authority may issue this only with validation by a ${who} (${provision})`);
    return;
  }
  if (!allowed.includes(v.authority.type)) {
    report('validating.authority.type', `expected one of ${who} to validate this order (${provision})`);
  }
  if (v.mode === 'ex-post' && !exPostAllowed) {
    report('validating.mode', `ex-post validation is not available for this order (${provision}); validation must be prior`);
  }
}

function checkValidationTiming(r: EvidenceRequest, report: Report): void {
  const v = r.validating;
  if (v === undefined) return;
  if (v.mode === 'ex-post' && !r.emergency.flag) {
    report('validating.mode', 'ex-post validation requires an emergency (2023/1543 Art. 4(5))');
  }
  if (v.validatedAt === undefined) {
    if (v.mode === 'prior') report('validating.validatedAt', 'required when validation is prior');
    return;
  }
  const at = ms(v.validatedAt);
  const issued = ms(r.issuedAt);
  if (v.mode === 'prior' && at > issued) {
    report('validating.validatedAt', 'prior validation must not be later than issuedAt');
  }
  if (v.mode === 'ex-post' && (at < issued || at > issued + HOURS_48)) {
    report('validating.validatedAt', 'ex-post validation must fall within 48 hours after issue (2023/1543 Art. 4(5))');
  }
}

function checkStates(r: EvidenceRequest, bound: ReadonlySet<string> | undefined, act: string, report: Report): void {
  if (bound !== undefined) {
    if (!bound.has(r.issuing.state)) report('issuing.state', `expected a Member State bound by ${act}`);
    if (!bound.has(r.addressee.state)) report('addressee.state', `expected a Member State bound by ${act}`);
  }
  if (r.issuing.state === r.addressee.state) {
    report('addressee.state', 'expected a state other than the issuing state (a cross-border request)');
  }
}

/**
 * 2023/1543 Art. 5(4): an EPOC for traffic (not for identification) or content data only for
 * offences punishable by at least 3 years (a), the listed offences (b)–(c), or (d) executing a
 * sentence of at least 4 months for such an offence. Art. 5(3) and 6(3): a sentence being
 * executed must be of at least 4 months for any EPOC or EPOC-PR.
 */
function checkOffence(r: Extract<EvidenceRequest, { instrument: 'EPOC' | 'EPOC-PR' }>, report: Report): void {
  if (r.custodialSentenceMonths !== undefined && r.custodialSentenceMonths < 4) {
    report('custodialSentenceMonths', 'orders for executing a sentence need a sentence of at least 4 months (2023/1543 Art. 5(3), 5(4)(d), 6(3))');
  }
  if (r.instrument !== 'EPOC' || !needsJudicialLevel(r.dataCategories)) return;
  const p = r.offence.maxPenalty;
  if (!(p === 'life' || p.months >= 36) && r.offence.listed === undefined) {
    report(
      'offence.maxPenalty',
      'traffic or content data need an offence punishable by at least 3 years or a listed offence (2023/1543 Art. 5(4))',
    );
  }
}

function checkCommon(r: EvidenceRequest, report: Report): void {
  if (r.emergency.flag && r.emergency.justification === undefined) {
    report('emergency.justification', 'required when emergency.flag is true');
  }
  const seen = new Set<string>();
  r.dataCategories.forEach((c, i) => {
    if (seen.has(c)) report(`dataCategories[${i}]`, `duplicate category "${c}"`);
    seen.add(c);
  });
  r.targets.forEach((t, i) => {
    if (t.type === 'ip-address' && t.at === undefined) {
      report(`targets[${i}].at`, 'required for an ip-address target (an IP address identifies a user only at a point in time)');
    }
  });
  if (r.timeRange !== undefined && ms(r.timeRange.from) > ms(r.timeRange.to)) {
    report('timeRange.to', 'expected a time not earlier than timeRange.from');
  }
  if (r.timeRange === undefined && needsJudicialLevel(r.dataCategories)) {
    report('timeRange', 'required when traffic or content data are requested');
  }
  if (r.confidentiality.noDisclosureToSubject && r.confidentiality.reason === undefined) {
    report('confidentiality.reason', 'required when noDisclosureToSubject is true');
  }
  if (r.retentionUntil !== undefined && ms(r.retentionUntil) <= ms(r.issuedAt)) {
    report('retentionUntil', 'expected a time after issuedAt');
  }
  if (r.relatedRequest !== undefined && r.relatedRequest.id === r.id) {
    report('relatedRequest.id', 'a request cannot relate to itself');
  }
  checkValidationTiming(r, report);
}

function checkEpoc(r: Extract<EvidenceRequest, { instrument: 'EPOC' }>, report: Report): void {
  checkStates(r, BOUND_BY_2023_1543, 'Regulation (EU) 2023/1543', report);
  if (needsJudicialLevel(r.dataCategories)) {
    // Art. 4(2): traffic (not for identification) and content data: judge, court or investigating
    // judge, or validated by one; Art. 4(5) lists no emergency exception for these.
    checkAuthority(r, JUDICIAL, false, '2023/1543 Art. 4(2)', report);
  } else {
    checkAuthority(r, JUDICIAL_OR_PROSECUTOR, true, '2023/1543 Art. 4(1), 4(5)', report);
  }
  checkOffence(r, report);
  if (needsJudicialLevel(r.dataCategories) && !r.art8Exemption) {
    if (r.enforcing === undefined) {
      report('enforcing', 'required: traffic or content data need notification of the enforcing state (2023/1543 Art. 8(1))');
    } else if (r.enforcing.state !== r.addressee.state) {
      report('enforcing.state', 'expected the addressee\'s state (the enforcing state, 2023/1543 Art. 3)');
    }
  }
  if (!needsJudicialLevel(r.dataCategories) && r.enforcing !== undefined) {
    report('enforcing', 'notification applies only to traffic or content data (2023/1543 Art. 8(1))');
  }
  if (!EPOC_ADDRESSEES.includes(r.addressee.kind)) {
    report('addressee.kind', 'expected a designated establishment or legal representative of a service provider (2023/1543 Art. 7)');
  }
}

function checkEpocPr(r: Extract<EvidenceRequest, { instrument: 'EPOC-PR' }>, report: Report): void {
  checkStates(r, BOUND_BY_2023_1543, 'Regulation (EU) 2023/1543', report);
  // Art. 4(3): any data category; judge, court, investigating judge or prosecutor, or validated by one.
  checkAuthority(r, JUDICIAL_OR_PROSECUTOR, true, '2023/1543 Art. 4(3), 4(5)', report);
  checkOffence(r, report);
  if (!EPOC_ADDRESSEES.includes(r.addressee.kind)) {
    report('addressee.kind', 'expected a designated establishment or legal representative of a service provider (2023/1543 Art. 7)');
  }
}

function checkEio(r: Extract<EvidenceRequest, { instrument: 'EIO' }>, report: Report): void {
  checkStates(r, BOUND_BY_2014_41, 'Directive 2014/41/EU', report);
  // Art. 2(c): a judge, court, investigating judge or public prosecutor, or another authority
  // whose EIO one of those validates before transmission (no ex-post route).
  checkAuthority(r, JUDICIAL_OR_PROSECUTOR, false, '2014/41 Art. 2(c)', report);
  if (r.requestedDeadline !== undefined) {
    if (ms(r.requestedDeadline) <= ms(r.issuedAt)) report('requestedDeadline', 'expected a time after issuedAt');
    if (r.requestedDeadlineReason === undefined) {
      report('requestedDeadlineReason', 'required with requestedDeadline (2014/41 Art. 12(2))');
    }
  }
  if (!['executing-authority', 'central-authority'].includes(r.addressee.kind)) {
    report('addressee.kind', 'expected the executing authority or a central authority (2014/41 Art. 7)');
  }
}

function checkTreaty(r: Extract<EvidenceRequest, { instrument: 'MLA' | 'COE-P2' }>, report: Report): void {
  checkStates(r, undefined, '', report);
  const ids = new Set<string>();
  r.treaty.periods.forEach((p, i) => {
    if (ids.has(p.id)) report(`treaty.periods[${i}].id`, `duplicate period id "${p.id}"`);
    ids.add(p.id);
  });
}

const COE_CATEGORIES: Record<string, readonly DataCategory[]> = {
  'art6-domain-registration': ['subscriber'],
  'art7-subscriber': ['subscriber', 'user-identification'],
  'art8-giving-effect': ['subscriber', 'user-identification', 'traffic'],
};

function checkCoeP2(r: Extract<EvidenceRequest, { instrument: 'COE-P2' }>, report: Report): void {
  checkTreaty(r, report);
  const allowed = COE_CATEGORIES[r.order];
  if (allowed !== undefined) {
    r.dataCategories.forEach((c, i) => {
      if (!allowed.includes(c)) report(`dataCategories[${i}]`, `"${c}" is outside what an ${r.order} order covers (CETS 224)`);
    });
  }
  if ((r.order === 'art9-emergency-disclosure' || r.order === 'art10-emergency-mla') && !r.emergency.flag) {
    report('emergency.flag', `an ${r.order} request requires an emergency (CETS 224 Art. 9, 10)`);
  }
  if ((r.order === 'art6-domain-registration' || r.order === 'art7-subscriber') && r.addressee.kind !== 'service-provider') {
    report('addressee.kind', 'expected the service-provider or registration entity itself (CETS 224 Art. 6, 7)');
  }
  if (r.order !== 'art6-domain-registration' && r.order !== 'art7-subscriber' && r.addressee.kind === 'service-provider') {
    report('addressee.kind', 'expected an authority of the requested Party (CETS 224 Art. 8–10)');
  }
}

/** Runs every cross-field rule; `report` receives one call per issue. */
export function checkRequestRules(r: EvidenceRequest, report: Report): void {
  checkCommon(r, report);
  switch (r.instrument) {
    case 'EPOC':
      return checkEpoc(r, report);
    case 'EPOC-PR':
      return checkEpocPr(r, report);
    case 'EIO':
      return checkEio(r, report);
    case 'MLA':
      return checkTreaty(r, report);
    case 'COE-P2':
      return checkCoeP2(r, report);
  }
}
