/**
 * Receipt checks of a bundle. An item's custody events are entries of the sender's
 * transparency log; for event number `n` of the item's chain the bundle may carry
 * `receipts/<id>/<n>.tlog-proof` (C2SP tlog-proof v1: inclusion proof + the signed, cosigned
 * checkpoint) and `receipts/<id>/<n>.receipt.cose` (RFC 9942 COSE Receipt, vds 1 = RFC 9162
 * SHA-256, signed by the log's key). The log entry is the custody event's exact COSE_Sign1 bytes.
 * Each receipt must verify with a log key from the trust store, and its tree must be the
 * bundle's newest checkpoint of that log (same size, same root), or an older tree that an RFC
 * 9942 consistency receipt in `checkpoints/consistency-<oldSize>.receipt.cose`, signed by the
 * same log, proves to be a prefix of the newest one (RFC 9162 §2.1.4).
 *
 * Run by the custody check of each chain member while its events are in hand (no cycle: this
 * module imports the shared context, not the checks).
 */
import { equalBytes, toHex } from '../bytes.js';
import type { ErrorCode } from '../errors.js';
import { decodeSign1 } from '../cose/sign1.js';
import { keyId } from '../keys/signing.js';
import { parseVerifierKey } from '../log/notekeys.js';
import { verifyConsistencyReceipt, verifyReceipt } from '../log/receipt.js';
import { verifyTlogProof } from '../log/tlogproof.js';
import { codeOf, readMember, type CheckContext } from './context.js';
import type { ItemFacts } from './facts.js';
import { verifyCheckpoint } from '../log/witness.js';
import { parseReceiptName } from './naming.js';
import { eventTimeProblem, revokedAtOf, SIGNED_TIME_SKEW_MS } from './timeanchor.js';
import { requires } from './policy.js';

/** The newest checkpoint per log origin, established by the checkpoint checks. */
export type NewestCheckpoints = ReadonlyMap<string, { readonly size: number; readonly root: Uint8Array; readonly consistency: Map<string, string | undefined> }>;

export type Tree = { origin: string; size: number; root: Uint8Array };

/** What a verified receipt proves: the event's inclusion, and (tlog-proof with witnesses) when it was witnessed (ms). */
interface Proven {
  readonly n: number;
  readonly witnessedAt?: number;
}

/** Verifies one receipt member against the chain's events; returns what it proves, or undefined. */
async function oneReceipt(ctx: CheckContext, name: string, events: readonly Uint8Array[], newest: NewestCheckpoints): Promise<Proven | undefined> {
  const r = ctx.report;
  const doc = ctx.trust.document;
  // Never lowered to the number of witnesses listed: a quorum that cannot be met fails.
  const quorum = requires(ctx.policy, 'witness.quorum') ? (ctx.policy.witnessQuorum ?? doc.witnessQuorum ?? 0) : 0;
  const parsed = parseReceiptName(name);
  const bytes = await readMember(ctx, 'receipt', name, name);
  if (bytes === undefined) return undefined;
  if (parsed === undefined) {
    r.failed('receipt', name, 'ERR_RECEIPT_MALFORMED', 'receipt file name must be <event number>.tlog-proof or .receipt.cose');
    return undefined;
  }
  const n = parsed.event;
  const entry = events[n];
  if (entry === undefined) {
    r.failed('receipt', name, 'ERR_RECEIPT_INVALID', `the custody chain has no verified event ${n}`);
    return undefined;
  }
  try {
    let tree: Tree;
    let witnessedAt: number | undefined;
    if (parsed.kind === 'tlog-proof') {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      const cpText = text.slice(text.indexOf('\n\n') + 2);
      const origin = cpText.slice(0, cpText.indexOf('\n'));
      if (!(doc.logs ?? []).some((l) => l.origin === origin)) {
        r.failed('receipt', name, 'ERR_NOTE_UNVERIFIED', 'the trust store lists no log with this origin');
        return undefined;
      }
      // The trust store's policy: log and witness keys with their validity windows.
      const policy = ctx.trust.checkpointPolicy(origin, quorum);
      const rep = verifyTlogProof(text, { entry, keys: policy });
      if (!rep.ok || rep.checkpoint === undefined) {
        const f = rep.checks.find((c) => !c.ok);
        r.failed('receipt', name, f?.code ?? 'ERR_RECEIPT_INVALID', `${f?.check}: ${f?.detail ?? 'failed'}`);
        return undefined;
      }
      tree = { origin, size: rep.checkpoint.size, root: rep.checkpoint.root };
      // When the checkpoint holding the entry was witnessed (at least one witness, even with the
      // quorum waived): the entry existed by then, whatever its signer dated it.
      if (policy.witnesses.length > 0) {
        const w = verifyCheckpoint(cpText, { ...policy, quorum: Math.max(policy.quorum, 1) });
        if (w.ok && w.quorumAt !== undefined) witnessedAt = w.quorumAt * 1000;
      }
    } else {
      // Find the trusted log key the receipt names (kid = RFC 9679 thumbprint of the Ed25519 key).
      const log = logKeyFor(ctx, bytes, undefined);
      if (log === undefined) {
        r.failed('receipt', name, 'ERR_KEY_UNKNOWN', 'the receipt is not signed by a log key in the trust store');
        return undefined;
      }
      const rep = verifyReceipt(bytes, { key: { alg: 'EdDSA', publicKey: log.publicKey }, entry });
      if (!rep.ok || rep.root === undefined || rep.treeSize === undefined) {
        const f = rep.checks.find((c) => !c.ok);
        r.failed('receipt', name, f?.code ?? 'ERR_RECEIPT_INVALID', `${f?.check}: ${f?.detail ?? 'failed'}`);
        return undefined;
      }
      tree = { origin: log.origin, size: rep.treeSize, root: rep.root };
    }
    const top = newest.get(tree.origin);
    const same = top !== undefined && top.size === tree.size && equalBytes(top.root, tree.root);
    if (!same) {
      const why = top === undefined ? 'the bundle has no checkpoint of this log' : await consistent(ctx, tree, top);
      if (why !== undefined) {
        r.failed('receipt.consistency', name, 'ERR_CONSISTENCY', `receipt is for tree size ${tree.size}: ${why}`);
        return undefined;
      }
    }
    r.pass('receipt', name, `event ${n} included in ${tree.origin} at tree size ${tree.size}${witnessedAt !== undefined ? `, witnessed at ${new Date(witnessedAt).toISOString()}` : ''}${same ? '' : `, consistent with the newest checkpoint (size ${top!.size})`}`);
    return witnessedAt !== undefined ? { n, witnessedAt } : { n };
  } catch (e) {
    r.failed('receipt', name, codeOf(e), (e as Error).message);
    return undefined;
  }
}

