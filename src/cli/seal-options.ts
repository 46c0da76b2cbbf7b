/**
 * The seal options of the CLI (`custos seal`, `custos bundle create --seal-item`), parsed and
 * checked before a byte of the input is read: the item id (the bundle's rule: it becomes a member
 * name), recipients (`--recipient`, `--to`), the acquisition hashes (`--hash`), the digests an
 * imaging tool reported (`--reported ALG=HEX`) and the seal context.
 *
 * `--to` takes, in this order: a public age recipient (`age1…`, `age1pq1…`); an authority id of
 * the trust store given with `--trust` (its current keys' age recipients); a file holding
 * `custos pubkey` output (a trust-store document of one authority) or a key file; or that
 * `custos pubkey` JSON itself. A name that is both an authority id and a file is refused as
 * ambiguous. From an authority or a key file with post-quantum recipients only those are taken
 * (the item stays quantum-resistant), else its X25519 ones. No secret key is ever needed.
 */
import { stat } from 'node:fs/promises';
import { AtomicWriter } from '../node/files.js';
import { isItemId } from '../bundle/naming.js';
import { CustosError } from '../errors.js';
import { parseAgeRecipient } from '../keys/age.js';
import { TrustStore, type Authority } from '../keys/trust.js';
import { hashAlg, parseHashList, planDigests, type HashAlg } from '../seal/digests.js';
import type { SealContext } from '../seal/manifest.js';
import { str, strs, type Options, type Values } from './command.js';
import { readInput, UsageError } from './io.js';
import { readKeyFile } from './keyfile.js';

/** The options of a sealing command, besides the signer's. */
export const SEAL_OPTIONS: Options = {
  recipient: { type: 'string', multiple: true, short: 'r' },
  to: { type: 'string', multiple: true },
  trust: { type: 'string', short: 't' },
  case: { type: 'string' },
  purpose: { type: 'string' },
  'legal-basis': { type: 'string' },
  request: { type: 'string' },
  restriction: { type: 'string', multiple: true },
  retention: { type: 'string' },
  'allow-mixed-pq': { type: 'boolean' },
  hash: { type: 'string' },
  reported: { type: 'string', multiple: true },
};

/** Help lines for {@link SEAL_OPTIONS}. */
export const SEAL_HELP = [
  '  -r, --recipient R  age1… or age1pq1… (repeatable)',
  '  --to WHO         a recipient (age1…/age1pq1…), an authority id of --trust FILE, a file of `custos pubkey`',
  '                   output (or that JSON itself), or a key file; post-quantum recipients only when it has any',
  '  --allow-mixed-pq accept a post-quantum recipient together with a classic one (else ERR_PQ_MIXED);',
  '                   the seal\'s signed context then records that the item is not quantum-resistant',
  '  --hash LIST      acquisition hashes of the plaintext, same read: sha256 (default), sha1, md5, sha512',
  '  --reported ALG=HEX  a digest the imaging tool reported (repeatable); a mismatch fails the seal',
  '                   (ERR_DIGEST_MISMATCH, exit 1) and no output file appears',
  '  The item id must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} (it names the bundle member); it is checked',
  '  with every other option before the input is read.',
].join('\n');

/** Everything a seal needs from the command line, checked. */
export interface CliSealPlan {
  readonly id: string;
  readonly recipients: string[];
  readonly context: SealContext;
  readonly hashes: HashAlg[];
  readonly reported: Partial<Record<HashAlg, string>>;
  readonly allowMixedPostQuantum: boolean;
}

/** Refuses an item id the bundle would refuse (exit 2), before anything is read. */
export function checkItemId(id: string, flag = '--id'): string {
  if (!isItemId(id)) throw new UsageError(`${flag} ${JSON.stringify(id)}: an item id must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} (it becomes a file name in the bundle)`);
  return id;
}

/** Parses and checks the seal options (`id` given by the caller: `--id` or `--seal-item ID=…`). */
export async function sealPlan(v: Values, id: string, idFlag = '--id'): Promise<CliSealPlan> {
  checkItemId(id, idFlag);
  const hashList = str(v, 'hash');
  let hashes: HashAlg[];
  const reported: Partial<Record<HashAlg, string>> = {};
  try {
    hashes = hashList === undefined ? ['sha-256'] : parseHashList(hashList);
    for (const r of strs(v, 'reported')) {
      const eq = r.indexOf('=');
      if (eq <= 0) throw new UsageError(`--reported expects ALG=HEX, got ${JSON.stringify(r.slice(0, 80))}`);
      const a = hashAlg(r.slice(0, eq));
      if (reported[a] !== undefined) throw new UsageError(`--reported ${a} given twice`);
      reported[a] = r.slice(eq + 1);
    }
    planDigests(hashes, reported); // hex and lengths, now
  } catch (e) {
    if (e instanceof CustosError) throw new UsageError(`--hash/--reported: ${e.message}`);
    throw e;
  }
  const recipients = await resolveRecipients(strs(v, 'recipient'), strs(v, 'to'), str(v, 'trust'));
  const request = str(v, 'request');
  const retention = str(v, 'retention');
  const restrictions = strs(v, 'restriction');
  const context: SealContext = {
    caseId: str(v, 'case', true),
    purpose: str(v, 'purpose', true),
    legalBasis: str(v, 'legal-basis', true),
    ...(request !== undefined ? { requestId: request } : {}),
    ...(retention !== undefined ? { retentionUntil: retention } : {}),
    ...(restrictions.length > 0 ? { restrictions } : {}),
  };
  return { id, recipients, context, hashes, reported, allowMixedPostQuantum: v['allow-mixed-pq'] === true };
}

