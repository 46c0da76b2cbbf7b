/**
 * The trust store: which authorities a verifier trusts, with which keys, in which roles, and when.
 *
 * A JSON document (validated with zod) that a court or oversight body keeps. Keys have a
 * validity window: a signature made at time `t` is accepted only if `notBefore ≤ t`, `t < notAfter`
 * (when set) and `t < revokedAt` (when set). Signatures dated before a revocation stay valid,
 * which is what evidence needs: revoking a key after the fact must not erase earlier custody.
 * The time checked is the one the signed object states; transparency-log receipts are how a
 * verifier gains independent evidence of when it existed.
 */
import { z } from 'zod';
import { assertBytes, equalBytes, fromBase64Url, toBase64Url } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { keyId, type SignatureAlg } from './signing.js';
import { isInstantText, parseInstant } from '../time.js';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

/** True when `s` is a real calendar instant with a zone (the base's strict parser, src/time.ts). */
function isCalendarInstant(s: string): boolean {
  return isInstantText(s);
}

const isoInstant = z
  .string()
  .regex(INSTANT, 'expected an ISO 8601 instant with a zone')
  .refine(isCalendarInstant, 'not a valid calendar date and time');

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/, 'expected base64url without padding');

const trustedKeySchema = z
  .strictObject({
    alg: z.enum(['EdDSA', 'ES256']),
    publicKey: b64u,
    kid: b64u.optional(),
    notBefore: isoInstant,
    notAfter: isoInstant.optional(),
    revokedAt: isoInstant.optional(),
    /** age recipients (`age1…`, `age1pq1…`) this authority receives evidence on. */
    ageRecipients: z.array(z.string().max(4096)).max(64).optional(),
  })
  .refine((k) => k.notAfter === undefined || !isCalendarInstant(k.notAfter) || !isCalendarInstant(k.notBefore) || parseInstant('notAfter', k.notAfter).epochMs > parseInstant('notBefore', k.notBefore).epochMs, {
    message: 'notAfter must be later than notBefore',
    path: ['notAfter'],
  });

const authoritySchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(500),
  jurisdiction: z.string().regex(/^[A-Z]{2}$/, 'expected ISO 3166 alpha-2'),
  roles: z.array(z.string().min(1).max(100)).max(64),
  keys: z.array(trustedKeySchema).min(1).max(256),
});

/** The optional validity window of a log or witness key (as for authority keys). */
const windowFields = {
  notBefore: isoInstant.optional(),
  notAfter: isoInstant.optional(),
  revokedAt: isoInstant.optional(),
};

const noteKeySchema = z.strictObject({
  name: z.string().min(1).max(500),
  /** C2SP signed-note verifier key: `name+hex(keyid)+base64(type‖key)`. */
  vkey: z.string().min(1).max(2000),
  ...windowFields,
});

const logKeySchema = z.strictObject({ origin: z.string().min(1).max(500), vkey: z.string().min(1).max(2000), ...windowFields });

/** The JSON schema of a trust store document. */
export const trustStoreSchema = z.strictObject({
  version: z.literal(1),
  authorities: z.array(authoritySchema).max(10_000),
  /** Transparency logs the verifier trusts (checkpoint signers), by origin. */
  logs: z.array(logKeySchema).max(1000).optional(),
  /** Witnesses whose cosignatures count, and how many must cosign. */
  witnesses: z.array(noteKeySchema).max(1000).optional(),
  witnessQuorum: z.number().int().min(0).max(1000).optional(),
}).refine((d) => (d.witnessQuorum ?? 0) <= (d.witnesses?.length ?? 0), {
  message: 'witnessQuorum is larger than the number of witnesses listed: no checkpoint could ever meet it',
  path: ['witnessQuorum'],
});

export type TrustStoreDocument = z.infer<typeof trustStoreSchema>;

export interface TrustedKey {
  readonly alg: SignatureAlg;
  readonly publicKey: Uint8Array;
  readonly kid: Uint8Array;
  readonly notBefore: number;
  readonly notAfter?: number;
  readonly revokedAt?: number;
  readonly ageRecipients: readonly string[];
}

