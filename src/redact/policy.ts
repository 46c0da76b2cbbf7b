/**
 * Disclosure policies and data minimisation.
 *
 * A policy (JSON, validated with zod) maps each purpose code to the data categories it may
 * receive and, per category, the paths (see `parsePath`) that belong to it. `public` paths are
 * always allowed (record metadata such as a record type). {@link minimize} picks, for a request
 * naming a purpose and categories, exactly the disclosures whose paths the requested categories
 * cover, plus the enclosing disclosures needed to reach them, and then checks the result as the
 * recipient will see it: every value visible in the presentation (including entries committed
 * in clear, and entries inside an opened container) must lie under an allowed path, otherwise
 * it refuses with ERR_POLICY_DENIED instead of over-disclosing. Structure is not a value: a map
 * or array committed in clear whose redactable contents are all withheld still shows, empty
 * (commit the container itself as redactable to hide that it exists).
 *
 * ```json
 * { "version": 1, "id": "provider-x/2026-01",
 *   "public": ["recordType"],
 *   "purposes": { "CRIM-INV": { "categories": {
 *       "subscriber": ["subscriber.name", "subscriber.address"],
 *       "traffic": ["sessions[*].ip", "sessions[*].start"] } } } }
 * ```
 */
import * as crypto from '#crypto';
import { z } from 'zod';
import { fromHex, toHex } from '../bytes.js';
import { encode } from '../cbor.js';
import { CustosError, fail } from '../errors.js';
import { resolveCommitted, type CommittedRecord, type Disclosure } from './commit.js';
import { checkVisibleKeys } from './keys.js';
import { coversPath, formatPath, parsePath, type RecordPath } from './path.js';

const pathString = z.string().superRefine((s, ctx) => {
  try {
    parsePath(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : 'invalid path' });
  }
});
const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'expected a code of letters, digits and . _ : -');

/**
 * The JSON schema of a disclosure policy (zod); {@link parseDisclosurePolicy} validates with it.
 *
 * @example
 * ```ts
 * const ok = disclosurePolicySchema.safeParse(json).success;
 * ```
 */
export const disclosurePolicySchema = z.strictObject({
  version: z.literal(1),
  id: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Paths every purpose may see (record metadata committed in clear). */
  public: z.array(pathString).max(1000).optional(),
  purposes: z
    .record(
      code,
      z.strictObject({
        description: z.string().max(2000).optional(),
        /** Category name (e.g. subscriber, traffic, content) → the paths it covers. */
        categories: z.record(code, z.array(pathString).min(1).max(1000)),
      }),
    )
    .refine((r) => Object.keys(r).length > 0, 'at least one purpose'),
});

export type DisclosurePolicyDocument = z.infer<typeof disclosurePolicySchema>;

/** A validated policy with its hash (SHA-256 over the document's deterministic CBOR). */
export interface DisclosurePolicy {
  readonly document: DisclosurePolicyDocument;
  readonly id: string;
  readonly hash: Uint8Array;
}

/**
 * Validates a policy (object or JSON text); throws ERR_POLICY_INVALID naming the first problem.
 *
 * @example
 * ```ts
 * const policy = parseDisclosurePolicy(readFileSync('policy.json', 'utf8'));
 * toHex(policy.hash); // what custody events record
 * ```
 */
export function parseDisclosurePolicy(input: unknown): DisclosurePolicy {
  let doc = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new CustosError('ERR_POLICY_INVALID', 'the policy is not valid JSON', { cause: e });
    }
  }
  const r = disclosurePolicySchema.safeParse(doc);
  if (!r.success) {
    const first = r.error.issues[0];
    fail('ERR_POLICY_INVALID', `${first?.path.join('.') || 'policy'}: ${first?.message ?? 'invalid'}`);
  }
  let hash: Uint8Array;
  try {
    hash = crypto.sha256(encode(r.data));
  } catch (e) {
    throw new CustosError('ERR_POLICY_INVALID', 'the policy cannot be encoded', { cause: e });
  }
  return { document: r.data, id: r.data.id, hash };
}

/** What a request asks for. */
export interface DisclosureRequest {
  readonly purpose: string;
  /** Data categories requested; each must be allowed for the purpose. */
  readonly categories: readonly string[];
  readonly requestId: string;
  /** The recipient, recorded in the custody event when given. */
  readonly audience?: string;
}

/**
 * The custody event data a minimisation yields. It is plain data: turn it into a custody event
 * with `redactionCustodyInput(event, actor)` and append that with the custody module's
 * `appendEvent(chain, input, signer)`, so the chain records what went out, to whom, for which
 * request, under which policy version (its hash).
 */
export interface RedactionEventData {
  /** `redacted` when something was withheld, `disclosed` when the whole record goes out. */
  readonly type: 'redacted' | 'disclosed';
  /** SHA-256 (hex) of the committed record bytes. */
  readonly recordDigest: string;
  /** Digests (hex) of the disclosures chosen, sorted. */
  readonly disclosedDigests: readonly string[];
  /** SHA-256 (hex) over the sorted disclosed digests: one value naming the whole set. */
  readonly disclosureSetDigest: string;
  /** Paths of the disclosures chosen, sorted. */
  readonly disclosedPaths: readonly string[];
  readonly withheldCount: number;
  /** Entries committed in the record whose disclosures the holder no longer has (never disclosed). */
  readonly unavailableCount: number;
  readonly policyId: string;
  /** SHA-256 (hex) of the policy. */
  readonly policyHash: string;
  readonly purpose: string;
  readonly categories: readonly string[];
  readonly requestId: string;
  readonly audience?: string;
}

