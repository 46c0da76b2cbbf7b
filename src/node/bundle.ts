/**
 * The bundle flows on Node: the flows themselves live in src/bundle/ (create, verify, open,
 * inspect over a {@link BundleSource}); this module only adapts files to them. A path is opened
 * once and that one handle serves the whole flow; outputs are atomic files; large items have
 * their payload hashed on a worker thread while this thread reads (and decrypts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createBundle as writeBundle, type BundleItemInput as CoreItemInput, type CreateBundleOptions } from '../bundle/create.js';
import { inspectBundle as inspectSource, type BundleInfo } from '../bundle/inspect.js';
import { inlineHash, type PassHashFactory, type PlaintextOutput } from '../bundle/itempass.js';
import type { BundleManifest } from '../bundle/manifest.js';
import { openBundleItem as openSource, type OpenBundleItemOptions as CoreOpenOptions, type OpenedBundleItem } from '../bundle/open.js';
import type { BundleReport } from '../bundle/report.js';
import type { BundleSource } from '../bundle/source.js';
import { verifyBundle as verifySource, type VerifyBundleOptions } from '../bundle/verify.js';
import { CustosError } from '../errors.js';
import { AtomicFile, openBundleFile, type ByteSink } from './bundle-fs.js';
import { AtomicWriter } from './files.js';
import { OffThreadSha256 } from './hash-worker.js';

/** An item for {@link createBundle}: as in the core, and the age file may be a path (streamed once). */
export type BundleItemInput = Omit<CoreItemInput, 'encrypted'> & { readonly encrypted: CoreItemInput['encrypted'] | string };

export type { CreateBundleOptions, VerifyBundleOptions };

/** Items at least this large get their payload hashed on a worker thread. */
const OFF_THREAD_MIN = 16 * 1024 * 1024;

/** Payload hashes of large items on the second core (the reading thread decrypts or copies). */
export const nodePassHash: PassHashFactory = (size) => (size >= OFF_THREAD_MIN ? OffThreadSha256.start() : inlineHash(size));

/** Runs `body` on a source: the path opened once (and closed after), or the caller's source. */
async function withSource<T>(input: string | BundleSource, body: (s: BundleSource) => Promise<T>): Promise<T> {
  if (typeof input !== 'string') return body(input);
  const src = await openBundleFile(input);
  try {
    return await body(src);
  } finally {
    await src.close();
  }
}

/**
 * Writes a bundle to `out` (a path, written atomically, or any {@link ByteSink}) and returns
 * its manifest. Each item is streamed once; memory stays constant whatever the item sizes.
 *
 * @example
 * ```ts
 * await createBundle('bundle.tar', { signer, issuer: 'DE-BKA', items: [{ id: 'disk', encrypted: 'disk.age', seal }] });
 * ```
 */
export async function createBundle(out: string | ByteSink, opts: CreateBundleOptions<BundleItemInput>, file: { readonly noReplace?: boolean } = {}): Promise<BundleManifest> {
  const items: CoreItemInput[] = [];
  for (const it of opts.items) {
    if (typeof it.encrypted !== 'string') {
      items.push(it as CoreItemInput);
      continue;
    }
    const path = it.encrypted;
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
    }
    items.push({ ...it, encrypted: { size, stream: () => createReadStream(path, { highWaterMark: 1024 * 1024 }) } });
  }
  const sink = typeof out === 'string' ? await AtomicFile.create(out, 0o644, file) : out;
  try {
    const m = await writeBundle(sink, { ...opts, items });
    if (sink instanceof AtomicFile) await sink.commit();
    return m;
  } catch (e) {
    if (sink instanceof AtomicFile) await sink.abort();
    throw e;
  }
}

/**
 * Verifies a bundle file (or any source) with nothing but the trust store; see the core
 * `verifyBundle`. Never throws for a bad bundle: `report.readable` is false when the input is
 * not a readable bundle (missing file, not a tar, no manifest).
 *
 * @example
 * ```ts
 * const report = await verifyBundle('bundle.tar', { trust });
 * if (!report.ok) for (const c of report.checks) if (!c.ok) console.log(c.check, c.subject, c.code);
 * ```
 */
export async function verifyBundle(input: string | BundleSource, opts: VerifyBundleOptions): Promise<BundleReport> {
  let src: BundleSource;
  let close: (() => Promise<void>) | undefined;
  if (typeof input === 'string') {
    try {
      const f = await openBundleFile(input);
      src = f;
      close = () => f.close();
    } catch (e) {
      const code = e instanceof CustosError ? e.code : 'ERR_IO';
      return { ok: false, readable: false, checks: [{ check: 'tar', subject: input, ok: false, code, detail: (e as Error).message }], skipped: [], waived: [], notChecked: [] };
    }
  } else src = input;
  try {
    return await verifySource(src, { hash: nodePassHash, ...opts });
  } finally {
    await close?.();
  }
}

export interface OpenBundleItemOptions extends Omit<CoreOpenOptions, 'output'> {
  /** Where the plaintext goes: a path (an atomic file: it appears only after every check passed) or any output. */
  readonly output: string | PlaintextOutput;
  /** Permission bits of an output file (default 0600). */
  readonly mode?: number;
  /** Refuse to replace an existing output file (ERR_EXISTS, atomic at the commit; default false). */
  readonly noReplace?: boolean;
}

/**
 * Verifies one item of a bundle and decrypts it, in one pass over one handle, to an output that
 * is committed only when every check has passed.
 *
 * @example
 * ```ts
 * await openBundleItem('bundle.tar', 'disk', { trust, identities: [identity], output: 'disk.img', expect: { request: 'AT-…', purpose: 'investigation' } });
 * ```
 */
export async function openBundleItem(input: string | BundleSource, id: string, opts: OpenBundleItemOptions): Promise<OpenedBundleItem> {
  return withSource(input, async (src) => {
    const { output, mode, noReplace, ...rest } = opts;
    const out = typeof output === 'string' ? await AtomicWriter.create(output, mode ?? 0o600, { noReplace: noReplace === true }) : output;
    return openSource(src, id, { hash: nodePassHash, ...rest, output: out });
  });
}

/**
 * Describes a bundle without verifying it.
 *
 * @example
 * ```ts
 * const info = await inspectBundle('bundle.tar');
 * ```
 */
export async function inspectBundle(input: string | BundleSource): Promise<BundleInfo> {
  return withSource(input, inspectSource);
}

export type { BundleInfo, OpenedBundleItem };
