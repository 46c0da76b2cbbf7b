/**
 * Evidence bundles on disk: {@link createBundle} writes one POSIX tar file, streaming each
 * encrypted item from disk once; {@link verifyBundle} checks it without any decryption key.
 *
 * Layout (see also DESIGN.md): `items/<id>.age`, `seals/<id>.cose`, `custody/<id>.cbor`,
 * `records/<id>.cbor`, `receipts/<id>/<name>`, `checkpoints/<name>`, and `manifest.cose` last,
 * because it signs the SHA-256 of every other file, computed while they stream through.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { toBase64Url } from '../bytes.js';
import { equalBytes } from '../bytes.js';
import * as crypto from '#crypto';
import { verifySign1 } from '../cose/sign1.js';
import { parseHeader } from '../envelope/header.js';
import { CustosError, fail, type ErrorCode } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import type { TrustStore } from '../keys/trust.js';
import { decodeManifest, ITEM_ID, MANIFEST_MAX_BYTES, MANIFEST_NAME, signManifest, type BundleManifest } from '../bundle/manifest.js';
import { ReportBuilder, type BundleReport } from '../bundle/report.js';
import { AtomicFile, TarFile, TarWriter, type ByteSink } from './bundle-fs.js';
import { OffThreadSha256 } from './hash-worker.js';
import { runItemChecks, runLogChecks, type BundlePolicy } from '../bundle/checks.js';
import { runReceiptChecks } from '../bundle/receipts.js';

/** One item to put in a bundle: its age file (a path, streamed, or bytes) and its evidence files. */
export interface BundleItemInput {
  readonly id: string;
  /** The age-encrypted item: a file path (streamed, read once) or the bytes. */
  readonly encrypted: string | Uint8Array;
  /** The seal (COSE_Sign1) over the item. */
  readonly seal?: Uint8Array;
  /** The custody chain: a CBOR sequence of signed events. */
  readonly custody?: Uint8Array;
  /** A redacted presentation of the item's structured record. */
  readonly record?: Uint8Array;
  /** Receipts for the item's log entries, by file name (e.g. `sealed.receipt.cose`, `sealed.tlog-proof`). */
  readonly receipts?: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  /** What `record` is bound to (audience, request, purpose, nonce), for the verifier. */
  readonly binding?: { readonly audience: string; readonly requestId: string; readonly purpose: string; readonly nonce: string };
  readonly mediaType?: string;
  readonly size?: number;
}

export interface CreateBundleOptions {
  readonly signer: Signer;
  /** The issuing authority's id, as in the verifier's trust store. */
  readonly issuer: string;
  readonly items: readonly BundleItemInput[];
  /** Signed checkpoints (C2SP tlog-checkpoint text with cosignatures), by file name. */
  readonly checkpoints?: readonly { readonly name: string; readonly text: string }[];
  /**
   * RFC 9942 consistency receipts from older tree sizes to the newest checkpoint, named
   * `consistency-<oldSize>.receipt.cose`: they let item receipts made against older
   * checkpoints be checked against the newest one.
   */
  readonly consistency?: readonly { readonly oldSize: number; readonly receipt: Uint8Array }[];
  readonly case?: string;
  readonly request?: string;
  /** Creation time (default now). */
  readonly created?: Date;
  /** Called with byte counts as item data streams through (for progress bars). */
  readonly onBytes?: (n: number) => void;
}

/** An age header is read whole before its payload is hashed: bound what that costs. */
const AGE_HEADER_MAX = 1024 * 1024;
/** Items at least this large get their payload hashed on a worker thread. */
const OFF_THREAD_MIN = 16 * 1024 * 1024;

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Writes a bundle to `out` (a path, written atomically, or any {@link ByteSink}) and returns
 * its manifest. Memory stays constant whatever the item sizes.
 *
 * @example
 * ```ts
 * await createBundle('bundle.tar', { signer, issuer: 'DE-BKA', items: [{ id: 'disk', encrypted: 'disk.age', seal }] });
 * ```
 */
