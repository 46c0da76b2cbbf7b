/**
 * Writing a bundle to any {@link ByteSink}: one POSIX tar with `items/<id>.age`,
 * `seals/<id>.cose`, `custody/<id>.cbor`, `records/<id>.cbor`, `receipts/<id>/<name>`,
 * `checkpoints/<name>`, and `manifest.cose` last, because it signs the digests of every other
 * member, computed while they stream through. Each item is read once; for its age file the
 * manifest signs the header's and the payload section's SHA-256 (see manifest.ts).
 */
import * as crypto from '#crypto';
import { HeaderReader } from '../envelope/header.js';
import { CustosError, fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import { AGE_HEADER_MAX, ITEM_ID, MANIFEST_NAME, signManifest, type BundleManifest } from './manifest.js';
import { checkpointMember, consistencyMember, isItemId, custodyMember, itemMember, receiptMember, recordMember, sealMember } from './naming.js';
import { tarMtime } from './tar.js';
import { TarWriter, type ByteSink } from './tarwriter.js';

/** An item's age file, streamed once: its exact size and its bytes. */
export interface ItemStream {
  readonly size: number;
  readonly stream: () => AsyncIterable<Uint8Array>;
}

/** One item to put in a bundle: its age file and its evidence files. */
export interface BundleItemInput {
  readonly id: string;
  /** The age-encrypted item: bytes, or a stream of known size (custos/node also takes a file path). */
  readonly encrypted: Uint8Array | ItemStream;
  /**
   * The seal (COSE_Sign1) over the item; or a function called once the item has streamed into
   * the archive (an item sealed on the way in: its seal exists only after its last byte).
   */
  readonly seal?: Uint8Array | (() => Promise<Uint8Array>);
  /** The custody chain: a CBOR sequence of signed events. */
  readonly custody?: Uint8Array;
  /** A redacted presentation of the item's structured record. */
  readonly record?: Uint8Array;
  /** Receipts for the item's log entries, by file name (e.g. `0.receipt.cose`, `0.tlog-proof`: see naming.ts). */
  readonly receipts?: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  /** What `record` is bound to (audience, request, purpose, nonce), for the verifier. */
  readonly binding?: { readonly audience: string; readonly requestId: string; readonly purpose: string; readonly nonce: string };
  readonly mediaType?: string;
  readonly size?: number;
}

export interface CreateBundleOptions<I = BundleItemInput> {
  readonly signer: Signer;
  /** The issuing authority's id, as in the verifier's trust store. */
  readonly issuer: string;
  readonly items: readonly I[];
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

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks ids and names before anything is written. */
export function checkBundleInput(opts: CreateBundleOptions<{ readonly id: string; readonly receipts?: readonly { readonly name: string }[] }>): void {
  const ids = new Set<string>();
  for (const it of opts.items) {
    if (!isItemId(it.id)) fail('ERR_INVALID_ARGUMENT', `item id ${JSON.stringify(it.id)} must match ${ITEM_ID}`);
    if (ids.has(it.id)) fail('ERR_INVALID_ARGUMENT', `item id ${it.id} is given twice`);
    ids.add(it.id);
    for (const r of it.receipts ?? []) if (!SAFE_NAME.test(r.name)) fail('ERR_INVALID_ARGUMENT', `receipt name ${JSON.stringify(r.name)} is not safe`);
  }
  for (const c of opts.checkpoints ?? []) if (!SAFE_NAME.test(c.name)) fail('ERR_INVALID_ARGUMENT', `checkpoint name ${JSON.stringify(c.name)} is not safe`);
  for (const c of opts.consistency ?? []) {
    if (!Number.isSafeInteger(c.oldSize) || c.oldSize < 1) fail('ERR_INVALID_ARGUMENT', '"consistency.oldSize" must be a positive integer');
  }
}

type FileRow = BundleManifest['files'][number];

/** Streams an age file into the tar once, hashing its header and its payload section apart. */
async function addAge(tar: TarWriter, name: string, enc: Uint8Array | ItemStream, onBytes?: (n: number) => void): Promise<FileRow> {
  const size = enc instanceof Uint8Array ? enc.length : enc.size;
  const source = enc instanceof Uint8Array ? [enc] : enc.stream();
  const reader = new HeaderReader(AGE_HEADER_MAX);
  const headerHash = crypto.createSha256();
  const payloadHash = crypto.createSha256();
  let headerLength = -1;
  let seen = 0;
  await tar.addRaw(name, size, source, (c) => {
    onBytes?.(c.length);
    if (headerLength >= 0) {
      payloadHash.update(c);
      return;
    }
    if (reader.push(c)) {
      const rest = reader.rest;
      headerLength = seen + c.length - rest.length;
      headerHash.update(c.subarray(0, c.length - rest.length));
      payloadHash.update(rest);
    } else headerHash.update(c);
    seen += c.length;
  });
  if (headerLength < 0) throw new CustosError('ERR_AGE_HEADER', `${name}: the age header does not end`);
  return [name, size, headerLength, headerHash.digest(), payloadHash.digest()];
}

/**
 * Writes a bundle to `sink` and returns its manifest. Memory stays constant whatever the item
 * sizes. The sink receives a partial archive if this throws: give it an atomic one.
 *
 * @example
 * ```ts
 * const chunks: Uint8Array[] = [];
 * await createBundle({ write: async (b) => void chunks.push(b) }, { signer, issuer: 'DE-BKA', items: [{ id: 'disk', encrypted: ageBytes, seal }] });
 * ```
 */
export async function createBundle(sink: ByteSink, opts: CreateBundleOptions): Promise<BundleManifest> {
  checkBundleInput(opts);
  const created = (opts.created ?? new Date()).toISOString();
  const tar = new TarWriter(sink, { mtime: tarMtime(created) });
  const files: FileRow[] = [];
  const add = async (name: string, bytes: Uint8Array): Promise<string> => {
    files.push([name, bytes.length, await tar.addBytes(name, bytes)]);
    return name;
  };
  const items: BundleManifest['items'][number][] = [];
  for (const it of opts.items) {
    const itemName = itemMember(it.id);
    files.push(await addAge(tar, itemName, it.encrypted, opts.onBytes));
    const seal = typeof it.seal === 'function' ? await it.seal() : it.seal;
    const receipts: string[] = [];
    for (const r of it.receipts ?? []) receipts.push(await add(receiptMember(it.id, r.name), r.bytes));
    items.push({
      id: it.id,
      item: itemName,
      ...(seal !== undefined ? { seal: await add(sealMember(it.id), seal) } : {}),
      ...(it.custody !== undefined ? { custody: await add(custodyMember(it.id), it.custody) } : {}),
      ...(it.record !== undefined ? { record: await add(recordMember(it.id), it.record) } : {}),
      ...(receipts.length > 0 ? { receipts } : {}),
      ...(it.binding !== undefined ? { binding: { ...it.binding } } : {}),
      ...(it.mediaType !== undefined ? { mediaType: it.mediaType } : {}),
      ...(it.size !== undefined ? { size: it.size } : {}),
    });
  }
  const checkpoints: string[] = [];
  for (const c of opts.checkpoints ?? []) checkpoints.push(await add(checkpointMember(c.name), new TextEncoder().encode(c.text)));
  for (const c of opts.consistency ?? []) checkpoints.push(await add(consistencyMember(c.oldSize), c.receipt));
  files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const manifest: BundleManifest = {
    v: 2,
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
  return manifest;
}
