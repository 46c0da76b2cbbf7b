/**
 * Opening one item of a bundle: verify what the item depends on (manifest signature, the item's
 * file digests, its seal and custody chain), then stream its plaintext. The SHA-256 of the
 * plaintext is checked against the digest the custody chain establishes when the stream ends;
 * a mismatch errors the stream, so a consumer that reads to the end never accepts wrong bytes.
 */
import * as crypto from '#crypto';
import { equalBytes, toHex } from '../bytes.js';
import { decodeManifest, MANIFEST_MAX_BYTES, MANIFEST_NAME } from '../bundle/manifest.js';
import type { BundleReport } from '../bundle/report.js';
import { decrypt } from '../envelope/decrypt.js';
import type { IdentityInput } from '../envelope/types.js';
import { CustosError, fail } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import { verifyChain } from '../custody/verify.js';
import { admitSeal } from '../seal/open.js';
import { decodeSeal } from '../seal/verify.js';
import type { BundlePolicy } from '../bundle/checks.js';
import { EVIDENCE_FILE_MAX_BYTES } from '../bundle/checks.js';
import { TarFile } from './bundle-fs.js';
import { verifyBundle } from './bundle.js';

/** What the caller expects the item to be for; a mismatch refuses to open (ERR_CONTEXT_MISMATCH). */
export interface OpenExpectation {
  /** The request id the bundle must answer. */
  readonly request?: string;
  /** The case id the bundle must belong to. */
  readonly case?: string;
  /** The purpose the seal's signed context states (without a seal: every custody event that states one). */
  readonly purpose?: string;
}

export interface OpenBundleItemOptions {
  readonly trust: TrustStore;
  readonly identities: IdentityInput | readonly IdentityInput[];
  readonly expect?: OpenExpectation;
  readonly policy?: BundlePolicy;
}

export interface OpenedBundleItem {
  /** The plaintext; errors at the end if its SHA-256 differs from the chain's digest. */
  readonly plaintext: ReadableStream<Uint8Array>;
  /** The verification report of the checks this item depends on (all passed). */
  readonly report: BundleReport;
  /** The plaintext SHA-256 the custody chain establishes (hex), if any. */
  readonly sha256?: string;
}

/**
 * Verifies one item and streams its plaintext.
 *
 * @example
 * ```ts
 * const { plaintext } = await openBundleItem('bundle.tar', 'disk', { trust, identities: [identity], expect: { request: 'AT-…' } });
 * for await (const chunk of plaintext) out.write(chunk);
 * ```
 */
export async function openBundleItem(path: string, id: string, opts: OpenBundleItemOptions): Promise<OpenedBundleItem> {
  const report = await verifyBundle(path, { trust: opts.trust, only: [id], ...(opts.policy !== undefined ? { policy: opts.policy } : {}) });
  if (!report.ok) {
    const f = report.checks.find((c) => !c.ok);
    if (f?.code === 'ERR_ITEM_NOT_FOUND') fail('ERR_ITEM_NOT_FOUND', `no item ${id} in the bundle`);
    throw new CustosError('ERR_VERIFICATION_FAILED', `item ${id} does not verify: ${f?.check} ${f?.subject ?? ''} ${f?.code}: ${f?.detail}`);
  }
  const tar = await TarFile.open(path);
  let handedOver = false;
  try {
    const { manifest } = decodeManifest(await tar.readAll(MANIFEST_NAME, MANIFEST_MAX_BYTES));
    const item = manifest.items.find((i) => i.id === id);
    if (item === undefined) fail('ERR_ITEM_NOT_FOUND', `no item ${id} in the bundle`);
    const ex = opts.expect ?? {};
    if (ex.request !== undefined && manifest.request !== ex.request) {
      fail('ERR_CONTEXT_MISMATCH', `bundle answers request ${manifest.request ?? '(none)'}, expected ${ex.request}`);
    }
    if (ex.case !== undefined && manifest.case !== ex.case) fail('ERR_CONTEXT_MISMATCH', `bundle is for case ${manifest.case ?? '(none)'}, expected ${ex.case}`);
    let sha: Uint8Array | undefined;
    if (item.custody !== undefined) {
      const chain = verifyChain(await tar.readAll(item.custody, EVIDENCE_FILE_MAX_BYTES), opts.trust, { allowPendingTransfer: true });
      sha = chain.digests?.['sha-256'];
      if (ex.purpose !== undefined && item.seal === undefined) {
        const { splitChain, openCustodyEvent } = await import('../custody/chain.js');
        for (const e of splitChain(await tar.readAll(item.custody, EVIDENCE_FILE_MAX_BYTES)).events) {
          const p = openCustodyEvent(e).event.purpose;
          if (p !== undefined && p !== ex.purpose) fail('ERR_CONTEXT_MISMATCH', `custody records purpose "${p}", expected "${ex.purpose}"`);
        }
      }
    }
    if (item.seal !== undefined) {
      const seal = await tar.readAll(item.seal, EVIDENCE_FILE_MAX_BYTES);
      const want = {
        ...(ex.request !== undefined ? { requestId: ex.request } : {}),
        ...(ex.purpose !== undefined ? { purpose: ex.purpose } : {}),
        ...(ex.case !== undefined ? { caseId: ex.case } : {}),
      };
      // The signed context must say what the caller expects (ERR_CONTEXT_MISMATCH otherwise).
      const m = Object.keys(want).length > 0 ? admitSeal(seal, { identities: opts.identities, expect: want, trust: opts.trust }) : decodeSeal(seal).manifest;
      if (sha !== undefined && !equalBytes(sha, m.sha256)) fail('ERR_DIGEST_MISMATCH', 'the seal and the custody chain name different digests');
      sha = m.sha256;
    }
    const entry = tar.get(item.item)!;
    const source = tar.stream(entry);
    let closed = false;
    // The archive is released when the plaintext ends, fails or is cancelled, whichever comes first.
    const closeTar = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await tar.close();
    };
    const cipher = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await source.next();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      async cancel() {
        await source.return(undefined);
      },
    });
    const reader = (await decrypt(cipher, opts.identities)).getReader();
    const h = crypto.createSha256();
    // Hash on the way through and check at the end: the last read reports a mismatch as an error.
    const checked = new ReadableStream<Uint8Array>({
      async pull(c) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          await closeTar();
          throw e;
        }
        if (!r.done) {
          h.update(r.value);
          c.enqueue(r.value);
          return;
        }
        await closeTar();
        if (sha !== undefined && !equalBytes(h.digest(), sha)) {
          c.error(new CustosError('ERR_DIGEST_MISMATCH', `item ${id}: plaintext SHA-256 differs from the custody chain's`));
        } else c.close();
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => undefined);
        await closeTar();
      },
    });
    handedOver = true;
    return { plaintext: checked, report, ...(sha !== undefined ? { sha256: toHex(sha) } : {}) };
  } finally {
    if (!handedOver) await tar.close();
  }
}