/** Post-quantum recipients when there are any, else all: the item stays quantum-resistant. */
function preferPq(all: readonly string[]): string[] {
  const pq = all.filter((r) => r.startsWith('age1pq1'));
  return [...(pq.length > 0 ? pq : all)];
}

/** The age recipients of an authority's keys valid now (not before, not expired, not revoked). */
function currentRecipients(a: Authority, what: string): string[] {
  const now = Date.now();
  const live = a.keys.filter((k) => k.notBefore <= now && (k.notAfter === undefined || now < k.notAfter) && (k.revokedAt === undefined || now < k.revokedAt));
  const all = live.flatMap((k) => k.ageRecipients);
  if (all.length === 0) throw new UsageError(`--to ${what}: authority ${a.id} has no currently valid key with age recipients`);
  return preferPq(all);
}

/** Recipients of a `custos pubkey` document (a trust store of exactly one authority). */
function pubkeyRecipients(json: unknown, what: string): string[] {
  let t: TrustStore;
  try {
    t = TrustStore.parse(json as never);
  } catch (e) {
    throw new UsageError(`--to ${what}: not a recipient, an authority id, a key file or custos pubkey output (${e instanceof Error ? e.message : String(e)})`);
  }
  if (t.authorities.length !== 1) throw new UsageError(`--to ${what}: the document lists ${t.authorities.length} authorities; name one with --trust FILE --to ID`);
  return currentRecipients(t.authorities[0]!, what);
}

/** Largest trust store, key file or pubkey document `--to`/`--trust` reads (as `loadTrust`). */
const TO_FILE_MAX = 16 * 1024 * 1024;

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/**
 * The age recipients named by `--recipient` and `--to` (see the module comment), each checked as
 * an age recipient string. Usage errors (exit 2) for anything it cannot resolve.
 */
export async function resolveRecipients(recipient: readonly string[], to: readonly string[], trustPath: string | undefined): Promise<string[]> {
  if (trustPath === '-') throw new UsageError('--trust names a file here (stdin may carry the evidence)');
  const trust = trustPath === undefined ? undefined : TrustStore.parse(new TextDecoder().decode(await readInput(trustPath, TO_FILE_MAX)));
  const out = [...recipient];
  for (const w of to) {
    const shown = JSON.stringify(w.length > 60 ? `${w.slice(0, 60)}…` : w);
    if (w.startsWith('age1')) {
      out.push(w);
      continue;
    }
    const authority = trust?.authority(w);
    const isFile = !w.trimStart().startsWith('{') && (await fileExists(w));
    if (authority !== undefined && isFile) throw new UsageError(`--to ${shown} is both an authority id of the trust store and a file: ambiguous`);
    if (authority !== undefined) {
      out.push(...currentRecipients(authority, shown));
      continue;
    }
    if (isFile) {
      const text = new TextDecoder().decode(await readInput(w, TO_FILE_MAX)); // bounded: ERR_LIMIT
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UsageError(`--to ${shown}: the file is neither a key file nor custos pubkey output (not JSON)`);
      }
      if ((json as { type?: unknown } | null)?.type === 'custos-authority-key') out.push(...preferPq((await readKeyFile(w)).recipients));
      else out.push(...pubkeyRecipients(json, shown));
      continue;
    }
    if (w.trimStart().startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(w);
      } catch {
        throw new UsageError(`--to ${shown}: not valid JSON`);
      }
      out.push(...pubkeyRecipients(json, shown));
      continue;
    }
    throw new UsageError(`--to ${shown}: not an age recipient, ${trust === undefined ? 'no --trust FILE to look an authority id up in, ' : 'no authority of that id in the trust store, '}and no such file`);
  }
  if (out.length === 0) throw new UsageError('give at least one --recipient or --to');
  for (const r of out) {
    try {
      parseAgeRecipient(r);
    } catch (e) {
      throw new UsageError(`not an age recipient: ${JSON.stringify(r.slice(0, 70))} (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return [...new Set(out)];
}

/**
 * The `--digests-out` file, its temp file created now, before the input is read (a path that
 * cannot be written fails at once, not after a long seal with its outputs committed): `commit`
 * writes the digest map (JSON, 0644) under its name, `abort` removes the temp file (a no-op
 * after commit).
 */
export async function digestsOutFile(path: string | undefined, noReplace: boolean): Promise<{ commit(digests: Record<string, string>): Promise<void>; abort(): Promise<void> }> {
  if (path === undefined) return { commit: async () => undefined, abort: async () => undefined };
  const w = await AtomicWriter.create(path, 0o644, { noReplace });
  return {
    commit: async (digests) => {
      await w.write([new TextEncoder().encode(`${JSON.stringify(digests, null, 2)}\n`)]);
      await w.commit();
    },
    abort: () => w.abort(),
  };
}
