/**
 * Verifying a bundle with nothing but the trust store, over one {@link BundleSource}: the tar
 * structure, the manifest signature (a trusted key of the issuer it names, valid when the
 * manifest says it was made), that the members present are exactly the members signed, then
 * the checkpoints, each item's seal, custody chain (with its receipts) and record, each distinct
 * member once, and last one streaming pass over each item's age file against the digests the
 * manifest signs. A failed manifest signature stops there: every later check would only compare
 * the bundle with the attacker's own digests.
 */
import { toBase64Url } from '../bytes.js';
import { HEADER } from '../cose/sign1.js';
import type { TrustStore } from '../keys/trust.js';
import { verifySignedBy } from '../keys/verify-signed.js';
import { BundleArchive } from './archive.js';
import { codeOf, readMember, type BundlePolicy, type CheckContext } from './context.js';
import { runMemberChecks } from './checks.js';
import type { ItemFacts } from './facts.js';
import { itemPass, type PassHashFactory } from './itempass.js';
import { runLogChecks } from './logchecks.js';
import { decodeManifest, MANIFEST_MAX_BYTES, MANIFEST_NAME, signedMembers, type BundleManifest } from './manifest.js';
import { waiversOf } from './policy.js';
import { ReportBuilder, type BundleReport } from './report.js';
import type { BundleSource } from './source.js';
import { tarMtime } from './tar.js';
import { unloggedRevoked } from './timeanchor.js';

export interface VerifyBundleOptions {
  readonly trust: TrustStore;
  readonly policy?: BundlePolicy;
  /** Called with byte counts while item digests are computed (for progress bars). */
  readonly onBytes?: (n: number) => void;
  /** Verify only these items' files and checks (the manifest and the log checks always run). */
  readonly only?: readonly string[];
  /** How the payload hash of an item pass is computed (custos/node hashes large items on a worker). */
  readonly hash?: PassHashFactory;
  /**
   * The newest checkpoint (note text) of a log the verifier already trusts: the bundle's view of
   * that log must be consistent with it and not older (a rollback or a fork fails).
   */
  readonly knownCheckpoint?: string;
}

/** The state after the checks of the small members: what `openBundleItem` continues from. */
export interface CheckedBundle {
  readonly report: ReportBuilder;
  readonly readable: boolean;
  readonly manifest?: BundleManifest;
  readonly signer?: string;
  readonly ctx?: CheckContext;
  /** Facts of the checked items, by id. */
  readonly items: ReadonlyMap<string, ItemFacts>;
}

/** Everything but the item passes; never throws for a bad bundle (I/O errors of the source do). */
export async function checkBundleMembers(source: BundleSource, opts: VerifyBundleOptions): Promise<CheckedBundle> {
  waiversOf(opts.policy ?? {}); // an unknown waiver name is a caller error (ERR_INVALID_ARGUMENT), before any work
  const r = new ReportBuilder();
  const none = new Map<string, ItemFacts>();
  let archive: BundleArchive;
  try {
    archive = await BundleArchive.open(source);
  } catch (e) {
    r.failed('tar', undefined, codeOf(e, 'ERR_IO'), (e as Error).message);
    return { report: r, readable: false, items: none };
  }
  r.pass('tar', undefined, `${archive.entries.length} entries, POSIX pax, strict`);
  if (archive.get(MANIFEST_NAME) === undefined) {
    r.failed('manifest', MANIFEST_NAME, 'ERR_BUNDLE_MALFORMED', 'the archive has no manifest.cose: not a custos bundle');
    return { report: r, readable: false, items: none };
  }
  let manifest: BundleManifest;
  let signer: string | undefined;
  try {
    const d = decodeManifest(await archive.read(MANIFEST_NAME, MANIFEST_MAX_BYTES));
    manifest = d.manifest;
    // a manifest signed by a key with any revokedAt fails (attack 1: its date is the signer's
    // word, and nothing logs the manifest)
    const signed = verifySignedBy(d.sign1, opts.trust, { at: manifest.created, authority: manifest.issuer, revocation: 'any' });
    const kid = d.sign1.protectedHeaders.get(HEADER.kid);
    if (!signed.ok) {
      const why =
        signed.step === 'kid' ? 'manifest has no kid'
        : signed.step === 'key' ? `${signed.reason} (kid ${kid instanceof Uint8Array ? toBase64Url(kid).slice(0, 12) : ''}…)`
        : signed.step === 'authority' ? `signed by ${signed.signer.authority.id}, but names issuer ${manifest.issuer}`
        : signed.step === 'revoked' ? unloggedRevoked('the manifest', signed.signer.key.revokedAt!)
        : signed.code === 'ERR_SIGNATURE_INVALID' ? 'signature does not verify' : signed.reason;
      r.failed('manifest.signature', MANIFEST_NAME, signed.code, why);
    } else {
      signer = `${signed.authority.name} (${signed.authority.id})`;
      r.pass('manifest.signature', MANIFEST_NAME, `signed by ${signer} at ${manifest.created}`);
    }
  } catch (e) {
    r.failed('manifest', MANIFEST_NAME, codeOf(e), (e as Error).message);
    return { report: r, readable: true, items: none };
  }
  const only = opts.only === undefined ? undefined : new Set(opts.only);
  const wanted = manifest.items.filter((it) => only === undefined || only.has(it.id));
  if (signer === undefined) {
    // Stop: the member digests, seals and chains could only be compared with what the unknown
    // signer chose. Listed as one failed check, so the report says what was not verified.
    r.failed('members', undefined, 'ERR_SIGNATURE_INVALID', `not checked: ${manifest.files.length} files of ${wanted.length} items, because the manifest signature did not verify`);
    return { report: r, readable: true, manifest, items: none };
  }
  // The tar reader admits one mtime per archive; the signed manifest's time must be it, so
  // header times are covered too (issue 17, item 8).
  const stamped = archive.entries.find((e) => e.mtime !== tarMtime(manifest.created));
  if (stamped !== undefined) r.failed('tar.mtime', stamped.name, 'ERR_TAR_METADATA', `header mtime ${stamped.mtime}, the manifest was created ${manifest.created}`);
  else r.pass('tar.mtime', undefined, `every header dated ${manifest.created} (to the second)`);
  const members = signedMembers(manifest);
  // The files present must be exactly the files signed: nothing added, nothing missing.
  const present = archive.entries.filter((e) => e.name !== MANIFEST_NAME);
  const extra = present.filter((e) => !members.has(e.name)).map((e) => e.name);
  const missing = [...members.keys()].filter((n) => archive.get(n) === undefined);
  const resized = present.filter((e) => members.has(e.name) && members.get(e.name)!.size !== e.size).map((e) => e.name);
  if (extra.length > 0 || missing.length > 0 || resized.length > 0) {
    r.failed('manifest.files', undefined, 'ERR_BUNDLE_MALFORMED', `unsigned files: [${extra.join(', ')}]; missing files: [${missing.join(', ')}]; sizes differ: [${resized.join(', ')}]`);
  } else r.pass('manifest.files', undefined, `${present.length} files, exactly those signed`);
  const ctx: CheckContext = { archive, manifest, members, trust: opts.trust, policy: opts.policy ?? {}, report: r, digests: new Map() };
  const items = new Map<string, ItemFacts>();
  for (const it of wanted) {
    const a = members.get(it.item);
    if (a?.kind !== 'age') continue; // decodeManifest refuses this
    items.set(it.id, { item: it, ageFile: a });
  }
  const newest = await runLogChecks(ctx, opts.knownCheckpoint);
  await runMemberChecks(ctx, [...items.values()], newest);
  if (only !== undefined) {
    for (const id of only) if (!items.has(id)) r.failed('item', id, 'ERR_ITEM_NOT_FOUND', 'no such item');
  } else {
    // Whatever no check used is still covered by the manifest: a member nobody reads must match too.
    for (const [name, m] of members) if (m.kind === 'file' && !ctx.digests.has(name) && archive.get(name) !== undefined) await readMember(ctx, 'member', name, name);
  }
  return { report: r, readable: true, manifest, ...(signer !== undefined ? { signer } : {}), ctx, items };
}

