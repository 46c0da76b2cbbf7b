/**
 * The status a request can go through, and which transitions are allowed.
 *
 * The graph (last status → next status) follows how the instruments run: a request is issued,
 * received, possibly acknowledged and validated (ex post, 2023/1543 Art. 4(5)), worked on,
 * delayed with notice (2014/41 Art. 12(5)–(6); 2023/1543 Art. 10(5)–(6)), extended
 * (2023/1543 Art. 11(1); 2014/41 Art. 12(5)), partially or fully answered, refused with
 * grounds, objected to by the enforcing authority (2023/1543 Art. 12), or withdrawn.
 * `fulfilled`, `refused` and `withdrawn` are final.
 */
export const STATUS_KINDS = [
  'issued',
  'received',
  'acknowledged',
  'validated',
  'in-progress',
  'delay-notified',
  'extended',
  'partially-fulfilled',
  'fulfilled',
  'refused',
  'objected',
  'withdrawn',
] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];

export const TERMINAL_KINDS: ReadonlySet<StatusKind> = new Set(['fulfilled', 'refused', 'withdrawn']);

const WORKING: readonly StatusKind[] = [
  'validated',
  'in-progress',
  'delay-notified',
  'extended',
  'partially-fulfilled',
  'fulfilled',
  'refused',
  'objected',
  'withdrawn',
];

/** Allowed next statuses after each status (before the once-only and party rules). */
export const TRANSITIONS: { readonly [K in StatusKind]: readonly StatusKind[] } = {
  issued: ['received', 'validated', 'withdrawn'],
  received: ['acknowledged', ...WORKING],
  acknowledged: WORKING,
  validated: ['received', 'acknowledged', ...WORKING],
  'in-progress': WORKING,
  'delay-notified': WORKING,
  extended: WORKING,
  'partially-fulfilled': WORKING.filter((k) => k !== 'objected'),
  // Art. 12 2023/1543: after an objection the order is withdrawn or refused, or the
  // objection is lifted and work resumes.
  objected: ['in-progress', 'refused', 'withdrawn'],
  fulfilled: [],
  refused: [],
  withdrawn: [],
};

/** Statuses that may appear at most once in a chain. */
export const ONCE_KINDS: ReadonlySet<StatusKind> = new Set(['issued', 'received', 'acknowledged', 'validated']);