export interface Authority {
  readonly id: string;
  readonly name: string;
  readonly jurisdiction: string;
  readonly roles: readonly string[];
  readonly keys: readonly TrustedKey[];
}

/** A signed-note verifier key with its validity window in seconds since the epoch (what `verifyCheckpoint` takes). */
export interface WindowedNoteKey {
  readonly key: string;
  readonly notBefore?: number;
  readonly notAfter?: number;
  readonly revokedAt?: number;
}

/** Result of a non-throwing key lookup, for verification reports. */
export type KeyLookup =
  | { readonly ok: true; readonly authority: Authority; readonly key: TrustedKey }
  | { readonly ok: false; readonly code: 'ERR_KEY_UNKNOWN' | 'ERR_KEY_NOT_VALID'; readonly reason: string };

/** A Map key for a byte string: one char per byte (cheaper than hex on the verification hot path). */
function bytesKey(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

function instant(name: string, at: Date | string | number): number {
  if (typeof at === 'string' && !isCalendarInstant(at)) fail('ERR_INVALID_ARGUMENT', `"${name}" is not an ISO 8601 instant with a zone`);
  const t = at instanceof Date ? at.getTime() : typeof at === 'string' ? parseInstant(name, at).epochMs : at;
  if (typeof t !== 'number' || !Number.isFinite(t)) fail('ERR_INVALID_ARGUMENT', `"${name}" is not a valid time`);
  return t;
}

/**
 * A validated, immutable trust store.
 *
 * @example
 * ```ts
 * const trust = TrustStore.parse(JSON.parse(readFileSync('trust.json', 'utf8')));
 * const { authority, key } = trust.keyFor(kid, '2026-11-23T10:00:00Z');
 * ```
 */
export class TrustStore {
  readonly authorities: readonly Authority[];
  readonly document: TrustStoreDocument;
  readonly #byKid = new Map<string, { authority: Authority; key: TrustedKey }>();

  private constructor(doc: TrustStoreDocument) {
    this.document = doc;
    const ids = new Set<string>();
    this.authorities = doc.authorities.map((a, ai) => {
      if (ids.has(a.id)) fail('ERR_TRUST_STORE', `authorities[${ai}].id: duplicate id`);
      ids.add(a.id);
      const keys = a.keys.map((k, ki) => {
        const where = `authorities[${ai}].keys[${ki}]`;
        let publicKey: Uint8Array;
        let kid: Uint8Array;
        try {
          publicKey = fromBase64Url(k.publicKey);
          kid = keyId(k.alg, publicKey);
        } catch (e) {
          throw new CustosError('ERR_TRUST_STORE', `${where}.publicKey: not a valid ${k.alg} public key`, { cause: e });
        }
        if (k.kid !== undefined && !equalBytes(fromBase64Url(k.kid), kid)) {
          fail('ERR_TRUST_STORE', `${where}.kid: does not match the key's RFC 9679 thumbprint`);
        }
        const key: TrustedKey = {
          alg: k.alg,
          publicKey,
          kid,
          notBefore: parseInstant('notBefore', k.notBefore).epochMs,
          ...(k.notAfter !== undefined ? { notAfter: parseInstant('notAfter', k.notAfter).epochMs } : {}),
          ...(k.revokedAt !== undefined ? { revokedAt: parseInstant('revokedAt', k.revokedAt).epochMs } : {}),
          ageRecipients: k.ageRecipients ?? [],
        };
        return key;
      });
      return { id: a.id, name: a.name, jurisdiction: a.jurisdiction, roles: a.roles, keys };
    });
    for (const authority of this.authorities) {
      for (const key of authority.keys) {
        const h = bytesKey(key.kid);
        if (this.#byKid.has(h)) fail('ERR_TRUST_STORE', `key ${toBase64Url(key.kid)} is listed twice`);
        this.#byKid.set(h, { authority, key });
      }
    }
  }

  /** Validates a trust store document (an object, or its JSON text). */
  static parse(input: unknown): TrustStore {
    let doc: unknown = input;
    if (typeof input === 'string') {
      try {
        doc = JSON.parse(input);
      } catch (e) {
        throw new CustosError('ERR_TRUST_STORE', 'trust store is not valid JSON', { cause: e });
      }
    }
    const r = trustStoreSchema.safeParse(doc);
    if (!r.success) {
      const first = r.error.issues[0];
      const path = first?.path.join('.') ?? '';
      fail('ERR_TRUST_STORE', `${path || 'trust store'}: ${first?.message ?? 'invalid'}`);
    }
    return new TrustStore(r.data);
  }

  /** Looks a kid up and checks the key was valid at `at`, without throwing. */
  lookup(kid: Uint8Array, at: Date | string | number): KeyLookup {
    const t = instant('at', at);
    const hit = this.#byKid.get(bytesKey(assertBytes('kid', kid)));
    if (hit === undefined) return { ok: false, code: 'ERR_KEY_UNKNOWN', reason: 'no trusted key has this kid' };
    const { key } = hit;
    if (t < key.notBefore) return { ok: false, code: 'ERR_KEY_NOT_VALID', reason: 'signed before the key was valid' };
    if (key.notAfter !== undefined && t >= key.notAfter) {
      return { ok: false, code: 'ERR_KEY_NOT_VALID', reason: 'signed after the key expired' };
    }
    if (key.revokedAt !== undefined && t >= key.revokedAt) {
      return { ok: false, code: 'ERR_KEY_NOT_VALID', reason: 'signed after the key was revoked' };
    }
    return { ok: true, authority: hit.authority, key };
  }

  /** Like {@link TrustStore.lookup} but throws ERR_KEY_UNKNOWN / ERR_KEY_NOT_VALID. */
  keyFor(kid: Uint8Array, at: Date | string | number): { authority: Authority; key: TrustedKey } {
    const r = this.lookup(kid, at);
    if (!r.ok) fail(r.code, r.reason);
    return { authority: r.authority, key: r.key };
  }

  /** The authority with this id, if any. */
  authority(id: string): Authority | undefined {
    return this.authorities.find((a) => a.id === id);
  }

  /** The authority owning a kid regardless of time (for reports), if any. */
  authorityOf(kid: Uint8Array): Authority | undefined {
    return this.#byKid.get(bytesKey(assertBytes('kid', kid)))?.authority;
  }

  /**
   * The checkpoint policy for the log `origin`: its trusted keys and the trusted witnesses, each
   * with its validity window in seconds (see `verifyCheckpoint`), and the quorum (`quorum`, or the
   * store's `witnessQuorum`, else 0).
   */
  checkpointPolicy(origin: string, quorum?: number): { log: WindowedNoteKey[]; witnesses: WindowedNoteKey[]; quorum: number; origin: string } {
    const win = (k: { vkey: string; notBefore?: string | undefined; notAfter?: string | undefined; revokedAt?: string | undefined }): WindowedNoteKey => ({
      key: k.vkey,
      ...(k.notBefore !== undefined ? { notBefore: Math.floor(Date.parse(k.notBefore) / 1000) } : {}),
      ...(k.notAfter !== undefined ? { notAfter: Math.floor(Date.parse(k.notAfter) / 1000) } : {}),
      ...(k.revokedAt !== undefined ? { revokedAt: Math.floor(Date.parse(k.revokedAt) / 1000) } : {}),
    });
    const witnesses = (this.document.witnesses ?? []).map(win);
    return {
      log: (this.document.logs ?? []).filter((l) => l.origin === origin).map(win),
      witnesses,
      // never lowered to fit: a store that requires more witnesses than it lists does not parse,
      // and a caller asking for more than there are is refused by verifyCheckpoint
      quorum: quorum ?? this.document.witnessQuorum ?? 0,
      origin,
    };
  }

  toJSON(): TrustStoreDocument {
    return this.document;
  }
}

/** A trust-store key entry for a public key (what `custos pubkey` prints). */
export function trustedKeyEntry(
  alg: SignatureAlg,
  publicKey: Uint8Array,
  notBefore: Date | string,
  extra: { notAfter?: string; ageRecipients?: string[] } = {},
): z.infer<typeof trustedKeySchema> {
  const nb = typeof notBefore === 'string' ? notBefore : notBefore.toISOString();
  return { alg, publicKey: toBase64Url(publicKey), kid: toBase64Url(keyId(alg, publicKey)), notBefore: nb, ...extra };
}
