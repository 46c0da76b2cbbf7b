/**
 * The checks of a bundle's small members, after the manifest signature verified. Each distinct
 * member is read and verified once, however many items name it (a seal, a chain, a record):
 * its verdict is then reported for every item that names it. Each check delegates to the module
 * that owns the format (seal, custody, redact) and records typed {@link ItemFacts}.
 */
import { equalBytes, toHex } from '../bytes.js';
import { splitChain } from '../custody/chain.js';
import { verifyChain } from '../custody/verify.js';
import { verifyPresentation } from '../redact/verify.js';
import { NOT_QUANTUM_RESISTANT, verifySeal } from '../seal/verify.js';
import { codeOf, readMember, type CheckContext } from './context.js';
import type { ItemFacts } from './facts.js';
import type { BundleManifestItem } from './manifest.js';
import { checkBindings } from './bindings.js';
import { revokedAtOf, unloggedRevoked } from './timeanchor.js';
import { requires } from './policy.js';
import { checkReceipts, type NewestCheckpoints } from './receipts.js';

/** Items grouped by the member they name under `key` (in manifest order), and those naming none. */
function groupBy(items: readonly ItemFacts[], key: (it: BundleManifestItem) => string | undefined): { groups: Map<string, ItemFacts[]>; none: ItemFacts[] } {
  const groups = new Map<string, ItemFacts[]>();
  const none: ItemFacts[] = [];
  for (const f of items) {
    const k = key(f.item);
    if (k === undefined) none.push(f);
    else groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  return { groups, none };
}

async function sealChecks(ctx: CheckContext, name: string, items: readonly ItemFacts[]): Promise<void> {
  const r = ctx.report;
  const bytes = await readMember(ctx, 'seal', items[0]!.item.id, name);
  for (const f of items.slice(1)) if (bytes === undefined) r.failed('seal', f.item.id, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
  if (bytes === undefined) return;
  let rep: Awaited<ReturnType<typeof verifySeal>>;
  try {
    rep = await verifySeal(bytes, { trust: ctx.trust });
  } catch (e) {
    for (const f of items) r.failed('seal', f.item.id, codeOf(e), (e as Error).message);
    return;
  }
  for (const f of items) {
    const id = f.item.id;
    const m = rep.manifest;
    if (!rep.ok || m === undefined) {
      const c = rep.checks.find((x) => !x.ok);
      r.failed('seal', id, c?.code ?? 'ERR_SIGNATURE_INVALID', `${c?.check ?? 'seal'}: ${c?.detail ?? 'failed'}`);
      continue;
    }
    if (m.id !== id) {
      r.failed('seal', id, 'ERR_SEAL_MALFORMED', `the seal is for item ${JSON.stringify(m.id)}`);
      continue;
    }
    const revoked = revokedAtOf(ctx.trust, bytes, m.created);
    if (revoked !== undefined) {
      // Attack 1: a revoked key can date a seal before its revocation; nothing logs the seal.
      r.failed('time', id, 'ERR_KEY_NOT_VALID', unloggedRevoked('the seal', revoked));
      continue;
    }
    const pq = m.context.quantumResistant === false ? `; ${NOT_QUANTUM_RESISTANT}` : '';
    r.pass('seal', id, `sealed by ${m.authority} at ${new Date(m.created).toISOString()}: ${m.size} bytes, SHA-256 ${toHex(m.sha256).slice(0, 16)}…, purpose "${m.context.purpose}"${pq}`);
    // The manifest signs the payload digest of the age file: compare without reading the item
    // (the item pass then checks the bytes against the manifest).
    const a = f.ageFile;
    if (a.size - a.headerLength !== m.payloadSize || !equalBytes(a.payloadSha256, m.payloadSha256)) {
      r.failed('seal.payload', id, 'ERR_DIGEST_MISMATCH', 'the age payload the manifest signs differs from the sealed one');
      continue;
    }
    r.pass('seal.payload', id, 'the manifest signs the sealed age payload SHA-256 (checked against the bytes in the item pass, no key needed)');
    f.seal = m;
  }
}

async function custodyChecks(ctx: CheckContext, name: string, items: readonly ItemFacts[], newest: NewestCheckpoints): Promise<void> {
  const r = ctx.report;
  const bytes = await readMember(ctx, 'custody', items[0]!.item.id, name);
  for (const f of items.slice(1)) if (bytes === undefined) r.failed('custody', f.item.id, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
  let events: Uint8Array[] = [];
  let times: (number | undefined)[] = [];
  if (bytes !== undefined) {
    try {
      // The bundle is what travels between authorities: the last event may be the transfer to
      // the recipient, who completes it with a `received` event after checking the bundle.
      const rep = verifyChain(bytes, ctx.trust, { allowPendingTransfer: true });
      if (!rep.ok) {
        const c = rep.failures[0]!;
        for (const f of items) r.failed('custody', f.item.id, c.code, `event ${c.index}: ${c.detail}${rep.failures.length > 1 ? ` (+${rep.failures.length - 1} more)` : ''}`);
      } else {
        events = splitChain(bytes).events;
        times = rep.events.map((e) => e.time);
        const purposes = [...new Set(rep.events.map((e) => e.purpose).filter((p): p is string => p !== undefined))];
        const facts = { chainId: rep.chainId ?? '', sha256: rep.digests?.['sha-256'], purposes, custodian: rep.custodian, pendingTo: rep.pendingTransfer?.to, length: rep.length };
        const transit = rep.pendingTransfer !== undefined ? `, in transit to ${rep.pendingTransfer.to}` : '';
        const shared = items.length > 1 ? ` (one chain, verified once, named by ${items.length} items)` : '';
        for (const f of items) {
          f.chain = facts;
          r.pass('custody', f.item.id, `chain ${rep.chainId}: ${rep.length} signed events, custodian ${rep.custodian}${transit}${shared}`);
        }
      }
    } catch (e) {
      for (const f of items) r.failed('custody', f.item.id, codeOf(e), (e as Error).message);
    }
  }
  // The receipts name events of this chain: checked while its events are in hand.
  await checkReceipts(ctx, items, events, bytes !== undefined, newest, times);
}

async function recordChecks(ctx: CheckContext, name: string, items: readonly ItemFacts[]): Promise<void> {
  const r = ctx.report;
  const bytes = await readMember(ctx, 'record', items[0]!.item.id, name);
  for (const f of items) {
    const id = f.item.id;
    if (bytes === undefined) {
      if (f !== items[0]) r.failed('record', id, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
      continue;
    }
    const b = f.item.binding;
    if (b === undefined) {
      r.failed('record', id, 'ERR_BUNDLE_MALFORMED', 'the manifest states no binding for the record');
      continue;
    }
    if (ctx.policy.audience !== undefined && ctx.policy.audience !== b.audience) {
      r.failed('record', id, 'ERR_BINDING_MISMATCH', `record is for ${b.audience}, not ${ctx.policy.audience}`);
      continue;
    }
    try {
      const v = verifyPresentation(bytes, { trust: ctx.trust, expect: b });
      if (!v.ok) {
        const c = v.report.failures[0];
        r.failed('record', id, c?.code ?? 'ERR_VERIFICATION_FAILED', `${c?.check ?? 'presentation'}: ${c?.detail ?? 'failed'}`);
        continue;
      }
      r.pass('record', id, `presentation for ${b.audience} (request ${b.requestId}, purpose ${b.purpose}): ${v.report.disclosed} fields disclosed, committed by ${v.report.issuer?.authority ?? '?'}`);
    } catch (e) {
      r.failed('record', id, codeOf(e), (e as Error).message);
    }
  }
}

/**
 * Runs the seal, custody (with its receipts) and record checks for `items`, each distinct member
 * once, then the seal ↔ chain digest cross-check per item. Fills in the items' facts.
 */
export async function runMemberChecks(ctx: CheckContext, items: readonly ItemFacts[], newest: NewestCheckpoints): Promise<void> {
  const r = ctx.report;
  const seals = groupBy(items, (it) => it.seal);
  for (const [name, group] of seals.groups) await sealChecks(ctx, name, group);
  if (requires(ctx.policy, 'seal')) for (const f of seals.none) r.failed('seal', f.item.id, 'ERR_BUNDLE_MALFORMED', 'item has no seal');
  const chains = groupBy(items, (it) => it.custody);
  for (const [name, group] of chains.groups) await custodyChecks(ctx, name, group, newest);
  if (requires(ctx.policy, 'custody')) for (const f of chains.none) r.failed('custody', f.item.id, 'ERR_BUNDLE_MALFORMED', 'item has no custody chain');
  await checkReceipts(ctx, chains.none, [], false, newest);
  const needDigest = requires(ctx.policy, 'custody.digest');
  for (const f of items) {
    const sealed = f.seal?.sha256;
    const chained = f.chain?.sha256;
    if (f.chain !== undefined && chained === undefined) {
      // Attack 3: a chain that names no digest binds nothing to this item.
      if (needDigest) r.failed('custody.digest', f.item.id, 'ERR_DIGEST_MISMATCH', 'the custody chain states no sha-256 digest of the item');
      continue;
    }
    if (sealed === undefined || chained === undefined) continue; // no seal or no chain: failed above, or waived
    if (equalBytes(sealed, chained)) r.pass('custody.digest', f.item.id, 'the chain and the seal name the same plaintext SHA-256');
    else r.failed('custody.digest', f.item.id, 'ERR_DIGEST_MISMATCH', 'the chain and the seal name different plaintext SHA-256 digests');
  }
  for (const [name, group] of groupBy(items, (it) => it.record).groups) await recordChecks(ctx, name, group);
  if (requires(ctx.policy, 'binding')) checkBindings(ctx.manifest, items, ctx.trust, ctx.policy, r);
}
