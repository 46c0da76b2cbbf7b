/**
 * What the bundle checks share: the archive, the signed manifest, the trust store, the policy,
 * the report, and the one reader of small members ({@link readMember}), which checks a member's
 * size and SHA-256 against the manifest as it reads it, once per member.
 */
import * as crypto from '#crypto';
import { equalBytes } from '../bytes.js';
import { CustosError, type ErrorCode } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import type { BundleArchive } from './archive.js';
import type { BundleManifest, SignedMember } from './manifest.js';
import type { ReportBuilder } from './report.js';

/** Largest seal, chain, record, receipt or checkpoint file the verifier reads into memory. */
export const EVIDENCE_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** What the verifier requires beyond signatures and digests. */
export interface BundlePolicy {
  /** Witness cosignatures required on the newest checkpoint (default: the trust store's witnessQuorum, else 0; never lowered). */
  readonly witnessQuorum?: number;
  /** Require every item to have a seal (default true; false = waive `seal`). */
  readonly requireSeal?: boolean;
  /** Require every item to have a custody chain (default true; false = waive `custody`). */
  readonly requireCustody?: boolean;
  /**
   * The verifier's own identity: records must be presented to it, and a pending transfer must
   * name it (default: records as the manifest states; a transfer to an authority of the trust store).
   */
  readonly audience?: string;
  /** Named requirements given up (see `REQUIREMENTS` in ./policy.ts); each is listed in the report. */
  readonly waive?: readonly string[];
}

/** The verification policy (issue 17): secure defaults, named waivers; the same for the API and the CLI. */
export type VerifyPolicy = BundlePolicy;

/** What a check sees of the bundle (after the manifest signature verified). */
export interface CheckContext {
  readonly archive: BundleArchive;
  readonly manifest: BundleManifest;
  readonly members: ReadonlyMap<string, SignedMember>;
  readonly trust: TrustStore;
  readonly policy: BundlePolicy;
  readonly report: ReportBuilder;
  /** Digest verdicts of the small members read so far, by name (each is read once). */
  readonly digests: Map<string, boolean>;
}

export function codeOf(e: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): ErrorCode {
  return e instanceof CustosError ? e.code : fallback;
}

/**
 * Reads a small member and checks it against the manifest, recording one `file.digest` check
 * for it. Returns its bytes, or undefined (after recording a failed `check` for `subject`) when
 * it is missing, too large or does not match. Reading a member twice is a bug in the caller.
 */
export async function readMember(ctx: CheckContext, check: string, subject: string, name: string): Promise<Uint8Array | undefined> {
  const signed = ctx.members.get(name);
  const entry = ctx.archive.get(name);
  if (ctx.digests.has(name)) throw new CustosError('ERR_INTERNAL', `${name} read twice`);
  let ok = false;
  let bytes: Uint8Array | undefined;
  if (signed === undefined || signed.kind !== 'file' || entry === undefined) {
    ctx.report.failed('file.digest', name, 'ERR_BUNDLE_MALFORMED', signed === undefined ? 'not listed in the manifest' : entry === undefined ? 'missing from the archive' : 'listed as an age file');
  } else if (entry.size !== signed.size) {
    ctx.report.failed('file.digest', name, 'ERR_DIGEST_MISMATCH', `size ${entry.size}, signed ${signed.size}`);
  } else if (entry.size > EVIDENCE_FILE_MAX_BYTES) {
    ctx.report.failed('file.digest', name, 'ERR_LIMIT', `larger than ${EVIDENCE_FILE_MAX_BYTES} bytes`);
  } else {
    bytes = await ctx.archive.read(name, EVIDENCE_FILE_MAX_BYTES);
    ok = equalBytes(crypto.sha256(bytes), signed.sha256);
    if (ok) ctx.report.pass('file.digest', name, `SHA-256 matches (${entry.size} bytes)`);
    else ctx.report.failed('file.digest', name, 'ERR_DIGEST_MISMATCH', 'SHA-256 differs from the signed digest');
  }
  ctx.digests.set(name, ok);
  if (!ok) {
    ctx.report.failed(check, subject, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
    return undefined;
  }
  return bytes;
}