export async function createBundle(out: string | ByteSink, opts: CreateBundleOptions): Promise<BundleManifest> {
  const created = (opts.created ?? new Date()).toISOString();
  const ids = new Set<string>();
  for (const it of opts.items) {
    if (!ITEM_ID.test(it.id)) fail('ERR_INVALID_ARGUMENT', `item id ${JSON.stringify(it.id)} must match ${ITEM_ID}`);
    if (ids.has(it.id)) fail('ERR_INVALID_ARGUMENT', `item id ${it.id} is given twice`);
    ids.add(it.id);
    for (const r of it.receipts ?? []) if (!SAFE_NAME.test(r.name)) fail('ERR_INVALID_ARGUMENT', `receipt name ${JSON.stringify(r.name)} is not safe`);
  }
  for (const c of opts.checkpoints ?? []) if (!SAFE_NAME.test(c.name)) fail('ERR_INVALID_ARGUMENT', `checkpoint name ${JSON.stringify(c.name)} is not safe`);
  const sink = typeof out === 'string' ? await AtomicFile.create(out) : out;
  try {
    const tar = new TarWriter(sink, { mtime: Math.floor(Date.parse(created) / 1000) });
    const files: [string, number, Uint8Array][] = [];
    const add = async (name: string, bytes: Uint8Array): Promise<string> => {
      files.push([name, bytes.length, await tar.addBytes(name, bytes)]);
      return name;
    };
    const items: BundleManifest['items'][number][] = [];
    for (const it of opts.items) {
      const itemName = `items/${it.id}.age`;
      if (typeof it.encrypted === 'string') {
        const { size } = await stat(it.encrypted);
        const digest = await tar.addStream(itemName, size, createReadStream(it.encrypted, { highWaterMark: 1024 * 1024 }), opts.onBytes);
        files.push([itemName, size, digest]);
      } else {
        await add(itemName, it.encrypted);
      }
      const receipts: string[] = [];
      for (const r of it.receipts ?? []) receipts.push(await add(`receipts/${it.id}/${r.name}`, r.bytes));
      items.push({
        id: it.id,
        item: itemName,
        ...(it.seal !== undefined ? { seal: await add(`seals/${it.id}.cose`, it.seal) } : {}),
        ...(it.custody !== undefined ? { custody: await add(`custody/${it.id}.cbor`, it.custody) } : {}),
        ...(it.record !== undefined ? { record: await add(`records/${it.id}.cbor`, it.record) } : {}),
        ...(receipts.length > 0 ? { receipts } : {}),
        ...(it.binding !== undefined ? { binding: { ...it.binding } } : {}),
        ...(it.mediaType !== undefined ? { mediaType: it.mediaType } : {}),
        ...(it.size !== undefined ? { size: it.size } : {}),
      });
    }
    const checkpoints: string[] = [];
    for (const c of opts.checkpoints ?? []) checkpoints.push(await add(`checkpoints/${c.name}`, new TextEncoder().encode(c.text)));
    for (const c of opts.consistency ?? []) {
      if (!Number.isSafeInteger(c.oldSize) || c.oldSize < 1) fail('ERR_INVALID_ARGUMENT', '"consistency.oldSize" must be a positive integer');
      checkpoints.push(await add(`checkpoints/consistency-${c.oldSize}.receipt.cose`, c.receipt));
    }
    files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const manifest: BundleManifest = {
      v: 1,
      type: 'custos-bundle',
      created,
      issuer: opts.issuer,
      ...(opts.case !== undefined ? { case: opts.case } : {}),
      ...(opts.request !== undefined ? { request: opts.request } : {}),
      files,
      items,
      ...(checkpoints.length > 0 ? { checkpoints } : {}),
    };
    await tar.addBytes(MANIFEST_NAME, await signManifest(manifest, opts.signer));
    await tar.finish();
    if (sink instanceof AtomicFile) await sink.commit();
    return manifest;
  } catch (e) {
    if (sink instanceof AtomicFile) await sink.abort();
    throw e;
  }
}

