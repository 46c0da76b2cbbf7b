/**
 * Opening one item of a bundle: verify + decrypt in one streaming pass over one source. The
 * small members are checked first (manifest signature, the files signed, checkpoints, the item's
 * seal, custody chain with its receipts, record); the caller's expectations are compared with
 * what those verified members say; then one pass over the item's age file checks the header and
 * payload against the signed digests, decrypts, and hashes the plaintext for the seal's and the
 * chain's forensic digest. The plaintext goes to an output that is committed only when every
 * check has passed, and aborted otherwise. Nothing is read or decoded twice: the facts the
 * checks established are the ones used here.
 */
import { equalBytes, toHex } from '../bytes.js';
import { toIdentities } from '../envelope/keys.js';
import type { IdentityInput } from '../envelope/types.js';
import { CustosError, fail } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import { contextMismatches } from '../seal/manifest.js';
import type { BundlePolicy } from './context.js';
import { itemPass, type PassHashFactory, type PlaintextOutput } from './itempass.js';
import type { BundleReport } from './report.js';
import type { BundleSource } from './source.js';
import { checkBundleMembers, finishReport, reportPass } from './verify.js';

/** What the caller expects the item to be for; a mismatch refuses to open (ERR_CONTEXT_MISMATCH). */
export interface OpenExpectation {
  /** The request id the bundle must answer (manifest, and the seal's signed context). */
  readonly request?: string;
  /** The case id the bundle must belong to (manifest, and the seal's signed context). */
  readonly case?: string;
  /** The purpose the seal's signed context states (without a seal: every custody event that states one). */
  readonly purpose?: string;
}

export interface OpenBundleItemOptions {
  readonly trust: TrustStore;
  readonly identities: IdentityInput | readonly IdentityInput[];
  /** Where the plaintext goes: committed only after every check passed. */
  readonly output: PlaintextOutput;
  /**
   * What the item must be for: `request` and `purpose` are required (issue 17: opening without
   * them checked no context at all). `'none'` opts out explicitly, and the result says so.
   */
  readonly expect: OpenExpectation | 'none';
  readonly policy?: BundlePolicy;
  readonly hash?: PassHashFactory;
  readonly onBytes?: (n: number) => void;
}

export interface OpenedBundleItem {
  /** Every check the item depends on (all passed), including the item pass. */
  readonly report: BundleReport;
  /** The plaintext SHA-256 the seal (or the custody chain) establishes and the output matched (hex), if any. */
  readonly sha256?: string;
  /** Plaintext bytes written. */
  readonly size: number;
  /** False when the caller opened with `expect: 'none'` (no request or purpose was compared). */
  readonly contextChecked: boolean;
}

/**
 * Verifies one item and decrypts it to `output` in one pass over `source`.
 *
 * @example
 * ```ts
 * const out = memoryOutput();
 * await openBundleItem(bytesSource(bundle), 'disk', { trust, identities: [identity], output: out, expect: { request: 'AT-…', purpose: 'investigation' } });
 * const plaintext = out.bytes();
 * ```
 */
