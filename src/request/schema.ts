/**
 * The request templates as zod 4 strict objects: one common core, one variant per instrument.
 *
 * Field-level checks live here; rules that relate several fields (who may issue what, when a
 * validating authority is needed, which offences qualify) live in `rules.ts` so that each rule
 * has its own message and path. Unknown keys are always rejected (strict objects): a field a
 * template does not know is a typo or a field the receiver will silently ignore.
 */
import { z } from 'zod';
import { ISO_COUNTRIES } from './countries.js';
import { STATUS_KINDS } from './kinds.js';
import { isInstantText } from './time.js';

/** Instruments custos has templates for. */
export const INSTRUMENTS = ['EPOC', 'EPOC-PR', 'EIO', 'MLA', 'COE-P2'] as const;
export type Instrument = (typeof INSTRUMENTS)[number];

/** Data categories of Regulation (EU) 2023/1543 Art. 3(9)–(12). */
export const DATA_CATEGORIES = ['subscriber', 'user-identification', 'traffic', 'content'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export const AUTHORITY_TYPES = ['judge', 'court', 'investigating-judge', 'prosecutor', 'other'] as const;
export type AuthorityType = (typeof AUTHORITY_TYPES)[number];

const text = (max: number) =>
  z.string().min(1, 'expected a non-empty string').max(max, `expected at most ${max} characters`);

/** An RFC 3339 date-time with Z or ±hh:mm; floating local times are refused. */
export const instantText = z
  .string()
  .refine(isInstantText, 'expected an RFC 3339 date-time with Z or ±hh:mm (no floating local time)');

const country = z.string().refine((s) => ISO_COUNTRIES.has(s), 'expected ISO 3166 alpha-2');

const contact = z
  .strictObject({
    email: z.email('expected an e-mail address').optional(),
    phone: z.string().regex(/^\+[0-9][0-9 ]{5,20}$/, 'expected an international number (+ and digits)').optional(),
    address: text(500).optional(),
  })
  .refine((c) => c.email !== undefined || c.phone !== undefined || c.address !== undefined, {
    message: 'expected at least one of email, phone, address',
  });

export const authoritySchema = z.strictObject({
  type: z.enum(AUTHORITY_TYPES),
  name: text(300),
  fileNumber: text(100),
  contact,
});

const period = z.strictObject({
  amount: z.int().min(1).max(3650),
  unit: z.enum(['hours', 'days']),
});

/** A due time a treaty sets, as the profile's author read it from the treaty text. */
export const treatyPeriodSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'expected a lower-case identifier'),
  /** What must happen by then, e.g. "execution". */
  label: text(200),
  ...period.shape,
  /** Counted from receipt by the requested side, or from issue. */
  from: z.enum(['receipt', 'issue']),
  /** Article of the treaty the period comes from. */
  basis: text(200),
  /** The period that applies instead when the request is an emergency. */
  emergency: period.optional(),
  /** Status events that meet this deadline (default: fulfilled). */
  metBy: z.array(z.enum(STATUS_KINDS)).min(1).max(12).optional(),
});

/** A treaty profile: which treaty an MLA or Protocol request rests on and the periods it sets. */
export const treatyProfileSchema = z.strictObject({
  name: text(200),
  reference: text(300),
  periods: z.array(treatyPeriodSchema).max(20),
});

