/**
 * Verifying a presentation: signatures, keys, binding, and the disclosed record.
 *
 * Every check is listed in the report; the disclosed record is returned only when all pass, so
 * a caller can never read fields from a presentation that failed. Nothing here throws for a bad
 * presentation, only for misuse (wrong argument types).
 */
import * as crypto from '#crypto';
import { assertBytes, equalBytes, toBase64Url, toHex } from '../bytes.js';
import { decodeSign1, type Sign1 } from '../cose/sign1.js';
import { CustosError, fail } from '../errors.js';
import type { Check } from '../report.js';
import { TrustStore } from '../keys/trust.js';
import { verifySignedBy } from '../keys/verify-signed.js';
import { openCommittedRecord, type OpenedRecord } from './commit.js';
import { decodeDisclosure, type DecodedDisclosure, type RecordMap } from './disclosure.js';
import { disclosuresHash, PRESENTATION_LABELS, PRESENTATION_TYP } from './present.js';
import { resolveRecord, type Resolved } from './resolve.js';
import { decodePayloadMap, toMillis } from './wire.js';

/** One check of a presentation ({@link Check}): `presentation.structure`, `holder.signature`, `binding.nonce`, … */
export type RedactionCheck = Check;

/** Who signed, as the trust store knows them. */
export interface SignerInfo {
  readonly authority: string;
  readonly kid: string;
}

export interface PresentationReport {
  readonly ok: boolean;
  readonly checks: readonly RedactionCheck[];
  /** The failed checks only (empty when ok). */
  readonly failures: readonly RedactionCheck[];
  readonly issuer?: SignerInfo;
  readonly holder?: SignerInfo;
  /** Signing times (ms since the epoch) of the committed record and the presentation. */
  readonly committedAt?: number;
  readonly presentedAt?: number;
  /** SHA-256 (hex) of the committed record bytes: the `recordDigest` of the holder's custody event. */
  readonly recordDigest?: string;
  /** Number of disclosures given and of digests in the record (withheld, disclosed and decoys). */
  readonly disclosed: number;
  readonly digests: number;
}

export interface VerifiedPresentation {
  readonly ok: boolean;
  /** The record as disclosed (withheld entries absent); undefined unless every check passed. */
  readonly record: RecordMap | undefined;
  readonly report: PresentationReport;
}

/** What the recipient expects the presentation to be bound to. */
export interface PresentationExpectation {
  readonly audience: string;
  readonly requestId: string;
  readonly purpose: string;
  readonly nonce: Uint8Array | string;
  /** Reject presentations signed longer ago than this (needs a clock: `now`, default the current time). */
  readonly maxAgeSeconds?: number;
  readonly now?: Date | number | string;
  /** Accept only a record committed by this authority id. */
  readonly issuer?: string;
}

export interface VerifyPresentationOptions {
  readonly trust: TrustStore;
  readonly expect: PresentationExpectation;
}

/** Allowed clock skew between signers and verifier, in milliseconds. */
export const CLOCK_SKEW_MS = 300_000;

class Checks {
  readonly list: RedactionCheck[] = [];
  run(name: string, f: () => void): boolean {
    try {
      f();
      this.list.push({ check: name, ok: true });
      return true;
    } catch (e) {
      if (!(e instanceof CustosError)) throw e;
      this.list.push({ check: name, ok: false, code: e.code, detail: e.message });
      return false;
    }
  }
}

function sameNonce(a: unknown, b: Uint8Array | string): boolean {
  if (typeof b === 'string') return typeof a === 'string' && a === b;
  return a instanceof Uint8Array && equalBytes(a, b);
}

/** The signer of `msg` at `at` (the payload names no authority: the caller compares it). */
function signer(trust: TrustStore, msg: Sign1, at: number, who: string): SignerInfo {
  const r = verifySignedBy(msg, trust, { at });
  if (!r.ok) fail(r.code, r.step === 'kid' ? `the ${who} signature has no kid` : r.code === 'ERR_SIGNATURE_INVALID' ? `the ${who} signature does not verify` : `${who}: ${r.reason}`);
  return { authority: r.authority.id, kid: toBase64Url(r.key.kid) };
}

