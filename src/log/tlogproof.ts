/**
 * C2SP tlog-proof v1 (c2sp.org/tlog-proof): an offline-verifiable, text "spicy signature":
 *
 *     c2sp.org/tlog-proof@v1
 *     extra <base64>            (optional, unauthenticated)
 *     index <n>
 *     <base64 hash>…            (inclusion proof, leaf sibling first)
 *     <empty line>
 *     <the checkpoint, verbatim, with its signatures and cosignatures>
 */
import { assertBytes, fromBase64, fromUtf8, toBase64 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { HASH_SIZE, inclusionProofLength, leafHash as rfcLeafHash, verifyInclusion } from './merkle.js';
import { parseNote } from './note.js';
import { Checks, type LogReport } from './report.js';
import { verifyCheckpoint, type CheckpointReport, type VerifierInput, type WitnessPolicy } from './witness.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

/**
 * Formats a tlog-proof.
 *
 * @example
 * ```ts
 * const p = await log.prove(index);
 * const text = formatTlogProof({ index: p.index, proof: p.proof, checkpoint: p.checkpoint });
 * ```
 */
export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) fail('ERR_INVALID_ARGUMENT', '"index" must be a non-negative integer');
  for (const h of p.proof) assertBytes('proof', h, HASH_SIZE);
  parseNote(p.checkpoint);
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${toBase64(assertBytes('extra', p.extra))}`);
  lines.push(`index ${p.index}`);
  for (const h of p.proof) lines.push(toBase64(h));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

function malformed(detail: string): never {
  fail('ERR_RECEIPT_MALFORMED', detail);
}

/** Parses a tlog-proof (without verifying it). Throws ERR_RECEIPT_MALFORMED. */
export function parseTlogProof(text: string | Uint8Array): TlogProof {
  const s = typeof text === 'string' ? text : fromUtf8(assertBytes('text', text));
  if (s.length > 512 * 1024) fail('ERR_LIMIT', 'tlog-proof larger than 512 KiB');
  const split = s.indexOf('\n\n');
  if (split < 0) malformed('no blank line before the checkpoint');
  const head = s.slice(0, split).split('\n');
  const checkpoint = s.slice(split + 2);
  if (head[0] !== TLOG_PROOF_HEADER) malformed('first line is not c2sp.org/tlog-proof@v1');
  let i = 1;
  let extra: Uint8Array | undefined;
  if (head[i]?.startsWith('extra ')) {
    try {
      extra = fromBase64(head[i]!.slice(6));
    } catch {
      malformed('extra is not base64');
    }
    i++;
  }
  const idx = head[i];
  if (idx === undefined || !/^index (0|[1-9][0-9]*)$/.test(idx)) malformed('missing or malformed index line');
  const index = Number(idx.slice(6));
  if (!Number.isSafeInteger(index)) fail('ERR_LIMIT', 'index above 2^53 − 1');
  const proof: Uint8Array[] = [];
  for (const line of head.slice(i + 1)) {
    let h: Uint8Array;
    try {
      h = fromBase64(line);
    } catch {
      malformed('proof line is not base64');
    }
    if (h.length !== HASH_SIZE) malformed('proof hash is not 32 bytes');
    proof.push(h);
  }
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}

export interface TlogProofReport extends LogReport {
  readonly checkpoint?: CheckpointReport['checkpoint'];
  readonly index?: number;
  readonly cosignedBy: CheckpointReport['cosignedBy'];
}

/**
 * Verifies a tlog-proof for an entry (or its leaf hash): the checkpoint under the log keys or
 * witness policy, then the inclusion proof against the checkpoint's root and size.
 *
 * @example
 * ```ts
 * const r = verifyTlogProof(text, { entry, keys: { log: [vkey], witnesses, quorum: 2 } });
 * ```
 */
export function verifyTlogProof(
  text: string | Uint8Array,
  opts: { readonly entry?: Uint8Array; readonly leafHash?: Uint8Array; readonly keys: readonly VerifierInput[] | WitnessPolicy },
): TlogProofReport {
  if ((opts.entry === undefined) === (opts.leafHash === undefined)) fail('ERR_INVALID_ARGUMENT', 'give exactly one of "entry" or "leafHash"');
  const leaf = opts.leafHash !== undefined ? assertBytes('leafHash', opts.leafHash, HASH_SIZE) : rfcLeafHash(opts.entry!);
  const checks = new Checks();
  let p: TlogProof;
  try {
    p = parseTlogProof(text);
    checks.pass('tlogproof.format');
  } catch (e) {
    if (!(e instanceof CustosError) || e.code === 'ERR_INVALID_ARGUMENT') throw e;
    checks.failed('tlogproof.format', e.code, e.message);
    return { ...checks.report(), cosignedBy: [] };
  }
  const cp = verifyCheckpoint(p.checkpoint, opts.keys);
  checks.list.push(...cp.checks);
  if (!cp.ok || cp.checkpoint === undefined) return { ...checks.report(), index: p.index, cosignedBy: cp.cosignedBy };
  const { size, root } = cp.checkpoint;
  if (p.index >= size || p.proof.length !== inclusionProofLength(p.index, size)) {
    checks.failed('inclusion', 'ERR_PROOF_MALFORMED', 'index ≥ tree size or wrong proof length');
  } else {
    const r = verifyInclusion(leaf, p.index, size, p.proof, root);
    if (r.ok) checks.pass('inclusion');
    else checks.failed('inclusion', r.code, r.reason);
  }
  const r = checks.report();
  return r.ok ? { ...r, checkpoint: cp.checkpoint, index: p.index, cosignedBy: cp.cosignedBy } : { ...r, index: p.index, cosignedBy: cp.cosignedBy };
}