export interface Minimized {
  readonly disclosures: readonly Disclosure[];
  readonly event: RedactionEventData;
}

/**
 * Chooses exactly the disclosures `policy` allows for `request`.
 *
 * Throws ERR_POLICY_DENIED when the purpose is unknown, a requested category is not allowed for
 * it, or the allowed disclosures would expose a value outside the allowed paths.
 *
 * @example
 * ```ts
 * const { disclosures, event } = minimize(committed, policy, {
 *   purpose: 'CRIM-INV', categories: ['subscriber'], requestId: 'EPOC-2026-0042',
 * });
 * ```
 */
export function minimize(committed: CommittedRecord, policy: DisclosurePolicy, request: DisclosureRequest): Minimized {
  if (committed === null || typeof committed !== 'object' || !(committed.bytes instanceof Uint8Array)) {
    fail('ERR_INVALID_ARGUMENT', '"committed" expected a CommittedRecord');
  }
  if (policy === null || typeof policy !== 'object' || !(policy.hash instanceof Uint8Array)) {
    fail('ERR_INVALID_ARGUMENT', '"policy" expected a parsed DisclosurePolicy');
  }
  if (request === null || typeof request !== 'object' || typeof request.purpose !== 'string' || typeof request.requestId !== 'string') {
    fail('ERR_INVALID_ARGUMENT', '"request" expected { purpose, categories, requestId }');
  }
  if (!Array.isArray(request.categories) || request.categories.length === 0) {
    fail('ERR_INVALID_ARGUMENT', '"request.categories" must name at least one category');
  }
  const purposes = policy.document.purposes;
  if (!Object.prototype.hasOwnProperty.call(purposes, request.purpose)) {
    fail('ERR_POLICY_DENIED', `the policy has no purpose ${JSON.stringify(request.purpose)}`);
  }
  const allowed = purposes[request.purpose]!.categories;
  const patterns: RecordPath[] = (policy.document.public ?? []).map((p) => parsePath(p));
  for (const cat of request.categories) {
    if (typeof cat !== 'string' || !Object.prototype.hasOwnProperty.call(allowed, cat)) {
      fail('ERR_POLICY_DENIED', `purpose ${request.purpose} does not allow the category ${JSON.stringify(cat)}`);
    }
    for (const p of allowed[cat]!) patterns.push(parsePath(p));
  }

  // The holder holds every disclosure: resolve them all to learn each one's path and parent.
  if (!Array.isArray(committed.decoys)) fail('ERR_INVALID_ARGUMENT', '"committed.decoys" is required (see loadCommittedRecord)');
  const { resolved } = resolveCommitted(committed.bytes, committed.disclosures, true, committed.decoys);
  const byDigest = new Map(resolved.nodes.map((n) => [n.key, n]));
  const chosen = new Set<string>();
  const allowedLeaf = (segs: Parameters<typeof coversPath>[1]): boolean => patterns.some((p) => coversPath(p, segs));
  for (const n of resolved.nodes) {
    if (!allowedLeaf(n.segments)) continue;
    // Open every enclosing disclosure too: a nested entry is unreachable without its container.
    for (let h: string | undefined = n.key; h !== undefined && !chosen.has(h); h = byDigest.get(h)?.parent) chosen.add(h);
  }
  // What the recipient will see: leaves in clear, or under chosen disclosures only.
  for (const leaf of resolved.leaves) {
    if (leaf.owner !== undefined && !chosen.has(leaf.owner)) continue;
    if (!allowedLeaf(leaf.segments)) {
      fail('ERR_POLICY_DENIED', `disclosing under purpose ${request.purpose} would expose ${formatPath(leaf.segments) || 'the record'}, which the policy does not allow`);
    }
  }
  const picked = resolved.nodes.filter((n) => chosen.has(n.key));
  // ... and no key of a withheld entry left behind in clear.
  const visible = (owner: string | undefined): boolean => owner === undefined || chosen.has(owner);
  const named = [
    ...(policy.document.public ?? []),
    ...Object.values(purposes).flatMap((p) => Object.values(p.categories).flat()),
  ].map((p) => parsePath(p));
  const shown = [...resolved.leaves.filter((l) => visible(l.owner)).map((l) => l.segments), ...picked.map((n) => n.segments)];
  checkVisibleKeys(resolved.entries, visible, patterns, named, shown, request.purpose);
  const disclosures: Disclosure[] = picked.map((n) => ({ bytes: n.disclosure.bytes, digest: n.disclosure.digest, path: formatPath(n.segments) }));
  const withheldCount = resolved.nodes.length - picked.length;
  const disclosedDigests = picked.map((n) => toHex(n.disclosure.digest)).sort();
  const event: RedactionEventData = {
    type: withheldCount > 0 ? 'redacted' : 'disclosed',
    recordDigest: toHex(crypto.sha256(committed.bytes)),
    disclosedDigests,
    disclosureSetDigest: toHex(crypto.sha256(fromHex(disclosedDigests.join('')))),
    disclosedPaths: picked.map((n) => formatPath(n.segments)).sort(),
    withheldCount,
    unavailableCount: resolved.unknownCount,
    policyId: policy.id,
    policyHash: toHex(policy.hash),
    purpose: request.purpose,
    categories: [...request.categories].sort(),
    requestId: request.requestId,
    ...(request.audience !== undefined ? { audience: request.audience } : {}),
  };
  return { disclosures, event };
}