const core = {
  schemaVersion: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'expected 1–128 characters of A–Z a–z 0–9 . _ : / -'),
  issuedAt: instantText,
  issuing: z.strictObject({ state: country, authority: authoritySchema }),
  /** Art. 4 of 2023/1543, Art. 2(c)(ii) of 2014/41: validation of an order issued by a non-judicial authority. */
  validating: z
    .strictObject({
      authority: authoritySchema,
      /** `ex-post`: emergency issue without prior validation (2023/1543 Art. 4(5)). */
      mode: z.enum(['prior', 'ex-post']),
      validatedAt: instantText.optional(),
    })
    .optional(),
  addressee: z.strictObject({
    state: country,
    kind: z.enum([
      'service-provider',
      'designated-establishment',
      'legal-representative',
      'executing-authority',
      'central-authority',
      'competent-authority',
    ]),
    name: text(300),
    contact,
  }),
  emergency: z.strictObject({ flag: z.boolean(), justification: text(2000).optional() }),
  dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1, 'expected at least one data category'),
  targets: z
    .array(
      z.strictObject({
        type: z.enum(['account', 'email', 'phone', 'ip-address', 'imei', 'imsi', 'url', 'domain', 'payment', 'other']),
        value: text(500),
        /** The moment an IP address was used (an IP identifies a user only at a point in time). */
        at: instantText.optional(),
        port: z.int().min(0).max(65535).optional(),
      }),
    )
    .min(1, 'expected at least one target identifier')
    .max(1000),
  timeRange: z.strictObject({ from: instantText, to: instantText }).optional(),
  offence: z.strictObject({
    description: text(4000),
    legalProvision: text(500),
    /** Maximum custodial sentence the offence carries in the issuing state. */
    maxPenalty: z.union([z.strictObject({ months: z.int().min(0).max(1200) }), z.literal('life')]),
    /**
     * Offences 2023/1543 Art. 5(4)(b)–(c) admit regardless of the penalty threshold ((b): when
     * committed wholly or partly by means of an information system).
     */
    listed: z.enum(['terrorism-2017/541', 'child-sexual-abuse-2011/93', 'non-cash-fraud-2019/713', 'information-systems-2013/40']).optional(),
  }),
  legalBasis: text(1000),
  purpose: z.strictObject({
    code: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'expected a lower-case purpose code'),
    text: text(2000),
  }),
  relatedRequest: z
    .strictObject({
      id: z.string().min(1).max(128),
      instrument: z.enum(INSTRUMENTS).optional(),
      relation: z.enum(['preservation-followup', 'supplementary', 'replaces', 'other']),
    })
    .optional(),
  confidentiality: z.strictObject({
    /** The addressee must not inform the person whose data are sought. */
    noDisclosureToSubject: z.boolean(),
    reason: text(2000).optional(),
  }),
  restrictions: z.array(text(1000)).max(50).optional(),
  retentionUntil: instantText.optional(),
  language: z.string().regex(/^[a-z]{2}$/, 'expected an ISO 639-1 language code'),
  responseChannel: z.strictObject({
    type: z.enum(['e-codex', 'secure-email', 'custos-bundle', 'portal', 'post', 'other']),
    address: text(500),
  }),
};

export const epocSchema = z.strictObject({
  ...core,
  instrument: z.literal('EPOC'),
  /** Enforcing state to be notified under 2023/1543 Art. 8(1) (traffic or content data). */
  enforcing: z.strictObject({ state: country }).optional(),
  /**
   * Art. 8(2): no notification when, at the time of issue, there are reasonable grounds to believe
   * that the offence was, is or will be committed in the issuing state and the person resides there.
   */
  art8Exemption: z.boolean(),
  /** Art. 5(3), 5(4)(d): the order serves the execution of a custodial sentence of this many months. */
  custodialSentenceMonths: z.int().min(0).max(1200).optional(),
});

export const epocPrSchema = z.strictObject({
  ...core,
  instrument: z.literal('EPOC-PR'),
  custodialSentenceMonths: z.int().min(0).max(1200).optional(),
});

export const eioSchema = z.strictObject({
  ...core,
  instrument: z.literal('EIO'),
  measures: z.array(text(1000)).min(1, 'expected at least one investigative measure').max(50),
  /** Art. 12(2): a shorter deadline the issuing authority asks for, with its reason. */
  requestedDeadline: instantText.optional(),
  requestedDeadlineReason: text(2000).optional(),
  /** Art. 32: the EIO asks for a provisional measure (decision within 24 hours). */
  provisionalMeasure: z.boolean().optional(),
});

export const mlaSchema = z.strictObject({
  ...core,
  instrument: z.literal('MLA'),
  treaty: treatyProfileSchema,
});

/** Second Additional Protocol (CETS No. 224) to the Budapest Convention: the article the order rests on. */
export const COE_P2_ORDERS = ['art6-domain-registration', 'art7-subscriber', 'art8-giving-effect', 'art9-emergency-disclosure', 'art10-emergency-mla'] as const;

export const coeP2Schema = z.strictObject({
  ...core,
  instrument: z.literal('COE-P2'),
  order: z.enum(COE_P2_ORDERS),
  treaty: treatyProfileSchema,
});

/** The schema of every request template, before cross-field rules. */
export const requestShape = z.discriminatedUnion('instrument', [epocSchema, epocPrSchema, eioSchema, mlaSchema, coeP2Schema]);

export type EpocRequest = z.infer<typeof epocSchema>;
export type EpocPrRequest = z.infer<typeof epocPrSchema>;
export type EioRequest = z.infer<typeof eioSchema>;
export type MlaRequest = z.infer<typeof mlaSchema>;
export type CoeP2Request = z.infer<typeof coeP2Schema>;
/** A request that passed {@link validateRequest}. */
export type EvidenceRequest = z.infer<typeof requestShape>;
export type TreatyProfile = z.infer<typeof treatyProfileSchema>;
export type TreatyPeriod = z.infer<typeof treatyPeriodSchema>;
export type AuthorityInfo = z.infer<typeof authoritySchema>;
