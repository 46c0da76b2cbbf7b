/**
 * The bundle manifest: a COSE_Sign1 (RFC 9052) over a deterministic-CBOR list of every file in
 * the bundle with its size and SHA-256, and of the items with the files that belong to each.
 * Signing the digests of all files (the encrypted items, seals, custody chains, records,
 * receipts and checkpoints) makes the whole bundle tamper-evident with one signature that needs
 * no decryption key to check; the per-item seals and chains then say who vouches for what.
 *
 * Version 2 (pre-1.0 change, issue 16): an item's `.age` member is listed as
 * `[name, size, headerLength, headerSha256, payloadSha256]` instead of `[name, size, sha256]`.
 * The payload digest is the one the item's seal signs (the age payload section, after the
 * header), so one pass over the member serves both the manifest and the seal: the verifier
 * compares the seal with the manifest without reading the item, and hashes each byte of it once.
 * Every other member is `[name, size, sha256]`.
 */
import { z } from 'zod';
import { decode, encode } from '../cbor.js';
import { decodeSign1, signSign1, type Sign1 } from '../cose/sign1.js';
import { fail } from '../errors.js';
import { isInstantText } from '../time.js';
import type { Signer } from '../keys/signing.js';
import type { Signed } from '../keys/signed.js';

/** COSE content type of the manifest payload (protected header 3). */
export const MANIFEST_CONTENT_TYPE = 'application/vnd.custos.bundle-manifest+cbor';
/** File name of the manifest inside the bundle. */
export const MANIFEST_NAME = 'manifest.cose';
/** Largest manifest a reader accepts. */
export const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;

/** Largest age header a bundle item may have (it is read whole before its payload streams). */
export const AGE_HEADER_MAX = 1024 * 1024;

/** Item ids become file names: keep them to a safe, portable alphabet. */
export const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/).refine((s) => isInstantText(s), 'not a real calendar instant');
const fileName = z.string().min(1).max(1024);
const sha256 = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32, 'expected a 32-byte SHA-256');
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A member that is not an item: name, size, SHA-256. */
const plainFile = z.tuple([fileName, size, sha256]);
/** An item's age file: name, size, header length, SHA-256 of the header, SHA-256 of the payload section. */
const ageFile = z.tuple([fileName, size, z.number().int().min(1).max(AGE_HEADER_MAX), sha256, sha256]);

const itemSchema = z.strictObject({
  id: z.string().regex(ITEM_ID),
  item: fileName,
  seal: fileName.optional(),
  custody: fileName.optional(),
  record: fileName.optional(),
  receipts: z.array(fileName).max(1000).optional(),
  mediaType: z.string().max(200).optional(),
  /** What the record's presentation is bound to (checked against the presentation's own binding). */
  binding: z
    .strictObject({ audience: z.string().max(200), requestId: z.string().max(200), purpose: z.string().max(200), nonce: z.string().max(200) })
    .optional(),
  /** Plaintext size in bytes, as sealed (informative; the seal is authoritative). */
  size: z.number().int().min(0).optional(),
});

const manifestSchema = z.strictObject({
  v: z.literal(2),
  type: z.literal('custos-bundle'),
  created: iso,
  issuer: z.string().min(1).max(200),
  case: z.string().max(200).optional(),
  request: z.string().max(200).optional(),
  files: z.array(z.union([plainFile, ageFile])).max(100_000),
  items: z.array(itemSchema).max(10_000),
  checkpoints: z.array(fileName).max(1000).optional(),
});

export type BundleManifest = z.infer<typeof manifestSchema>;
export type BundleManifestItem = z.infer<typeof itemSchema>;

/** What the manifest signs about one member. */
export type SignedMember =
  | { readonly kind: 'file'; readonly name: string; readonly size: number; readonly sha256: Uint8Array }
  | { readonly kind: 'age'; readonly name: string; readonly size: number; readonly headerLength: number; readonly headerSha256: Uint8Array; readonly payloadSha256: Uint8Array };

/** The manifest's file list by name. */
export function signedMembers(m: BundleManifest): Map<string, SignedMember> {
  const out = new Map<string, SignedMember>();
  for (const f of m.files) {
    if (f.length === 3) out.set(f[0], { kind: 'file', name: f[0], size: f[1], sha256: f[2] });
    else out.set(f[0], { kind: 'age', name: f[0], size: f[1], headerLength: f[2], headerSha256: f[3], payloadSha256: f[4] });
  }
  return out;
}

/** Signs a manifest (checked against the schema first); a Promise for an asynchronous signer. */
export function signManifest<S extends Signer>(m: BundleManifest, signer: S): Signed<S, Uint8Array> {
  const r = manifestSchema.safeParse(m);
  if (!r.success) fail('ERR_INVALID_ARGUMENT', `bundle manifest: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
  return signSign1(encode(r.data), signer, { protectedHeaders: new Map([[3, MANIFEST_CONTENT_TYPE]]) });
}

/** Decodes a manifest without verifying its signature (the verifier does that with the trust store). */
export function decodeManifest(bytes: Uint8Array): { sign1: Sign1; manifest: BundleManifest } {
  const sign1 = decodeSign1(bytes, { maxBytes: MANIFEST_MAX_BYTES });
  if (sign1.protectedHeaders.get(3) !== MANIFEST_CONTENT_TYPE) fail('ERR_BUNDLE_MALFORMED', 'manifest.cose has the wrong content type');
  if (sign1.payload === null) fail('ERR_BUNDLE_MALFORMED', 'manifest.cose has no payload');
  const value = decode(sign1.payload, { objects: true, maxBytes: MANIFEST_MAX_BYTES });
  const r = manifestSchema.safeParse(value);
  if (!r.success) {
    fail('ERR_BUNDLE_MALFORMED', `manifest: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
  }
  const names = new Set<string>();
  const ages = new Set<string>();
  for (const f of r.data.files) {
    const n = f[0];
    if (names.has(n)) fail('ERR_BUNDLE_MALFORMED', `manifest lists ${n} twice`);
    names.add(n);
    if (f.length === 5) {
      if (f[2] > f[1]) fail('ERR_BUNDLE_MALFORMED', `${n}: header longer than the file`);
      ages.add(n);
    }
  }
  const ids = new Set<string>();
  for (const it of r.data.items) {
    if (ids.has(it.id)) fail('ERR_BUNDLE_MALFORMED', `manifest lists item ${it.id} twice`);
    ids.add(it.id);
    for (const f of [it.item, it.seal, it.custody, it.record, ...(it.receipts ?? [])]) {
      if (f !== undefined && !names.has(f)) fail('ERR_BUNDLE_MALFORMED', `item ${it.id} names ${f}, which the manifest does not list`);
    }
    if (!ages.has(it.item)) fail('ERR_BUNDLE_MALFORMED', `item ${it.id}: ${it.item} is not listed as an age file (header and payload digests)`);
    for (const f of [it.seal, it.custody, it.record, ...(it.receipts ?? [])]) {
      if (f !== undefined && ages.has(f)) fail('ERR_BUNDLE_MALFORMED', `item ${it.id}: ${f} is listed as an age file`);
    }
  }
  for (const c of r.data.checkpoints ?? []) if (!names.has(c)) fail('ERR_BUNDLE_MALFORMED', `checkpoint ${c} is not listed`);
  return { sign1, manifest: r.data };
}