export async function openBundleItem(source: BundleSource, id: string, opts: OpenBundleItemOptions): Promise<OpenedBundleItem> {
  const ids = toIdentities(opts.identities);
  const out = opts.output;
  if (typeof out?.write !== 'function' || typeof out.commit !== 'function' || typeof out.abort !== 'function') fail('ERR_INVALID_ARGUMENT', '"output" expected write, commit and abort');
  const none = opts.expect === 'none';
  const ex: OpenExpectation = opts.expect === 'none' ? {} : (opts.expect ?? {});
  if (!none && (typeof ex.request !== 'string' || typeof ex.purpose !== 'string')) {
    fail('ERR_INVALID_ARGUMENT', 'openBundleItem needs expect.request and expect.purpose (or expect: \'none\' to open without a context check)');
  }
  let committed = false;
  try {
    const c = await checkBundleMembers(source, { trust: opts.trust, only: [id], ...(opts.policy !== undefined ? { policy: opts.policy } : {}) });
    if (!c.readable) {
      const f = c.report.checks.find((x) => !x.ok);
      throw new CustosError(f?.code ?? 'ERR_BUNDLE_MALFORMED', `not a readable bundle: ${f?.detail ?? ''}`);
    }
    if (!c.report.ok || c.ctx === undefined || c.manifest === undefined) {
      const f = c.report.checks.find((x) => !x.ok);
      if (f?.code === 'ERR_ITEM_NOT_FOUND') fail('ERR_ITEM_NOT_FOUND', `no item ${id} in the bundle`);
      throw new CustosError('ERR_VERIFICATION_FAILED', `item ${id} does not verify: ${f?.check} ${f?.subject ?? ''} ${f?.code}: ${f?.detail}`);
    }
    const facts = c.items.get(id);
    if (facts === undefined) fail('ERR_ITEM_NOT_FOUND', `no item ${id} in the bundle`);
    const m = c.manifest;
    if (ex.request !== undefined && m.request !== ex.request) fail('ERR_CONTEXT_MISMATCH', `bundle answers request ${m.request ?? '(none)'}, expected ${ex.request}`);
    if (ex.case !== undefined && m.case !== ex.case) fail('ERR_CONTEXT_MISMATCH', `bundle is for case ${m.case ?? '(none)'}, expected ${ex.case}`);
    const seal = facts.seal;
    if (seal !== undefined) {
      // The signed context must say what the caller expects.
      const differ = contextMismatches(seal.context, {
        ...(ex.request !== undefined ? { requestId: ex.request } : {}),
        ...(ex.purpose !== undefined ? { purpose: ex.purpose } : {}),
        ...(ex.case !== undefined ? { caseId: ex.case } : {}),
      });
      if (differ.length > 0) fail('ERR_CONTEXT_MISMATCH', `the sealed item differs from what was expected in: ${differ.join(', ')}`);
    } else if (ex.purpose !== undefined) {
      for (const p of facts.chain?.purposes ?? []) if (p !== ex.purpose) fail('ERR_CONTEXT_MISMATCH', `custody records purpose "${p}", expected "${ex.purpose}"`);
    }
    const want = seal?.sha256 ?? facts.chain?.sha256;
    const entry = c.ctx.archive.get(facts.ageFile.name);
    if (entry === undefined) fail('ERR_BUNDLE_MALFORMED', `${facts.ageFile.name} is missing`);
    const res = await itemPass(c.ctx.archive, entry, facts.ageFile, {
      decrypt: { identities: ids, output: out },
      ...(opts.hash !== undefined ? { hash: opts.hash } : {}),
      ...(opts.onBytes !== undefined ? { onBytes: opts.onBytes } : {}),
    });
    if (!reportPass(c.report, facts.ageFile.name, res) || res.plaintext === undefined) {
      throw new CustosError('ERR_DIGEST_MISMATCH', `item ${id}: the age file differs from the one the manifest signs`);
    }
    const p = res.plaintext;
    if (want !== undefined) {
      if (!equalBytes(p.sha256, want) || (seal !== undefined && p.size !== seal.size)) {
        c.report.failed('plaintext.digest', id, 'ERR_DIGEST_MISMATCH', 'the decrypted plaintext differs from the sealed SHA-256');
        throw new CustosError('ERR_DIGEST_MISMATCH', `item ${id}: plaintext SHA-256 differs from the ${seal !== undefined ? "seal's" : "custody chain's"}`);
      }
      c.report.pass('plaintext.digest', id, `plaintext SHA-256 ${toHex(p.sha256).slice(0, 16)}… (${p.size} bytes) matches the ${seal !== undefined ? 'seal and the chain' : 'custody chain'}`);
    }
    await out.commit();
    committed = true;
    return { report: finishReport(c, opts.policy), size: p.size, contextChecked: !none, ...(want !== undefined ? { sha256: toHex(want) } : {}) };
  } finally {
    if (!committed) await out.abort().catch(() => undefined);
  }
}

/**
 * A {@link PlaintextOutput} in memory, for small items and tests: `bytes()` is available after
 * a successful open (and throws before).
 *
 * @example
 * ```ts
 * const out = memoryOutput();
 * await openBundleItem(source, 'record', { trust, identities, output: out });
 * const record = out.bytes();
 * ```
 */
export function memoryOutput(maxBytes = 256 * 1024 * 1024): PlaintextOutput & { bytes(): Uint8Array } {
  let parts: Uint8Array[] = [];
  let n = 0;
  let state: 'open' | 'committed' | 'aborted' = 'open';
  return {
    async write(ps) {
      if (state !== 'open') fail('ERR_INVALID_ARGUMENT', 'output already committed or aborted');
      for (const p of ps) {
        n += p.length;
        if (n > maxBytes) fail('ERR_LIMIT', `plaintext is larger than ${maxBytes} bytes: use a file output`);
        parts.push(p);
      }
    },
    async commit() {
      state = 'committed';
    },
    async abort() {
      state = 'aborted';
      parts = [];
    },
    bytes() {
      if (state !== 'committed') fail('ERR_INVALID_ARGUMENT', 'no committed plaintext');
      const b = new Uint8Array(n);
      let o = 0;
      for (const p of parts) {
        b.set(p, o);
        o += p.length;
      }
      return b;
    },
  };
}
