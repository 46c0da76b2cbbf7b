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
 */
import { equalBytes, toHex } from '../bytes.js';
import { splitChain } from '../custody/chain.js';
import { CustosError, type ErrorCode } from '../errors.js';
import { keyId } from '../keys/signing.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { parseNote } from '../log/note.js';
import { parseVerifierKey } from '../log/notekeys.js';
import { verifyConsistencyReceipt, verifyReceipt } from '../log/receipt.js';
import { decodeSign1 } from '../cose/sign1.js';
import { verifyTlogProof } from '../log/tlogproof.js';
import type { BundleManifestItem } from './manifest.js';
import type { CheckContext } from './checks.js';
import { EVIDENCE_FILE_MAX_BYTES } from './checks.js';

/** The newest checkpoint per log origin, established by the checkpoint checks. */
export type NewestCheckpoints = Map<string, { readonly size: number; readonly root: Uint8Array }>;

const RECEIPT_NAME = /^(0|[1-9][0-9]{0,8})\.(tlog-proof|receipt\.cose)$/;

function codeOf(e: unknown): ErrorCode {
  return e instanceof CustosError ? e.code : 'ERR_INTERNAL';
}

export async function runReceiptChecks(ctx: CheckContext, item: BundleManifestItem, newest: NewestCheckpoints): Promise<void> {
  const r = ctx.report;
  const names = item.receipts ?? [];
  if (names.length === 0) return;
  let events: Uint8Array[] = [];
  if (item.custody !== undefined && ctx.good.has(item.custody)) events = splitChain(await ctx.tar.readAll(item.custody, EVIDENCE_FILE_MAX_BYTES)).events;
  const doc = ctx.trust.document;
  const witnesses = (doc.witnesses ?? []).map((w) => w.vkey);
  const quorum = Math.min(ctx.policy.witnessQuorum ?? doc.witnessQuorum ?? 0, witnesses.length);
  const logged = new Set<number>();
  for (const name of names) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    const m = RECEIPT_NAME.exec(base);
    if (!ctx.good.has(name)) {
      r.failed('receipt', name, 'ERR_DIGEST_MISMATCH', `${name} is missing or does not match the manifest`);
      continue;
    }
    if (m === null) {
      r.failed('receipt', name, 'ERR_RECEIPT_MALFORMED', 'receipt file name must be <event number>.tlog-proof or .receipt.cose');
      continue;
    }
    const n = Number(m[1]);
    const entry = events[n];
    if (entry === undefined) {
      r.failed('receipt', name, 'ERR_RECEIPT_INVALID', `the custody chain has no event ${n}`);
      continue;
    }
    const bytes = await ctx.tar.readAll(name, EVIDENCE_FILE_MAX_BYTES);
    try {
      let tree: { origin: string; size: number; root: Uint8Array } | undefined;
      if (m[2] === 'tlog-proof') {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        const cpText = text.slice(text.indexOf('\n\n') + 2);
        const origin = cpText.slice(0, cpText.indexOf('\n'));
        const logs = (doc.logs ?? []).filter((l) => l.origin === origin).map((l) => l.vkey);
        if (logs.length === 0) {
          r.failed('receipt', name, 'ERR_NOTE_UNVERIFIED', 'the trust store lists no log with this origin');
          continue;
        }
        const rep = verifyTlogProof(text, { entry, keys: { log: logs, witnesses, quorum, origin } });
        if (!rep.ok || rep.checkpoint === undefined) {
          const f = rep.checks.find((c) => !c.ok);
          r.failed('receipt', name, f?.code ?? 'ERR_RECEIPT_INVALID', `${f?.check}: ${f?.detail ?? 'failed'}`);
          continue;
        }
        tree = { origin, size: rep.checkpoint.size, root: rep.checkpoint.root };
      } else {
        // Find the trusted log key the receipt names (kid = RFC 9679 thumbprint of the Ed25519 key).
        const kid = decodeSign1(bytes, { strict: false }).kid;
        const log = (doc.logs ?? []).map((l) => ({ origin: l.origin, v: parseVerifierKey(l.vkey) })).find((l) => kid !== undefined && equalBytes(keyId('EdDSA', l.v.publicKey), kid));
        if (log === undefined) {
          r.failed('receipt', name, 'ERR_KEY_UNKNOWN', 'the receipt is not signed by a log key in the trust store');
          continue;
        }
        const rep = verifyReceipt(bytes, { key: { alg: 'EdDSA', publicKey: log.v.publicKey }, entry });
        if (!rep.ok || rep.root === undefined || rep.treeSize === undefined) {
          const f = rep.checks.find((c) => !c.ok);
          r.failed('receipt', name, f?.code ?? 'ERR_RECEIPT_INVALID', `${f?.check}: ${f?.detail ?? 'failed'}`);
          continue;
        }
        tree = { origin: log.origin, size: rep.treeSize, root: rep.root };
      }
      const top = newest.get(tree.origin);
      const same = top !== undefined && top.size === tree.size && equalBytes(top.root, tree.root);
      if (!same) {
        const why = top === undefined ? 'the bundle has no checkpoint of this log' : await consistent(ctx, tree, top);
        if (why !== undefined) {
          r.failed('receipt.consistency', name, 'ERR_CONSISTENCY', `receipt is for tree size ${tree.size}: ${why}`);
          continue;
        }
      }
      logged.add(n);
      r.pass('receipt', name, `event ${n} included in ${tree.origin} at tree size ${tree.size}${same ? '' : `, consistent with the newest checkpoint (size ${top!.size})`}`);
    } catch (e) {
      r.failed('receipt', name, codeOf(e), (e as Error).message);
    }
  }
  if (events.length > 0) {
    const missing = events.map((_, i) => i).filter((i) => !logged.has(i));
    if (missing.length === 0) r.pass('custody.logged', item.id, `all ${events.length} custody events have verified receipts`);
    else r.failed('custody.logged', item.id, 'ERR_RECEIPT_INVALID', `custody events without a verified receipt: ${missing.join(', ')}`);
  }
}

