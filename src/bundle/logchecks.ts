/**
 * Checkpoints of a bundle: each must be signed by a log the trust store lists for its origin,
 * and the newest per origin must carry the witness quorum (policy, else the trust store's, else
 * 0). Two checkpoints of one origin with the same size must have the same root (a split view).
 * Each checkpoint member is read once.
 */
import { equalBytes, fromHex, toHex } from '../bytes.js';
import { verifyCheckpoint } from '../log/witness.js';
import { codeOf, readMember, type CheckContext } from './context.js';
import { requires } from './policy.js';
import { consistent, type NewestCheckpoints } from './receipts.js';

export async function runLogChecks(ctx: CheckContext, known?: string): Promise<NewestCheckpoints> {
  const r = ctx.report;
  const doc = ctx.trust.document;
  const witnesses = (doc.witnesses ?? []).map((w) => w.vkey);
  const quorum = requires(ctx.policy, 'witness.quorum') ? (ctx.policy.witnessQuorum ?? doc.witnessQuorum ?? 0) : 0;
  const newest = new Map<string, { name: string; text: string; size: number; root: string; rootBytes: Uint8Array }>();
  const seen: { name: string; origin: string; size: number; root: string }[] = [];
  for (const name of ctx.manifest.checkpoints ?? []) {
    if (name.endsWith('.receipt.cose')) continue; // consistency receipts: read when a receipt needs one
    const bytes = await readMember(ctx, 'checkpoint', name, name);
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
      if (prev === undefined || cp.size > prev.size) newest.set(origin, { name, text, size: cp.size, root, rootBytes: cp.root });
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
    if (quorum > witnesses.length) {
      r.failed('witness.quorum', n.name, 'ERR_WITNESS_QUORUM', `quorum ${quorum} but the trust store lists ${witnesses.length} witnesses`);
      continue;
    }
    // The trust store's windows of the log and witness keys (as for every tlog-proof): a
    // cosignature dated after its witness's revocation does not count, and a log key with a
    // window is judged at the witnessed time (without a quorum nothing shows it: refused).
    const rep = verifyCheckpoint(n.text, ctx.trust.checkpointPolicy(origin, quorum));
    if (quorum === 0 && rep.ok) continue;
    if (rep.ok) r.pass('witness.quorum', n.name, `cosigned by ${rep.cosignedBy.map((w) => w.name).join(', ')} (${rep.cosignedBy.length} of ${quorum} required)`);
    else {
      const f = rep.checks.find((c) => !c.ok);
      r.failed(quorum > 0 ? 'witness.quorum' : 'checkpoint', n.name, f?.code ?? 'ERR_WITNESS_QUORUM', f?.detail ?? 'quorum not met');
    }
  }
  if ((ctx.manifest.checkpoints ?? []).length === 0 && quorum > 0) {
    r.failed('witness.quorum', undefined, 'ERR_WITNESS_QUORUM', `the trust store requires ${quorum} witness cosignatures, but the bundle has no checkpoint`);
  }
  const out: NewestCheckpoints = new Map([...newest].map(([o, n]) => [o, { size: n.size, root: n.rootBytes, consistency: new Map<string, string | undefined>() }]));
  // Attack 7: every checkpoint of one log must be a prefix of the newest (then every pair is
  // consistent): a consistency receipt in the bundle proves it, or the bundle is refused.
  for (const a of seen) {
    const top = out.get(a.origin)!;
    if (a.size === top.size) continue; // equal sizes: compared above
    const why = await consistent(ctx, { origin: a.origin, size: a.size, root: fromHex(a.root) }, top);
    if (why === undefined) r.pass('checkpoint.consistency', a.name, `size ${a.size} is a prefix of the newest checkpoint (size ${top.size})`);
    else r.failed('checkpoint.consistency', a.name, 'ERR_CONSISTENCY', `size ${a.size}: ${why}`);
  }
  if (known !== undefined) await checkKnown(ctx, known, out);
  return out;
}

/**
 * The newest checkpoint the verifier already trusts: the bundle's view of that log must be at
 * least as new and consistent with it (a rollback or a fork is refused).
 */
async function checkKnown(ctx: CheckContext, text: string, newest: NewestCheckpoints): Promise<void> {
  const r = ctx.report;
  const origin = text.slice(0, text.indexOf('\n'));
  if (!(ctx.trust.document.logs ?? []).some((l) => l.origin === origin)) {
    r.failed('checkpoint.known', undefined, 'ERR_NOTE_UNVERIFIED', `the trust store lists no log with the known checkpoint's origin ${JSON.stringify(origin.slice(0, 100))}`);
    return;
  }
  let rep: ReturnType<typeof verifyCheckpoint>;
  try {
    rep = verifyCheckpoint(text, ctx.trust.checkpointPolicy(origin, 0));
  } catch (e) {
    r.failed('checkpoint.known', undefined, codeOf(e, 'ERR_NOTE_UNVERIFIED'), `the known checkpoint: ${(e as Error).message}`);
    return;
  }
  if (!rep.ok || rep.checkpoint === undefined) {
    const f = rep.checks.find((c) => !c.ok);
    r.failed('checkpoint.known', undefined, f?.code ?? 'ERR_NOTE_UNVERIFIED', `the known checkpoint does not verify with the trust store: ${f?.detail ?? 'failed'}`);
    return;
  }
  const k = rep.checkpoint;
  const top = newest.get(origin);
  if (top === undefined) {
    r.failed('checkpoint.known', undefined, 'ERR_CONSISTENCY', `the bundle has no checkpoint of ${origin}, the log of the known checkpoint (size ${k.size})`);
    return;
  }
  let why: string | undefined;
  if (k.size > top.size) why = `the bundle's view of ${origin} (size ${top.size}) is older than the known checkpoint (size ${k.size}): a rollback`;
  else if (k.size === top.size) why = equalBytes(k.root, top.root) ? undefined : `the bundle's checkpoint and the known one have size ${k.size} and different roots: a fork`;
  else why = await consistent(ctx, { origin, size: k.size, root: k.root }, top);
  if (why === undefined) r.pass('checkpoint.known', undefined, `consistent with the known checkpoint of ${origin} (size ${k.size}; the bundle's newest is size ${top.size})`);
  else r.failed('checkpoint.known', undefined, 'ERR_CONSISTENCY', why);
}
