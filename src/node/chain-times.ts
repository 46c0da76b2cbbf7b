/**
 * The bundle verifier's time rule (bundle/timeanchor.ts) for a chain file on its own, so that
 * `custos custody verify` and `custody export` never call VERIFIED a chain the bundle verifier
 * would refuse: an event signed by a key the trust store marks revoked counts only if a verified
 * tlog-proof of it (`<chain file>.receipts/<n>.tlog-proof`) carries a checkpoint witnessed before
 * the revocation (the signer's own date is only a claim: a holder of the revoked key could
 * back-date), and no event may be dated later than its witnessed time plus the skew tolerance,
 * nor later than now plus that tolerance.
 * A receipt that is absent or does not verify shows nothing: it is passed over, never trusted.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { eventTimeProblem, revokedAtOf, SIGNED_TIME_SKEW_MS } from '../bundle/timeanchor.js';
import { openCustodyEvent } from '../custody/chain.js';
import type { ChainFailure, ChainReport } from '../custody/verify.js';
import type { TrustStore } from '../keys/trust.js';
import { verifyTlogProof } from '../log/tlogproof.js';
import { verifyCheckpoint } from '../log/witness.js';
import { receiptsDirOf } from './chain-receipts.js';

const MAX_PROOF_BYTES = 1 << 20;

/** When a verified tlog-proof shows event `entry` was witnessed (ms), or undefined. */
async function witnessedAt(file: string, trust: TrustStore, entry: Uint8Array): Promise<number | undefined> {
  let text: string;
  try {
    const h = await fs.open(file, 'r');
    try {
      if ((await h.stat()).size > MAX_PROOF_BYTES) return undefined;
      text = await h.readFile('utf8');
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
  try {
    const cpText = text.slice(text.indexOf('\n\n') + 2);
    const origin = cpText.slice(0, cpText.indexOf('\n'));
    const policy = trust.checkpointPolicy(origin);
    if (policy.log.length === 0 || policy.witnesses.length === 0) return undefined;
    const rep = verifyTlogProof(text, { entry, keys: policy });
    if (!rep.ok) return undefined;
    const w = verifyCheckpoint(cpText, { ...policy, quorum: Math.max(policy.quorum, 1) });
    return w.ok && w.quorumAt !== undefined ? w.quorumAt * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface TimeRuleOptions {
  /**
   * Judge only keys revoked by now (custody append: a key whose revocation is still to come
   * cannot have signed after it, so its events need no witnessed time yet). Default false: any
   * `revokedAt` needs a witnessed time, as in the bundle verifier.
   */
  readonly revokedByNow?: boolean;
}

const revokedBy = (revokedAt: number | undefined, now: number, opts: TimeRuleOptions): number | undefined =>
  revokedAt !== undefined && opts.revokedByNow === true && revokedAt > now ? undefined : revokedAt;

/**
 * The failures of the time rule for the events of chain file `file` (see the module comment).
 *
 * @example
 * ```ts
 * const failures = await chainTimeFailures('disk.chain', chain.events, trust);
 * ```
 */
export async function chainTimeFailures(file: string, events: readonly Uint8Array[], trust: TrustStore, now = Date.now(), opts: TimeRuleOptions = {}): Promise<ChainFailure[]> {
  const out: ChainFailure[] = [];
  for (const [i, ev] of events.entries()) {
    let signedAt: number;
    try {
      signedAt = openCustodyEvent(ev).event.time;
    } catch {
      continue; // the chain verifier reports an event that does not decode
    }
    const w = await witnessedAt(join(receiptsDirOf(file), `${i}.tlog-proof`), trust, ev);
    const why = signedAt > now + SIGNED_TIME_SKEW_MS
      ? `dated ${new Date(signedAt).toISOString()}, in the future (more than ${SIGNED_TIME_SKEW_MS / 60_000} min from now)`
      : eventTimeProblem(signedAt, w, revokedBy(revokedAtOf(trust, ev, signedAt), now, opts));
    if (why !== undefined) out.push({ check: 'event', index: i, ok: false, code: why.includes('revoked') ? 'ERR_KEY_NOT_VALID' : 'ERR_TIME_INVALID', detail: why });
  }
  return out;
}

/**
 * `report` with the time rule's failures added (not ok when there is any).
 *
 * @example
 * ```ts
 * const report = await withChainTimes('disk.chain', chain.events, trust, verifyChain(chain.events, trust));
 * ```
 */
export async function withChainTimes(file: string, events: readonly Uint8Array[], trust: TrustStore, report: ChainReport, now = Date.now(), opts: TimeRuleOptions = {}): Promise<ChainReport> {
  const extra = await chainTimeFailures(file, events, trust, now, opts);
  if (extra.length === 0) return report;
  const bad = new Set(extra.map((f) => f.index));
  return {
    ...report,
    ok: false,
    events: report.events.map((e) => (bad.has(e.index) ? { ...e, status: 'invalid' as const, codes: [...e.codes, ...extra.filter((f) => f.index === e.index).map((f) => f.code)] } : e)),
    failures: [...report.failures, ...extra],
  };
}
