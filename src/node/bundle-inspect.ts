/**
 * A readable description of a bundle's contents, for `custos inspect`: it parses but does not
 * verify (use {@link verifyBundle} for that), and says so.
 */
import { toHex } from '../bytes.js';
import { decodeManifest, MANIFEST_MAX_BYTES, MANIFEST_NAME } from '../bundle/manifest.js';
import { describeItemFiles, describeCheckpoint } from '../bundle/describe.js';
import { EVIDENCE_FILE_MAX_BYTES } from '../bundle/checks.js';
import { TarFile } from './bundle-fs.js';

export interface BundleInfo {
  readonly created: string;
  readonly issuer: string;
  readonly case?: string;
  readonly request?: string;
  readonly items: readonly {
    readonly id: string;
    readonly mediaType?: string;
    readonly size?: number;
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
 * const info = await inspectBundle('bundle.tar');
 * for (const it of info.items) console.log(it.id, it.files.length);
 * ```
 */
export async function inspectBundle(path: string): Promise<BundleInfo> {
  const tar = await TarFile.open(path);
  try {
    const { manifest } = decodeManifest(await tar.readAll(MANIFEST_NAME, MANIFEST_MAX_BYTES));
    const listed = new Map(manifest.files.map(([n, s, h]) => [n, { size: s, sha256: toHex(h) }]));
    const read = async (name: string | undefined): Promise<Uint8Array | undefined> =>
      name === undefined || tar.get(name) === undefined ? undefined : tar.readAll(name, EVIDENCE_FILE_MAX_BYTES);
    const items = [];
    for (const it of manifest.items) {
      const names = [it.item, it.seal, it.custody, it.record, ...(it.receipts ?? [])].filter((n): n is string => n !== undefined);
      const details = describeItemFiles({
        seal: await read(it.seal),
        custody: await read(it.custody),
        record: await read(it.record),
        receipts: await Promise.all((it.receipts ?? []).map(async (n) => ({ name: n, bytes: (await read(n)) ?? new Uint8Array(0) }))),
      });
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
  } finally {
    await tar.close();
  }
}
