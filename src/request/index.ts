export { BOUND_BY_2014_41, BOUND_BY_2023_1543, EU_MEMBER_STATES, ISO_COUNTRIES } from './countries.js';
export {
  AUTHORITY_TYPES,
  COE_P2_ORDERS,
  DATA_CATEGORIES,
  INSTRUMENTS,
  requestShape,
  treatyProfileSchema,
} from './schema.js';
export type {
  AuthorityInfo,
  AuthorityType,
  CoeP2Request,
  DataCategory,
  EioRequest,
  EpocPrRequest,
  EpocRequest,
  EvidenceRequest,
  Instrument,
  MlaRequest,
  TreatyPeriod,
  TreatyProfile,
} from './schema.js';
export type { RequestIssue } from './rules.js';
export { RequestInvalidError, requestIssues, validateRequest } from './validate.js';
export { formatUtc, parseInstant } from './time.js';
export type { Instant, Zone } from './time.js';
export { deadlines } from './deadlines.js';
export type { Deadline, DeadlineOptions, DeadlineParty } from './deadlines.js';
export { holidaySet, periodEnd } from './periods.js';
export type { CountMethod, PeriodRules, PeriodUnit } from './periods.js';
export { ONCE_KINDS, STATUS_KINDS, TERMINAL_KINDS, TRANSITIONS } from './kinds.js';
export type { StatusKind } from './kinds.js';
export {
  checkTransition,
  decodeStatusEvent,
  publishStatusEvent,
  signStatusEvent,
  STATUS_CONTENT_TYPE,
  STATUS_MAX_BYTES,
  MAX_STATUS_EVENTS,
  statusInputSchema,
} from './events.js';
export type { DecodedStatusEvent, StatusEvent, StatusInput, StatusLog } from './events.js';
export { isVerifiedStatusChain, verifyStatusChain } from './verify.js';
export { requestDigest } from './document.js';
export type { StatusChainReport, StatusCheck, VerifiedStatusChain, VerifiedStatusEvent } from './verify.js';
export { requestStatus } from './status.js';
export type { DeadlineState, DeadlineStatus, RequestStatusOptions, RequestStatusReport } from './status.js';
export { suppressTable, withholdTable } from './suppression.js';
export { auditTable } from './audit.js';
export type { CellInterval, ProtectionAudit } from './audit.js';
export { protectedQuantiles } from './quantiles.js';
export type { ProtectedQuantiles } from './quantiles.js';
export type { Cell as StatisticsCell, SuppressedTable } from './suppression.js';
export { FULFILMENT_BINS, OUTCOMES, statistics } from './statistics.js';
export type { OversightStatistics, Outcome, StatisticsOptions, StatisticsPeriod } from './statistics.js';
export { fulfilmentChartSvg, statisticsCsv, statisticsJson } from './render.js';
export type { ChartOptions } from './render.js';
