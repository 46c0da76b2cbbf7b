/**
 * The cross-checks of a bundle (issue 17, attacks 3-5): do its pieces tell one story? Run per
 * item after its seal, chain and record were verified, on their typed facts. Each mismatch is a
 * failed `binding` check (ERR_BINDING_MISMATCH) naming both values; a value that cannot be
 * compared because its data is absent fails too (a check that cannot run is a failure).
 *
 * The chain id rule: custody chains of a bundle are created as `<request>/<item id>` (what
 * `custos demo` and `createChain(`${request.id}/${item}`)` write), so the chain id must be
 * exactly the manifest's request, a slash, and the item id. A chain of another exhibit or of
 * another request is refused even when its signatures are good.
 */
import type { TrustStore } from '../keys/trust.js';
import type { BundlePolicy } from './context.js';
import type { ItemFacts } from './facts.js';
import type { BundleManifest } from './manifest.js';
import type { ReportBuilder } from './report.js';

const q = (s: string | undefined): string => (s === undefined ? '(none)' : JSON.stringify(s));

/** The chain id a bundle item's custody chain must have. */
export function expectedChainId(request: string, itemId: string): string {
  return `${request}/${itemId}`;
}

/**
 * Records one `binding` check per item (pass, or a failure listing every mismatch).
 *
 * @example
 * ```ts
 * checkBindings(manifest, items, trust, policy, report);
 * ```
 */
export function checkBindings(m: BundleManifest, items: readonly ItemFacts[], trust: TrustStore, policy: BundlePolicy, r: ReportBuilder): void {
  for (const f of items) {
    const id = f.item.id;
    const bad: string[] = [];
    const eq = (what: string, a: string | undefined, b: string | undefined, aName: string, bName: string): void => {
      if (a === undefined || b === undefined || a !== b) bad.push(`${what}: ${aName} ${q(a)} ≠ ${bName} ${q(b)}`);
    };
    if (m.request === undefined) bad.push('the manifest names no request: nothing to bind the items to');
    const s = f.seal;
    let purpose: string | undefined;
    if (s !== undefined) {
      eq('request', m.request, s.context.requestId, 'manifest', 'seal context');
      if (m.case !== undefined || s.context.caseId !== undefined) eq('case', m.case, s.context.caseId, 'manifest', 'seal context');
      purpose = s.context.purpose;
    }
    const b = f.item.binding;
    if (f.item.record !== undefined) {
      if (b === undefined) bad.push('the record has no binding in the manifest');
      else {
        eq('request', m.request, b.requestId, 'manifest', 'record binding');
        if (purpose !== undefined) eq('purpose', purpose, b.purpose, 'seal context', 'record binding');
        else purpose = b.purpose;
        if (policy.audience !== undefined) eq('audience', policy.audience, b.audience, 'verifier', 'record binding');
      }
    }
    const c = f.chain;
    if (c !== undefined) {
      if (m.request !== undefined) eq('chain id', expectedChainId(m.request, id), c.chainId, 'expected', 'chain');
      for (const p of c.purposes) if (purpose !== undefined) eq('purpose', purpose, p, 'seal/record', 'custody event');
      eq('custodian', m.issuer, c.custodian, 'bundle sender (manifest issuer)', 'chain custodian');
      if (c.pendingTo !== undefined) {
        if (policy.audience !== undefined) eq('transfer', policy.audience, c.pendingTo, 'verifier audience', 'pending transfer to');
        else if (trust.authority(c.pendingTo) === undefined) bad.push(`transfer: the pending transfer names ${q(c.pendingTo)}, not an authority of the trust store`);
      }
    }
    if (bad.length === 0) r.pass('binding', id, `request ${q(m.request)}${m.case !== undefined ? `, case ${q(m.case)}` : ''}${purpose !== undefined ? `, purpose ${q(purpose)}` : ''}: manifest, seal, record and chain agree${c !== undefined ? `; chain ${q(c.chainId)} held by the sender ${q(m.issuer)}${c.pendingTo !== undefined ? `, in transit to ${q(c.pendingTo)}` : ''}` : ''}`);
    else r.failed('binding', id, 'ERR_BINDING_MISMATCH', bad.join('; '));
  }
}
