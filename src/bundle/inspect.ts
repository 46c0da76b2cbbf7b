/**
 * A readable description of a bundle's contents, for `custos inspect`: it parses but does not
 * verify (use `verifyBundle` for that), and says so.
 */
import { toHex } from '../bytes.js';
import { BundleArchive } from './archive.js';
import { EVIDENCE_FILE_MAX_BYTES } from './context.js';
import { describeCheckpoint, describeItemFiles } from './describe.js';
import { decodeManifest, MANIFEST_MAX_BYTES, MANIFEST_NAME, signedMembers } from './manifest.js';
import type { BundleSource } from './source.js';

export interface BundleInfo {
  readonly created: string;
  readonly issuer: string;
  readonly case?: string;
  readonly request?: string;
  readonly items: readonly {
    readonly id: string;
    readonly mediaType?: string;
    readonly size?: number;
    /** Each file with its signed digest (an age file: its payload section's, as the seal signs it). */
    readonly files: readonly { readonly name: string; readonly size: number; readonly sha256: string }[];
    /** Human lines: seal summary, custody timeline, record fields, receipts. */
    readonly details: readonly string[];
  }[];
  readonly checkpoints: readonly { readonly name: string; readonly summary: string }[];
}

/**
 * Describes a bundle without verifying it.
 *
 * @example
 * ```ts
 * const info = await inspectBundle(bytesSource(bundle));
 * for (const it of info.items) console.log(it.id, it.files.length);
 * ```
 */
export async function inspectBundle(source: BundleSource): Promise<BundleInfo> {
  const archive = await BundleArchive.open(source);
  const { manifest } = decodeManifest(await archive.read(MANIFEST_NAME, MANIFEST_MAX_BYTES));
  const listed = new Map([...signedMembers(manifest)].map(([n, m]) => [n, { size: m.size, sha256: toHex(m.kind === 'age' ? m.payloadSha256 : m.sha256) }]));
  const cache = new Map<string, Uint8Array | undefined>();
  const read = async (name: string | undefined): Promise<Uint8Array | undefined> => {
    if (name === undefined || archive.get(name) === undefined) return undefined;
    if (!cache.has(name)) cache.set(name, await archive.read(name, EVIDENCE_FILE_MAX_BYTES));
    return cache.get(name);
  };
  const items = [];
  for (const it of manifest.items) {
    const names = [it.item, it.seal, it.custody, it.record, ...(it.receipts ?? [])].filter((n): n is string => n !== undefined);
    const receipts = [];
    for (const n of it.receipts ?? []) receipts.push({ name: n, bytes: (await read(n)) ?? new Uint8Array(0) });
    const details = describeItemFiles({ seal: await read(it.seal), custody: await read(it.custody), record: await read(it.record), receipts });
    items.push({
      id: it.id,
      ...(it.mediaType !== undefined ? { mediaType: it.mediaType } : {}),
      ...(it.size !== undefined ? { size: it.size } : {}),
      files: names.map((n) => ({ name: n, size: listed.get(n)?.size ?? 0, sha256: listed.get(n)?.sha256 ?? '' })),
      details,
    });
  }
  const checkpoints = [];
  for (const name of manifest.checkpoints ?? []) {
    checkpoints.push({ name, summary: describeCheckpoint(new TextDecoder().decode((await read(name)) ?? new Uint8Array(0))) });
  }
  return {
    created: manifest.created,
    issuer: manifest.issuer,
    ...(manifest.case !== undefined ? { case: manifest.case } : {}),
    ...(manifest.request !== undefined ? { request: manifest.request } : {}),
    items,
    checkpoints,
  };
}
