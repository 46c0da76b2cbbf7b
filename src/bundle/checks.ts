/**
 * The per-item and log checks of a bundle, run after the manifest and file digests: each one
 * delegates to the module that owns the format (seal, custody, redact, log) and records its
 * outcome in the report. A file that failed its digest is not parsed again: its checks fail
 * with ERR_DIGEST_MISMATCH.
 */
import { equalBytes, toHex } from '../bytes.js';
import { NOT_QUANTUM_RESISTANT, verifySeal } from '../seal/verify.js';
import { verifyChain } from '../custody/verify.js';
import { CustosError, type ErrorCode } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import { verifyPresentation } from '../redact/verify.js';
import { verifyCheckpoint } from '../log/witness.js';
import type { BundleManifest, BundleManifestItem } from './manifest.js';
import type { ReportBuilder } from './report.js';
import type { NewestCheckpoints } from './receipts.js';

/** What the verifier requires beyond signatures and digests. */
export interface BundlePolicy {
  /** Witness cosignatures required on the newest checkpoint (default: the trust store's witnessQuorum, else 0). */
  readonly witnessQuorum?: number;
  /** Require every item to have a seal (default true). */
  readonly requireSeal?: boolean;
  /** Require every item to have a custody chain (default true). */
  readonly requireCustody?: boolean;
  /** The audience records must be presented to (default: whatever the manifest states). */
  readonly audience?: string;
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
  /** Facts established by earlier checks, shared with later ones (e.g. the sealed plaintext digest). */
  readonly facts: Map<string, unknown>;
}

/** Largest seal, chain, record, receipt or checkpoint file the verifier reads into memory. */
export const EVIDENCE_FILE_MAX_BYTES = 16 * 1024 * 1024;

