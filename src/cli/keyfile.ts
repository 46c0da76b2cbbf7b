/**
 * The authority key file `custos keygen` writes: one JSON document holding an authority's
 * signing key and its age identities (X25519, and the post-quantum hybrid with `--pq`), written
 * 0600 atomically. `custos pubkey` turns it into the public trust-store entry.
 */
import { chmod, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { generateIdentity, identityToRecipient } from '../keys/age.js';
import { SigningKey } from '../keys/signing.js';
import { trustedKeyEntry, type TrustStoreDocument } from '../keys/trust.js';
import { writeFileAtomic } from '../node/bundle-fs.js';

const keyFileSchema = z.strictObject({
  type: z.literal('custos-authority-key'),
  version: z.literal(1),
  created: z.string(),
  authority: z.strictObject({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(500),
    jurisdiction: z.string().regex(/^[A-Z]{2}$/),
    roles: z.array(z.string().min(1).max(100)).max(64),
  }),
  signing: z.strictObject({ alg: z.enum(['EdDSA', 'ES256']), secret: z.string(), publicKey: z.string() }),
  age: z.array(z.strictObject({ identity: z.string(), recipient: z.string() })).max(16),
});

export type KeyFileDocument = z.infer<typeof keyFileSchema>;

/** An authority key file, loaded. */
export interface AuthorityKeys {
  readonly doc: KeyFileDocument;
  readonly signer: SigningKey;
  /** age identity strings (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`). */
  readonly identities: readonly string[];
  readonly recipients: readonly string[];
}

export interface KeygenOptions {
  readonly id: string;
  readonly name?: string;
  readonly jurisdiction?: string;
  readonly roles?: readonly string[];
  readonly pq?: boolean;
  readonly created?: Date;
}

/** Generates an authority's keys: Ed25519 signing key, X25519 age identity, and a PQ hybrid one with `pq`. */
export function generateAuthorityKeys(o: KeygenOptions): KeyFileDocument {
  const key = SigningKey.generate();
  const secret = key.exportSecret();
  const age = [generateIdentity()];
  if (o.pq === true) age.unshift(generateIdentity({ pq: true }));
  const doc: KeyFileDocument = {
    type: 'custos-authority-key',
    version: 1,
    created: (o.created ?? new Date()).toISOString(),
    authority: { id: o.id, name: o.name ?? o.id, jurisdiction: o.jurisdiction ?? 'EU', roles: [...(o.roles ?? ['custodian'])] },
    signing: { alg: key.alg, secret: toBase64Url(secret), publicKey: toBase64Url(key.publicKey) },
    age,
  };
  secret.fill(0);
  return parseKeyDoc(doc).doc;
}

function parseKeyDoc(input: unknown): AuthorityKeys {
  const r = keyFileSchema.safeParse(input);
  if (!r.success) fail('ERR_KEY_FORMAT', `key file: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
  const doc = r.data;
  const signer = SigningKey.fromSecret(fromBase64Url(doc.signing.secret), doc.signing.alg);
  if (toBase64Url(signer.publicKey) !== doc.signing.publicKey) fail('ERR_KEY_FORMAT', 'key file: signing.publicKey does not match the secret');
  // A damaged identity next to an intact recipient would publish a recipient nobody can decrypt for.
  doc.age.forEach((a, i) => {
    let ok = false;
    try {
      ok = identityToRecipient(a.identity) === a.recipient;
    } catch {
      // the parse error's cause would quote the (secret) identity: report the position only
    }
    if (!ok) fail('ERR_KEY_FORMAT', `key file: age[${i}].identity is malformed or does not match its recipient`);
  });
  return { doc, signer, identities: doc.age.map((a) => a.identity), recipients: doc.age.map((a) => a.recipient) };
}

/** Writes a key file 0600, atomically; `noReplace`: an existing file is an ERR_EXISTS, never replaced. */
export async function writeKeyFile(path: string, doc: KeyFileDocument, opts: { noReplace?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, utf8(`${JSON.stringify(doc, null, 2)}\n`), 0o600, { noReplace: opts.noReplace === true });
  await chmod(path, 0o600); // the umask cannot widen it, but an existing file's mode must not survive either
}

/** Reads and checks a key file. */
export async function readKeyFile(path: string): Promise<AuthorityKeys> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CustosError('ERR_KEY_FORMAT', `${path} is not a custos key file (not JSON)`, { cause: e });
  }
  return parseKeyDoc(json);
}

/** The public part of one or more key files, as a trust-store document. */
export function trustDocumentFor(keys: readonly AuthorityKeys[], extra: Partial<Pick<TrustStoreDocument, 'logs' | 'witnesses' | 'witnessQuorum'>> = {}): TrustStoreDocument {
  return {
    version: 1,
    authorities: keys.map((k) => ({
      ...k.doc.authority,
      keys: [trustedKeyEntry(k.signer.alg, k.signer.publicKey, k.doc.created, { ageRecipients: [...k.recipients] })],
    })),
    ...extra,
  };
}