/** The report of a verification (whatever stage it reached). */
export function finishReport(c: CheckedBundle, policy: BundlePolicy = {}): BundleReport {
  const m = c.manifest;
  const notChecked = m === undefined ? [] : m.items.map((it) => it.id).filter((id) => !c.items.has(id));
  return {
    ok: c.readable && c.report.ok,
    readable: c.readable,
    checks: c.report.checks,
    skipped: c.report.skipped,
    waived: waiversOf(policy),
    notChecked,
    ...(m !== undefined
      ? {
          manifest: {
            created: m.created,
            issuer: m.issuer,
            ...(c.signer !== undefined ? { signer: c.signer } : {}),
            ...(m.case !== undefined ? { case: m.case } : {}),
            ...(m.request !== undefined ? { request: m.request } : {}),
            items: m.items.map((it) => ({ id: it.id, ...(it.size !== undefined ? { size: it.size } : {}), ...(it.mediaType !== undefined ? { mediaType: it.mediaType } : {}) })),
          },
        }
      : {}),
  };
}

/** Records the verdict of one item pass over `name`. */
export function reportPass(r: ReportBuilder, name: string, res: Awaited<ReturnType<typeof itemPass>>): boolean {
  if (!res.headerOk) r.failed('file.digest', name, 'ERR_DIGEST_MISMATCH', 'the age header differs from the signed one');
  else if (!res.headerParses) r.failed('file.digest', name, 'ERR_AGE_HEADER', 'the signed age header does not parse or does not end where the manifest says');
  else if (res.payloadOk !== true) r.failed('file.digest', name, 'ERR_DIGEST_MISMATCH', 'the age payload differs from the signed SHA-256');
  else {
    r.pass('file.digest', name, 'age header and payload match the signed SHA-256 digests (one pass)');
    return true;
  }
  return false;
}

/**
 * Verifies a bundle. Never throws for a bad bundle: every problem is a failed check in the
 * report (an I/O error of the source itself is thrown, ERR_IO).
 *
 * @example
 * ```ts
 * const report = await verifyBundle(bytesSource(bundle), { trust });
 * if (!report.ok) for (const c of report.checks) if (!c.ok) console.log(c.check, c.subject, c.code);
 * ```
 */
export async function verifyBundle(source: BundleSource, opts: VerifyBundleOptions): Promise<BundleReport> {
  const c = await checkBundleMembers(source, opts);
  if (c.ctx !== undefined) {
    const done = new Set<string>();
    for (const f of c.items.values()) {
      const name = f.ageFile.name;
      if (done.has(name)) continue; // one pass per distinct age member
      done.add(name);
      const entry = c.ctx.archive.get(name);
      if (entry === undefined) {
        c.report.failed('file.digest', name, 'ERR_BUNDLE_MALFORMED', 'missing from the archive');
        continue;
      }
      reportPass(c.report, name, await itemPass(c.ctx.archive, entry, f.ageFile, { ...(opts.hash !== undefined ? { hash: opts.hash } : {}), ...(opts.onBytes !== undefined ? { onBytes: opts.onBytes } : {}) }));
    }
  }
  return finishReport(c, opts.policy);
}