/** Reads a file whose digest matched, or records a failed check and returns undefined. */
async function goodFile(ctx: CheckContext, check: string, subject: string, name: string): Promise<Uint8Array | undefined> {
  if (!ctx.good.has(name)) {
    ctx.report.failed(check, subject, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
    return undefined;
  }
  return ctx.tar.readAll(name, EVIDENCE_FILE_MAX_BYTES);
}

function codeOf(e: unknown): ErrorCode {
  return e instanceof CustosError ? e.code : 'ERR_INTERNAL';
}

async function custodyCheck(ctx: CheckContext, item: BundleManifestItem, name: string): Promise<void> {
  const bytes = await goodFile(ctx, 'custody', item.id, name);
  if (bytes === undefined) return;
  try {
    // The bundle is what travels between authorities: the last event may be the transfer to
    // the recipient, who completes it with a `received` event after checking the bundle.
    const rep = verifyChain(bytes, ctx.trust, { allowPendingTransfer: true });
    if (!rep.ok) {
      const f = rep.failures[0]!;
      ctx.report.failed('custody', item.id, f.code, `event ${f.index}: ${f.message}${rep.failures.length > 1 ? ` (+${rep.failures.length - 1} more)` : ''}`);
      return;
    }
    const sha = rep.digests?.['sha-256'];
    if (sha !== undefined) ctx.facts.set(`custody.sha256:${item.id}`, sha);
    const transit = rep.pendingTransfer !== undefined ? `, in transit to ${rep.pendingTransfer.to}` : '';
    ctx.report.pass('custody', item.id, `chain ${rep.chainId}: ${rep.length} signed events, custodian ${rep.custodian}${transit}`);
  } catch (e) {
    ctx.report.failed('custody', item.id, codeOf(e), (e as Error).message);
  }
}

/**
 * The seal: signature by a key valid at sealing time whose authority is the one named, the item
 * id, and the SHA-256 and size of the age payload section (computed during the digest pass).
 * Its plaintext digest is remembered for the custody cross-check and for opening.
 */
async function sealCheck(ctx: CheckContext, item: BundleManifestItem, name: string): Promise<void> {
  const bytes = await goodFile(ctx, 'seal', item.id, name);
  if (bytes === undefined) return;
  try {
    const rep = await verifySeal(bytes, { trust: ctx.trust });
    if (!rep.ok || rep.manifest === undefined) {
      const f = rep.checks.find((c) => !c.ok);
      ctx.report.failed('seal', item.id, f?.code ?? 'ERR_SIGNATURE_INVALID', `${f?.name ?? 'seal'}: ${f?.message ?? 'failed'}`);
      return;
    }
    const m = rep.manifest;
    if (m.id !== item.id) {
      ctx.report.failed('seal', item.id, 'ERR_SEAL_MALFORMED', `the seal is for item ${JSON.stringify(m.id)}`);
      return;
    }
    const pd = ctx.facts.get(`payload:${item.item}`) as { sha256: Uint8Array; size: number } | undefined;
    if (pd === undefined) {
      ctx.report.failed('seal.payload', item.id, ctx.good.has(item.item) ? 'ERR_AGE_HEADER' : 'ERR_DIGEST_MISMATCH', 'the age payload could not be read');
      return;
    }
    if (pd.size !== m.payloadSize || !equalBytes(pd.sha256, m.payloadSha256)) {
      ctx.report.failed('seal.payload', item.id, 'ERR_DIGEST_MISMATCH', 'the age payload differs from the sealed one');
      return;
    }
    ctx.facts.set(`seal.sha256:${item.id}`, m.sha256);
    const pq = m.context.quantumResistant === false ? `; ${NOT_QUANTUM_RESISTANT}` : '';
    ctx.report.pass('seal', item.id, `sealed by ${m.authority} at ${new Date(m.created).toISOString()}: ${m.size} bytes, SHA-256 ${toHex(m.sha256).slice(0, 16)}…, purpose "${m.context.purpose}"${pq}`);
    ctx.report.pass('seal.payload', item.id, 'age payload section matches the sealed SHA-256 (no key needed)');
  } catch (e) {
    ctx.report.failed('seal', item.id, codeOf(e), (e as Error).message);
  }
}

async function recordCheck(ctx: CheckContext, item: BundleManifestItem, name: string): Promise<void> {
  const bytes = await goodFile(ctx, 'record', item.id, name);
  if (bytes === undefined) return;
  const b = item.binding;
  if (b === undefined) {
    ctx.report.failed('record', item.id, 'ERR_BUNDLE_MALFORMED', 'the manifest states no binding for the record');
    return;
  }
  if (ctx.policy.audience !== undefined && ctx.policy.audience !== b.audience) {
    ctx.report.failed('record', item.id, 'ERR_BINDING_MISMATCH', `record is for ${b.audience}, not ${ctx.policy.audience}`);
    return;
  }
  try {
    const v = verifyPresentation(bytes, { trust: ctx.trust, expect: b });
    if (!v.ok) {
      const f = v.report.failures[0];
      ctx.report.failed('record', item.id, f?.code ?? 'ERR_VERIFICATION_FAILED', `${f?.name ?? 'presentation'}: ${f?.detail ?? 'failed'}`);
      return;
    }
    ctx.report.pass(
      'record',
      item.id,
      `presentation for ${b.audience} (request ${b.requestId}, purpose ${b.purpose}): ${v.report.disclosed} fields disclosed, committed by ${v.report.issuer?.authority ?? '?'}`,
    );
  } catch (e) {
    ctx.report.failed('record', item.id, codeOf(e), (e as Error).message);
  }
}

export async function runItemChecks(ctx: CheckContext, item: BundleManifestItem): Promise<void> {
  const r = ctx.report;
  if (item.seal === undefined) {
    if (ctx.policy.requireSeal ?? true) r.failed('seal', item.id, 'ERR_BUNDLE_MALFORMED', 'item has no seal');
  } else await sealCheck(ctx, item, item.seal);
  if (item.custody === undefined) {
    if (ctx.policy.requireCustody ?? true) r.failed('custody', item.id, 'ERR_BUNDLE_MALFORMED', 'item has no custody chain');
  } else await custodyCheck(ctx, item, item.custody);
  const sealed = ctx.facts.get(`seal.sha256:${item.id}`) as Uint8Array | undefined;
  const chained = ctx.facts.get(`custody.sha256:${item.id}`) as Uint8Array | undefined;
  if (sealed !== undefined && chained !== undefined) {
    if (equalBytes(sealed, chained)) r.pass('custody.digest', item.id, 'the chain and the seal name the same plaintext SHA-256');
    else r.failed('custody.digest', item.id, 'ERR_DIGEST_MISMATCH', 'the chain and the seal name different plaintext SHA-256 digests');
  }
  if (item.record !== undefined) await recordCheck(ctx, item, item.record);
}

/**
 * Checkpoints: each must be signed by a log the trust store lists for its origin, and the
 * newest per origin must carry the witness quorum (policy, else the trust store's, else 0).
 * Two checkpoints of one origin with the same size must have the same root (a split view).
 */
export async function runLogChecks(ctx: CheckContext): Promise<NewestCheckpoints> {
  const r = ctx.report;
  const doc = ctx.trust.document;
  const witnesses = (doc.witnesses ?? []).map((w) => w.vkey);
  const quorum = ctx.policy.witnessQuorum ?? doc.witnessQuorum ?? 0;
  const newest = new Map<string, { name: string; size: number; root: string; rootBytes: Uint8Array }>();
  const seen: { name: string; origin: string; size: number; root: string }[] = [];
  for (const name of ctx.manifest.checkpoints ?? []) {
    if (name.endsWith('.receipt.cose')) continue; // consistency receipts: checked with the item receipts
    const bytes = await goodFile(ctx, 'checkpoint', name, name);
    if (bytes === undefined) continue;
    const text = new TextDecoder().decode(bytes);
    const origin = text.slice(0, text.indexOf('\n'));
    const logs = (doc.logs ?? []).filter((l) => l.origin === origin).map((l) => l.vkey);
    if (logs.length === 0) {
      r.failed('checkpoint', name, 'ERR_NOTE_UNVERIFIED', `the trust store lists no log with origin ${JSON.stringify(origin.slice(0, 100))}`);
      continue;
    }
    try {
      const rep = verifyCheckpoint(text, { log: logs, origin });
      if (!rep.ok || rep.checkpoint === undefined) {
        const f = rep.checks.find((c) => !c.ok);
        r.failed('checkpoint', name, f?.code ?? 'ERR_NOTE_UNVERIFIED', `${f?.check}: ${f?.detail ?? 'failed'}`);
        continue;
      }
      const cp = rep.checkpoint;
      r.pass('checkpoint', name, `${origin} size ${cp.size}, signed by the trusted log key`);
      const root = toHex(cp.root);
      seen.push({ name, origin, size: cp.size, root });
      const prev = newest.get(origin);
      if (prev === undefined || cp.size > prev.size) newest.set(origin, { name, size: cp.size, root, rootBytes: cp.root });
    } catch (e) {
      r.failed('checkpoint', name, codeOf(e), (e as Error).message);
    }
  }
  for (const a of seen) {
    for (const b of seen) {
      if (a.name < b.name && a.origin === b.origin && a.size === b.size && a.root !== b.root) {
        r.failed('checkpoint.consistency', `${a.name} ${b.name}`, 'ERR_CONSISTENCY', `two different roots for size ${a.size}: a split view`);
      }
    }
  }
  for (const [origin, n] of newest) {
    if (quorum === 0) continue;
    if (quorum > witnesses.length) {
      r.failed('witness.quorum', n.name, 'ERR_WITNESS_QUORUM', `quorum ${quorum} but the trust store lists ${witnesses.length} witnesses`);
      continue;
    }
    const text = new TextDecoder().decode(await ctx.tar.readAll(n.name, EVIDENCE_FILE_MAX_BYTES));
    const rep = verifyCheckpoint(text, { log: (doc.logs ?? []).filter((l) => l.origin === origin).map((l) => l.vkey), witnesses, quorum, origin });
    if (rep.ok) r.pass('witness.quorum', n.name, `cosigned by ${rep.cosignedBy.map((w) => w.name).join(', ')} (${rep.cosignedBy.length} of ${quorum} required)`);
    else {
      const f = rep.checks.find((c) => !c.ok);
      r.failed('witness.quorum', n.name, f?.code ?? 'ERR_WITNESS_QUORUM', f?.detail ?? 'quorum not met');
    }
  }
  if ((ctx.manifest.checkpoints ?? []).length === 0 && quorum > 0) {
    r.failed('witness.quorum', undefined, 'ERR_WITNESS_QUORUM', `the trust store requires ${quorum} witness cosignatures, but the bundle has no checkpoint`);
  }
  return new Map([...newest].map(([o, n]) => [o, { size: n.size, root: n.rootBytes }]));
}