/**
 * Verifies a presentation against a trust store and the binding the recipient expects.
 *
 * @example
 * ```ts
 * const { ok, record, report } = verifyPresentation(bytes, {
 *   trust,
 *   expect: { audience: 'AT-BMI', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce },
 * });
 * if (!ok) console.error(report.failures);
 * ```
 */
export function verifyPresentation(presentation: Uint8Array, opts: VerifyPresentationOptions): VerifiedPresentation {
  assertBytes('presentation', presentation);
  if (opts === null || typeof opts !== 'object') fail('ERR_INVALID_ARGUMENT', '"opts" expected an object');
  if (!(opts.trust instanceof TrustStore)) fail('ERR_INVALID_ARGUMENT', '"trust" expected a TrustStore');
  const ex = opts.expect;
  if (ex === null || typeof ex !== 'object') fail('ERR_INVALID_ARGUMENT', '"expect" expected an object');
  for (const k of ['audience', 'requestId', 'purpose'] as const) {
    if (typeof ex[k] !== 'string') fail('ERR_INVALID_ARGUMENT', `"expect.${k}" expected a string`);
  }
  if (typeof ex.nonce !== 'string' && !(ex.nonce instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', '"expect.nonce" expected bytes or a string');
  if (ex.maxAgeSeconds !== undefined && (typeof ex.maxAgeSeconds !== 'number' || !(ex.maxAgeSeconds >= 0))) {
    fail('ERR_INVALID_ARGUMENT', '"expect.maxAgeSeconds" expected a non-negative number');
  }
  const now = toMillis('expect.now', ex.now);

  const c = new Checks();
  let msg: Sign1 | undefined;
  let p = new Map<string, unknown>();
  let committedBytes: Uint8Array | undefined;
  let list: Uint8Array[] = [];
  let iat = 0;
  const structure = c.run('presentation.structure', () => {
    try {
      msg = decodeSign1(presentation);
    } catch (e) {
      throw new CustosError('ERR_RECORD_INVALID', 'the presentation is not a COSE_Sign1', { cause: e });
    }
    if (msg.protectedHeaders.get(16) !== PRESENTATION_TYP) fail('ERR_RECORD_INVALID', `typ is not ${PRESENTATION_TYP}`);
    if (msg.payload === null) fail('ERR_RECORD_INVALID', 'the presentation has no payload');
    p = decodePayloadMap(msg.payload, 'presentation');
    const known = ['v', 'aud', 'req', 'purpose', 'nonce', 'iat', 'rec', 'sd'];
    for (const k of p.keys()) if (!known.includes(k)) fail('ERR_RECORD_INVALID', `unknown field ${JSON.stringify(k)}`);
    if (p.get('v') !== 1) fail('ERR_RECORD_INVALID', 'unsupported presentation version');
    const t = p.get('iat');
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) fail('ERR_RECORD_INVALID', 'iat missing or invalid');
    iat = t;
    for (const k of ['rec', 'sd']) {
      const h = p.get(k);
      if (!(h instanceof Uint8Array) || h.length !== 32) fail('ERR_RECORD_INVALID', `${k} must be a 32-byte hash`);
    }
    const rec = msg.unprotectedHeaders.get(PRESENTATION_LABELS.record);
    if (!(rec instanceof Uint8Array)) fail('ERR_RECORD_INVALID', 'the committed record is missing');
    committedBytes = rec;
    const sd = msg.unprotectedHeaders.get(PRESENTATION_LABELS.disclosures);
    if (!Array.isArray(sd) || !sd.every((d) => d instanceof Uint8Array)) fail('ERR_DISCLOSURE_MALFORMED', 'disclosures must be an array of byte strings');
    for (const k of msg.unprotectedHeaders.keys()) {
      if (k !== PRESENTATION_LABELS.record && k !== PRESENTATION_LABELS.disclosures) fail('ERR_RECORD_INVALID', `unexpected header ${String(k)}`);
    }
    list = sd as Uint8Array[];
  });
  const report = (extra: Partial<PresentationReport>, record?: RecordMap): VerifiedPresentation => {
    const failures = c.list.filter((x) => !x.ok);
    const ok = failures.length === 0 && record !== undefined;
    return {
      ok,
      record: ok ? record : undefined,
      report: { ok, checks: c.list, failures, disclosed: list.length, digests: 0, ...extra },
    };
  };
  if (!structure || msg === undefined || committedBytes === undefined) return report({});
  const pres = msg;
  const recBytes = committedBytes;

  let holder: SignerInfo | undefined;
  c.run('holder.signature', () => {
    holder = signer(opts.trust, pres, iat, 'holder');
  });
  c.run('binding.audience', () => {
    if (p.get('aud') !== ex.audience) fail('ERR_BINDING_MISMATCH', 'bound to another audience');
  });
  c.run('binding.requestId', () => {
    if (p.get('req') !== ex.requestId) fail('ERR_BINDING_MISMATCH', 'bound to another request');
  });
  c.run('binding.purpose', () => {
    if (p.get('purpose') !== ex.purpose) fail('ERR_BINDING_MISMATCH', 'bound to another purpose');
  });
  c.run('binding.nonce', () => {
    if (!sameNonce(p.get('nonce'), ex.nonce)) fail('ERR_BINDING_MISMATCH', 'bound to another nonce');
  });
  if (ex.maxAgeSeconds !== undefined) {
    c.run('binding.freshness', () => {
      if (iat > now + CLOCK_SKEW_MS) fail('ERR_BINDING_MISMATCH', 'the presentation is dated in the future');
      if (now - iat > ex.maxAgeSeconds! * 1000) fail('ERR_BINDING_MISMATCH', 'the presentation is older than allowed');
    });
  }
  const recDigest = crypto.sha256(recBytes);
  c.run('binding.record', () => {
    if (!equalBytes(recDigest, p.get('rec') as Uint8Array)) fail('ERR_DIGEST_MISMATCH', 'the committed record is not the one the holder signed');
  });
  c.run('binding.disclosures', () => {
    if (!equalBytes(disclosuresHash(list), p.get('sd') as Uint8Array)) fail('ERR_DIGEST_MISMATCH', 'the disclosures are not the ones the holder signed');
  });

  let opened: OpenedRecord | undefined;
  const recOk = c.run('record.structure', () => {
    opened = openCommittedRecord(recBytes);
  });
  if (!recOk || opened === undefined) return report({ ...(holder ? { holder } : {}), presentedAt: iat });
  const rec = opened;
  let issuer: SignerInfo | undefined;
  c.run('issuer.signature', () => {
    issuer = signer(opts.trust, rec.sign1, rec.issuedAt, 'issuer');
    // after the signature: the report names who really signed, even when it is not the one expected
    if (ex.issuer !== undefined && issuer.authority !== ex.issuer) fail('ERR_KEY_UNKNOWN', 'the record was committed by another authority');
  });
  c.run('binding.order', () => {
    // SD-CWT §"Verifier Validation" step 7: the KBT's iat is not before the SD-CWT's.
    if (iat + CLOCK_SKEW_MS < rec.issuedAt) fail('ERR_BINDING_MISMATCH', 'the presentation is dated before the record was committed');
  });
  if (rec.holder !== undefined) {
    c.run('binding.holder', () => {
      if (pres.kid === undefined || !equalBytes(rec.holder!, pres.kid)) fail('ERR_BINDING_MISMATCH', 'the record names another holder');
    });
  }
  let decoded: DecodedDisclosure[] = [];
  let resolved: Resolved | undefined;
  const dOk = c.run('disclosures.decode', () => {
    decoded = list.map((d) => decodeDisclosure(d));
  });
  if (dOk) {
    c.run('disclosures.resolve', () => {
      resolved = resolveRecord(rec.record, decoded, { nodes: false });
    });
  }
  return report(
    {
      ...(issuer ? { issuer } : {}),
      ...(holder ? { holder } : {}),
      committedAt: rec.issuedAt,
      recordDigest: toHex(recDigest),
      presentedAt: iat,
      digests: resolved?.digestCount ?? 0,
    },
    resolved?.record,
  );
}
