/**
 * The seal manifest: what a seal says about one evidence item, its zod schemas, and its wire form.
 *
 * A seal is a COSE_Sign1 (RFC 9052 §4.2) whose payload is the manifest in deterministic CBOR
 * (RFC 8949 §4.2.1), a map with integer keys:
 *
 * | key | field         | type            | meaning |
 * | --- | ------------- | --------------- | ------- |
 * | 1   | version       | uint (1)        | manifest format version |
 * | 2   | id            | tstr            | the item id (exhibit number) |
 * | 3   | mediaType     | tstr            | media type of the plaintext |
 * | 4   | size          | uint            | plaintext size in bytes |
 * | 5   | sha256        | bstr (32)       | SHA-256 of the plaintext: the forensic hash |
 * | 6   | payloadSize   | uint            | size of the age payload section (file minus header) |
 * | 7   | payloadSha256 | bstr (32)       | SHA-256 of the age payload section: not the header, so rewrapping keeps the seal valid |
 * | 8   | created       | uint            | sealing time, ms since the Unix epoch (UTC) |
 * | 9   | authority     | tstr            | id of the sealing authority (trust store) |
 * | 10  | context       | map (text keys) | {@link SealContext}: why the item exists and how it may be used |
 * | 11  | name          | tstr            | original file name (optional) |
 *
 * The COSE protected header carries alg, kid and content type {@link SEAL_CONTENT_TYPE}.
 */
import { z } from 'zod';
import { decode, encode } from '../cbor.js';
import { CustosError } from '../errors.js';
import { isInstantText } from '../time.js';

/** COSE content type (header 3) of a seal: it keeps a custody event's signature from passing as a seal's. */
export const SEAL_CONTENT_TYPE = 'application/vnd.custos.seal+cbor';

const text = (max: number) => z.string().min(1).max(max);

/**
 * The signed context of a sealed item. age has no associated data: this is what binds purpose
 * to ciphertext, and what `openItem` compares with what the caller expects.
 */
export const sealContextSchema = z.strictObject({
  /** Case or file number at the sealing authority. */
  caseId: text(200),
  /** The request this item answers (EPOC, EIO, MLA request number). */
  requestId: text(200).optional(),
  /** Why the item may be used (e.g. "criminal investigation: fraud"). */
  purpose: text(500),
  /** The legal basis (e.g. "Regulation (EU) 2023/1543 Art. 5"). */
  legalBasis: text(500),
  /** Handling restrictions, e.g. "no-onward-transfer", "protective-order", "speciality". */
  restrictions: z.array(text(200)).max(64).optional(),
  /** Until when the item may be kept: an RFC 3339 instant with a zone. */
  retentionUntil: z.string().max(64).refine(isInstantText, 'expected an RFC 3339 instant with a zone').optional(),
  /** Issuing and executing jurisdictions (ISO 3166 alpha-2). */
  issuingState: z.string().regex(/^[A-Z]{2}$/).optional(),
  executingState: z.string().regex(/^[A-Z]{2}$/).optional(),
  /** Data categories in the item (e.g. "subscriber", "traffic", "content"). */
  dataCategories: z.array(text(100)).max(64).optional(),
  /** Classification or sensitivity marking. */
  classification: text(100).optional(),
  /**
   * `false` when the sealer opted in to encrypting to a post-quantum recipient together with a
   * classic one (`allowMixedPostQuantum`): breaking the classic stanza recovers the file key, so
   * the item is not quantum-resistant, and the seal says so. Absent otherwise (the seal does
   * not cover the age header, which a verifier reads to see the recipients).
   */
  quantumResistant: z.literal(false).optional(),
});

export type SealContext = z.infer<typeof sealContextSchema>;

const bytes32 = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === 32, 'expected 32 bytes');
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const sealManifestSchema = z.strictObject({
  version: z.literal(1),
  id: text(200),
  mediaType: text(200),
  size: uint,
  sha256: bytes32,
  payloadSize: uint,
  payloadSha256: bytes32,
  created: z.number().int().min(0).max(253402300799999),
  authority: text(200),
  context: sealContextSchema,
  name: text(1000).optional(),
});

export type SealManifest = z.infer<typeof sealManifestSchema>;

const KEYS = ['', 'version', 'id', 'mediaType', 'size', 'sha256', 'payloadSize', 'payloadSha256', 'created', 'authority', 'context', 'name'] as const;

function malformed(msg: string, cause?: unknown): never {
  throw new CustosError('ERR_SEAL_MALFORMED', msg, cause === undefined ? undefined : { cause });
}

/**
 * Validates a context; throws ERR_CONTEXT_INVALID naming the first bad field.
 *
 * @example
 * ```ts
 * parseSealContext({ caseId: '12 St 34/26', purpose: 'fraud investigation', legalBasis: 'Directive 2014/41/EU' });
 * ```
 */
export function parseSealContext(value: unknown): SealContext {
  const r = sealContextSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CustosError('ERR_CONTEXT_INVALID', `context ${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Validates a manifest; throws ERR_SEAL_MALFORMED (ERR_CONTEXT_INVALID for the context). */
export function parseSealManifest(value: unknown): SealManifest {
  if (typeof value === 'object' && value !== null && 'context' in value) parseSealContext((value as { context: unknown }).context);
  const r = sealManifestSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    malformed(`manifest ${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** The deterministic CBOR of a manifest (validated first). */
export function encodeSealManifest(manifest: SealManifest): Uint8Array {
  const m = parseSealManifest(manifest);
  const map = new Map<number, unknown>();
  KEYS.forEach((k, i) => {
    if (i === 0) return;
    const v = m[k as keyof SealManifest];
    if (v !== undefined) map.set(i, v);
  });
  return encode(map);
}

/** Decodes a manifest payload strictly. */
export function decodeSealManifest(payload: Uint8Array): SealManifest {
  let v: unknown;
  try {
    v = decode(payload, { maxBytes: 1 << 20, maxDepth: 6, objects: true });
  } catch (e) {
    malformed('manifest is not deterministic CBOR', e);
  }
  if (!(v instanceof Map)) malformed('manifest must be a map with integer keys');
  const o: Record<string, unknown> = {};
  for (const [k, x] of v) {
    const name = typeof k === 'number' && k > 0 ? KEYS[k] : undefined;
    if (name === undefined) malformed(`manifest has unknown key ${String(k)}`);
    o[name] = x;
  }
  return parseSealManifest(o);
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

/**
 * The fields of `expected` that differ from the signed context (empty when all match). Arrays
 * (restrictions, data categories) must match exactly, in order: a caller expecting a protective
 * order must not open an item sealed without one, nor the reverse.
 *
 * @example
 * ```ts
 * contextMismatches(manifest.context, { purpose: 'tax audit' }); // ['purpose']
 * ```
 */
export function contextMismatches(signed: SealContext, expected: Partial<SealContext>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(expected)) {
    if (v === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(sealContextSchema.shape, k)) {
      throw new CustosError('ERR_INVALID_ARGUMENT', `"expect" has an unknown context field "${k}"`);
    }
    if (!same(signed[k as keyof SealContext], v)) out.push(k);
  }
  return out;
}