/**
 * Checks the receipts of `items`, which all name one chain whose verified events are `events`
 * (empty when the chain is absent or failed). Each distinct receipt member is verified once;
 * each item gets a `custody.logged` verdict over its own receipts.
 */
export async function checkReceipts(
  ctx: CheckContext,
  items: readonly ItemFacts[],
  events: readonly Uint8Array[],
  chainRead: boolean,
  newest: NewestCheckpoints,
  times: readonly (number | undefined)[] = [],
): Promise<void> {
  const verdicts = new Map<string, Proven | undefined>();
  const timeVerdicts = new Map<string, TimeVerdict>();
  // Attack 2: with a log in the trust store, every custody event must be logged; an item with
  // no receipts at all fails like one with a receipt missing.
  const needLogged = (ctx.trust.document.logs ?? []).length > 0 && requires(ctx.policy, 'custody.logged');
  for (const f of items) {
    const names = f.item.receipts ?? [];
    if (f.item.custody === undefined || !chainRead) {
      for (const name of names) {
        if (!verdicts.has(name)) {
          verdicts.set(name, undefined);
          await readMember(ctx, 'receipt', name, name);
        }
        ctx.report.failed('receipt', name, 'ERR_RECEIPT_INVALID', `item ${f.item.id} has no readable custody chain for the receipt to prove`);
      }
      continue;
    }
    const logged = new Set<number>();
    const witnessed = new Map<number, number>(); // event → earliest witnessed time (ms)
    for (const name of names) {
      if (!verdicts.has(name)) verdicts.set(name, await oneReceipt(ctx, name, events, newest));
      const p = verdicts.get(name);
      if (p === undefined) continue;
      logged.add(p.n);
      if (p.witnessedAt !== undefined) witnessed.set(p.n, Math.min(witnessed.get(p.n) ?? Infinity, p.witnessedAt));
    }
    if (events.length === 0) continue; // the chain failed: its custody check says so
    // Items naming one chain and the same receipts share one verdict: judged once.
    const key = names.join('\n');
    let verdict = timeVerdicts.get(key);
    if (verdict === undefined) timeVerdicts.set(key, (verdict = judgeEventTimes(ctx, events, times, witnessed)));
    if (verdict.ok) ctx.report.pass('time', f.item.id, verdict.detail);
    else ctx.report.failed('time', f.item.id, verdict.code, verdict.detail);
    const missing = events.map((_, i) => i).filter((i) => !logged.has(i));
    if (missing.length === 0) ctx.report.pass('custody.logged', f.item.id, `all ${events.length} custody events have verified receipts`);
    else if (names.length > 0 || needLogged) ctx.report.failed('custody.logged', f.item.id, 'ERR_RECEIPT_INVALID', `custody events without a verified receipt: ${missing.join(', ')}${names.length === 0 ? ' (the item has no receipts, and the trust store lists a log)' : ''}`);
  }
}