const consistencyCache = new WeakMap<CheckContext, Map<string, string | undefined>>();

/** Undefined when a consistency receipt proves `old` is a prefix of `top`; else why not. */
async function consistent(
  ctx: CheckContext,
  old: { origin: string; size: number; root: Uint8Array },
  top: { size: number; root: Uint8Array },
): Promise<string | undefined> {
  if (old.size > top.size) return `newer than the bundle's newest checkpoint (size ${top.size})`;
  const key = `${old.origin}\n${old.size}\n${toHex(old.root)}`;
  let cache = consistencyCache.get(ctx);
  if (cache === undefined) consistencyCache.set(ctx, (cache = new Map()));
  if (cache.has(key)) return cache.get(key);
  const name = `checkpoints/consistency-${old.size}.receipt.cose`;
  let why: string | undefined;
  if (!(ctx.manifest.checkpoints ?? []).includes(name) || !ctx.good.has(name)) why = `no valid ${name} links it to the newest checkpoint (size ${top.size})`;
  else {
    try {
      const bytes = await ctx.tar.readAll(name, EVIDENCE_FILE_MAX_BYTES);
      const log = logKeyFor(ctx, bytes, old.origin);
      if (log === undefined) why = `${name} is not signed by this log's key`;
      else {
        const rep = verifyConsistencyReceipt(bytes, { key: { alg: 'EdDSA', publicKey: log }, oldSize: old.size, oldRoot: old.root });
        if (!rep.ok || rep.root === undefined) why = `${name} does not verify (${rep.checks.find((c) => !c.ok)?.code ?? 'ERR_CONSISTENCY'})`;
        else if (rep.treeSize !== top.size || !equalBytes(rep.root, top.root)) why = `${name} leads to size ${rep.treeSize}, not to the newest checkpoint`;
      }
    } catch (e) {
      why = `${name}: ${(e as Error).message}`;
    }
  }
  cache.set(key, why);
  return why;
}

/** The Ed25519 public key of the trusted log (of `origin`) whose RFC 9679 kid signed a COSE message. */
function logKeyFor(ctx: CheckContext, cose: Uint8Array, origin: string): Uint8Array | undefined {
  const kid = decodeSign1(cose, { strict: false }).kid;
  if (kid === undefined) return undefined;
  for (const l of ctx.trust.document.logs ?? []) {
    if (l.origin !== origin) continue;
    const v = parseVerifierKey(l.vkey);
    if (equalBytes(keyId('EdDSA', v.publicKey), kid)) return v.publicKey;
  }
  return undefined;
}

/** The newest checkpoint text's tree, for tests and tools. */
export function checkpointTree(text: string): { origin: string; size: number; root: Uint8Array } {
  const cp = parseCheckpoint(parseNote(text).text);
  return { origin: cp.origin, size: cp.size, root: cp.root };
}