export interface VerifyBundleOptions {
  readonly trust: TrustStore;
  readonly policy?: BundlePolicy;
  /** Called with byte counts while file digests are computed (for progress bars). */
  readonly onBytes?: (n: number) => void;
  /** Verify only these items' files and checks (the manifest and the log checks always run). */
  readonly only?: readonly string[];
}

function codeOf(e: unknown): ErrorCode {
  return e instanceof CustosError ? e.code : 'ERR_IO';
}

/**
 * Verifies a bundle with nothing but the trust store: the tar structure, the manifest signature
 * (a trusted key, valid when the manifest says it was made), that the files present are exactly
 * the files signed and each has its signed SHA-256, then each item's seal, custody chain,
 * record and receipts, and the checkpoints (log signature, consistency, witness quorum).
 * Never throws for a bad bundle: every problem is a failed check in the report.
 *
 * @example
 * ```ts
 * const report = await verifyBundle('bundle.tar', { trust });
 * if (!report.ok) for (const c of report.checks) if (!c.ok) console.log(c.check, c.subject, c.code);
 * ```
 */
export async function verifyBundle(path: string, opts: VerifyBundleOptions): Promise<BundleReport> {
  const r = new ReportBuilder();
  let tar: TarFile;
  try {
    tar = await TarFile.open(path);
  } catch (e) {
    r.failed('tar', path, codeOf(e), (e as Error).message);
    return { ok: false, checks: r.checks, skipped: r.skipped };
  }
  try {
    r.pass('tar', undefined, `${tar.entries.length} entries, POSIX pax, strict`);
    let manifest: BundleManifest;
    let signerName: string | undefined;
    try {
      const bytes = await tar.readAll(MANIFEST_NAME, MANIFEST_MAX_BYTES);
      const d = decodeManifest(bytes);
      manifest = d.manifest;
      const kid = d.sign1.kid;
      const hit = kid === undefined ? undefined : opts.trust.lookup(kid, manifest.created);
      if (kid === undefined) r.failed('manifest.signature', MANIFEST_NAME, 'ERR_KEY_UNKNOWN', 'manifest has no kid');
      else if (!hit!.ok) r.failed('manifest.signature', MANIFEST_NAME, hit!.code, `${hit!.reason} (kid ${toBase64Url(kid).slice(0, 12)}…)`);
      else if (hit!.authority.id !== manifest.issuer) {
        r.failed('manifest.signature', MANIFEST_NAME, 'ERR_SIGNATURE_INVALID', `signed by ${hit!.authority.id}, but names issuer ${manifest.issuer}`);
      } else if (!verifySign1(d.sign1, hit!.key)) {
        r.failed('manifest.signature', MANIFEST_NAME, 'ERR_SIGNATURE_INVALID', 'signature does not verify');
      } else {
        signerName = `${hit!.authority.name} (${hit!.authority.id})`;
        r.pass('manifest.signature', MANIFEST_NAME, `signed by ${signerName} at ${manifest.created}`);
      }
    } catch (e) {
      r.failed('manifest', MANIFEST_NAME, codeOf(e), (e as Error).message);
      return { ok: false, checks: r.checks, skipped: r.skipped };
    }
    const only = opts.only === undefined ? undefined : new Set(opts.only);
    const wanted = (name: string): boolean => {
      if (only === undefined) return true;
      if (name.startsWith('checkpoints/')) return true;
      return manifest.items.some((it) => only.has(it.id) && [it.item, it.seal, it.custody, it.record, ...(it.receipts ?? [])].includes(name));
    };
    // The files present must be exactly the files signed: nothing added, nothing missing.
    const listed = new Map(manifest.files.map(([n, s, h]) => [n, { size: s, sha256: h }]));
    const present = tar.entries.filter((e) => e.name !== MANIFEST_NAME);
    const extra = present.filter((e) => !listed.has(e.name)).map((e) => e.name);
    const missing = [...listed.keys()].filter((n) => tar.get(n) === undefined);
    if (extra.length > 0 || missing.length > 0) {
      r.failed('manifest.files', undefined, 'ERR_BUNDLE_MALFORMED', `unsigned files: [${extra.join(', ')}]; missing files: [${missing.join(', ')}]`);
    } else r.pass('manifest.files', undefined, `${present.length} files, exactly those signed`);
    const good = new Set<string>();
    const ctx = { tar, manifest, trust: opts.trust, policy: opts.policy ?? {}, report: r, good, facts: new Map<string, unknown>() };
    for (const e of present) {
      const want = listed.get(e.name);
      if (want === undefined || !wanted(e.name)) continue;
      if (want.size !== e.size) {
        r.failed('file.digest', e.name, 'ERR_DIGEST_MISMATCH', `size ${e.size}, signed ${want.size}`);
        continue;
      }
      const h = crypto.createSha256();
      // For an age item, the SHA-256 of its payload section (what a seal signs) in the same pass.
      const isItem = manifest.items.some((it) => it.item === e.name);
      let payloadOffset = -1;
      if (isItem) {
        try {
          payloadOffset = parseHeader(await tar.readPart(e, 0, AGE_HEADER_MAX)).payloadOffset;
        } catch {
          payloadOffset = -1; // reported by the seal check: the payload cannot be located
        }
      }
      // A large item's payload is hashed on the second core while this thread hashes the file.
      const offThread = payloadOffset >= 0 && e.size >= OFF_THREAD_MIN ? OffThreadSha256.start() : undefined;
      const ph = offThread ?? crypto.createSha256();
      let pos = 0;
      try {
        for await (const c of tar.stream(e)) {
          h.update(c);
          if (payloadOffset >= 0 && pos + c.length > payloadOffset) ph.update(pos >= payloadOffset ? c : c.subarray(payloadOffset - pos));
          pos += c.length;
          opts.onBytes?.(c.length);
        }
      } catch (err) {
        await offThread?.abort();
        throw err;
      }
      if (payloadOffset >= 0) ctx.facts.set(`payload:${e.name}`, { sha256: await ph.digest(), size: e.size - payloadOffset });
      if (equalBytes(h.digest(), want.sha256)) {
        good.add(e.name);
        r.pass('file.digest', e.name, `SHA-256 matches (${e.size} bytes)`);
      } else r.failed('file.digest', e.name, 'ERR_DIGEST_MISMATCH', 'SHA-256 differs from the signed digest');
    }
    const newest = await runLogChecks(ctx);
    for (const it of manifest.items) {
      if (only !== undefined && !only.has(it.id)) continue;
      await runItemChecks(ctx, it);
      await runReceiptChecks(ctx, it, newest);
    }
    if (only !== undefined) for (const id of only) if (!manifest.items.some((it) => it.id === id)) r.failed('item', id, 'ERR_ITEM_NOT_FOUND', 'no such item');
    return {
      ok: r.ok,
      checks: r.checks,
      skipped: r.skipped,
      manifest: {
        created: manifest.created,
        issuer: manifest.issuer,
        ...(signerName !== undefined ? { signer: signerName } : {}),
        ...(manifest.case !== undefined ? { case: manifest.case } : {}),
        ...(manifest.request !== undefined ? { request: manifest.request } : {}),
        items: manifest.items.map((it) => ({ id: it.id, ...(it.size !== undefined ? { size: it.size } : {}), ...(it.mediaType !== undefined ? { mediaType: it.mediaType } : {}) })),
      },
    };
  } finally {
    await tar.close();
  }
}