type TimeVerdict = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** The `time` verdict of a chain: each event against its witnessed time and its key's revocation. */
function judgeEventTimes(ctx: CheckContext, events: readonly Uint8Array[], times: readonly (number | undefined)[], witnessed: ReadonlyMap<number, number>): TimeVerdict {
  const bad: string[] = [];
  const used: string[] = [];
  events.forEach((ev, i) => {
    const t = times[i];
    const w = witnessed.get(i);
    const why = eventTimeProblem(t, w, revokedAtOf(ctx.trust, ev, t ?? Date.now()));
    if (why !== undefined) bad.push(`event ${i}: ${why}`);
    else if (w !== undefined) used.push(`event ${i} witnessed ${new Date(w).toISOString()}`);
  });
  if (bad.length > 0) return { ok: false, code: bad.some((b) => b.includes('revoked')) ? 'ERR_KEY_NOT_VALID' : 'ERR_TIME_INVALID', detail: bad.join('; ') };
  return { ok: true, detail: used.length > 0 ? `verified times: ${used.join(', ')} (signed times within ${SIGNED_TIME_SKEW_MS / 60_000} min of them)` : 'no event is witnessed and no event key is revoked: signed times only' };
}

/** Undefined when a consistency receipt proves `old` is a prefix of `top`; else why not. Cached per tree. */
export async function consistent(ctx: CheckContext, old: Tree, top: { size: number; root: Uint8Array; consistency: Map<string, string | undefined> }): Promise<string | undefined> {
  if (old.size > top.size) return `newer than the bundle's newest checkpoint (size ${top.size})`;
  const key = `${old.size}\n${toHex(old.root)}`;
  if (top.consistency.has(key)) return top.consistency.get(key);
  const name = `checkpoints/consistency-${old.size}.receipt.cose`;
  let why: string | undefined;
  const bytes = (ctx.manifest.checkpoints ?? []).includes(name) ? await consistencyBytes(ctx, name) : undefined;
  if (bytes === undefined) why = `no valid ${name} links it to the newest checkpoint (size ${top.size})`;
  else {
    try {
      const log = logKeyFor(ctx, bytes, old.origin);
      if (log === undefined) why = `${name} is not signed by this log's key`;
      else {
        const rep = verifyConsistencyReceipt(bytes, { key: { alg: 'EdDSA', publicKey: log.publicKey }, oldSize: old.size, oldRoot: old.root });
        if (!rep.ok || rep.root === undefined) why = `${name} does not verify (${rep.checks.find((c) => !c.ok)?.code ?? 'ERR_CONSISTENCY'})`;
        else if (rep.treeSize !== top.size || !equalBytes(rep.root, top.root)) why = `${name} leads to size ${rep.treeSize}, not to the newest checkpoint`;
      }
    } catch (e) {
      why = `${name}: ${(e as Error).message}`;
    }
  }
  top.consistency.set(key, why);
  return why;
}

const consistencyRead = new WeakMap<CheckContext, Map<string, Uint8Array | undefined>>();

/** A consistency receipt member, read (and digest-checked) once per verification. */
async function consistencyBytes(ctx: CheckContext, name: string): Promise<Uint8Array | undefined> {
  let m = consistencyRead.get(ctx);
  if (m === undefined) consistencyRead.set(ctx, (m = new Map()));
  if (!m.has(name)) m.set(name, await readMember(ctx, 'checkpoint', name, name));
  return m.get(name);
}

/** The trusted log (of `origin`, or any) whose RFC 9679 kid signed a COSE message. */
function logKeyFor(ctx: CheckContext, cose: Uint8Array, origin: string | undefined): { origin: string; publicKey: Uint8Array } | undefined {
  const kid = decodeSign1(cose, { strict: false }).kid;
  if (kid === undefined) return undefined;
  for (const l of ctx.trust.document.logs ?? []) {
    if (origin !== undefined && l.origin !== origin) continue;
    const v = parseVerifierKey(l.vkey);
    if (equalBytes(keyId('EdDSA', v.publicKey), kid)) return { origin: l.origin, publicKey: v.publicKey };
  }
  return undefined;
}
