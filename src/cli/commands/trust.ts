/**
 * `custos trust init|add|revoke|list`: build and keep a trust store from the shell. Every change
 * is validated as a whole (TrustStore.parse) before it is written, and written atomically
 * (exclusive temp, fsync, rename): a failed or interrupted command leaves the old file intact.
 */
import { readFile } from 'node:fs/promises';
import { utf8 } from '../../bytes.js';
import { CustosError, fail } from '../../errors.js';
import { TrustStore, type TrustStoreDocument } from '../../keys/trust.js';
import { NOTE_TYPE_COSIGNATURE, NOTE_TYPE_ED25519, parseVerifierKey } from '../../log/notekeys.js';
import { writeFileAtomic } from '../../node/files.js';
import { isInstantText } from '../../request/time.js';
import type { Command, Values } from '../command.js';
import { noReplace, refuseExisting, str, strs } from '../command.js';
import { UsageError } from '../io.js';
import { readKeyFile, trustDocumentFor } from '../keyfile.js';

const MAX_TRUST_BYTES = 16 << 20;

async function load(path: string): Promise<TrustStoreDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
  }
  if (text.length > MAX_TRUST_BYTES) fail('ERR_LIMIT', `${path} is larger than ${MAX_TRUST_BYTES} bytes`);
  return TrustStore.parse(text).document;
}

async function save(path: string, doc: TrustStoreDocument, opts: { noReplace?: boolean } = {}): Promise<TrustStore> {
  const store = TrustStore.parse(doc); // the whole document, before anything is written
  await writeFileAtomic(path, utf8(`${JSON.stringify(store.document, null, 2)}\n`), 0o644, { noReplace: opts.noReplace === true });
  return store;
}

/** An ISO 8601 instant with a zone (the trust store's own rule), or a usage error naming the option. */
function instantOption(v: Values, name: string): string | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  if (!isInstantText(s)) throw new UsageError(`--${name} expects an ISO 8601 instant with a zone, such as 2026-12-04T10:00:00Z`);
  return s;
}

/** Authorities from a key file or from `custos pubkey` output (a trust-store document). */
async function authoritiesFrom(path: string): Promise<TrustStoreDocument['authorities']> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CustosError('ERR_TRUST_STORE', `${path} is not JSON`, { cause: e });
  }
  if (typeof json === 'object' && json !== null && 'signing' in json) {
    // a key file: only its public part is taken (never its secrets)
    return trustDocumentFor([await readKeyFile(path)]).authorities;
  }
  return TrustStore.parse(json).document.authorities;
}

export const trustInit: Command = {
  name: 'trust init',
  summary: 'create an empty trust store (refuses an existing file unless --force)',
  synopsis: '-o FILE [--force]',
  example: 'custos trust init -o trust.json',
  options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
  async run(v, _args, io) {
    const out = str(v, 'output', true);
    await refuseExisting(v, out);
    await save(out, { version: 1, authorities: [] }, { noReplace: noReplace(v) });
    io.info(`wrote ${out}: an empty trust store`);
    io.result({ ok: true, file: out });
    return 0;
  },
};

export const trustAdd: Command = {
  name: 'trust add',
  summary: 'add authorities (key files or `custos pubkey` output), log keys and witness keys to a trust store',
  synopsis: 'FILE [--authority KEYFILE|PUBKEY.json]… [--log VKEY [--origin O]]… [--witness VKEY]… [--quorum N] [--not-before T] [--not-after T]',
  details: [
    '  --authority F     an authority key file (only its public part is read) or the output of',
    '                    `custos pubkey`; an id already in the store is refused',
    '  --log VKEY        a log\'s checkpoint key (C2SP verifier key, `custos log init` prints it);',
    '                    its origin is the key name unless --origin is given',
    '  --witness VKEY    a witness cosigning key (type 0x04)',
    '  --quorum N        how many distinct witnesses must cosign (at most the witnesses listed)',
    '  --not-before T, --not-after T   the validity window of the log and witness keys added',
  ].join('\n'),
  example: 'custos trust add trust.json --authority executor.pub.json --log "$(cat log.vkey)" --witness "$(cat w1.vkey)" --quorum 1',
  options: {
    authority: { type: 'string', multiple: true },
    log: { type: 'string', multiple: true },
    origin: { type: 'string' },
    witness: { type: 'string', multiple: true },
    quorum: { type: 'string' },
    'not-before': { type: 'string' },
    'not-after': { type: 'string' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const file = args[0]!;
    const doc = await load(file);
    const notBefore = instantOption(v, 'not-before');
    const notAfter = instantOption(v, 'not-after');
    const window = { ...(notBefore !== undefined ? { notBefore } : {}), ...(notAfter !== undefined ? { notAfter } : {}) };
    const authorities = [...doc.authorities];
    const added: string[] = [];
    for (const path of strs(v, 'authority')) {
      for (const a of await authoritiesFrom(path)) {
        if (authorities.some((x) => x.id === a.id)) throw new UsageError(`authority ${a.id} is already in ${file} (revoke its key, or edit the store)`);
        authorities.push(a);
        added.push(`authority ${a.id}`);
      }
    }
    const logs = [...(doc.logs ?? [])];
    const origin = str(v, 'origin');
    for (const vkey of strs(v, 'log')) {
      const k = parseVerifierKey(vkey);
      if (k.type !== NOTE_TYPE_ED25519) throw new UsageError('--log expects an Ed25519 checkpoint key (type 0x01)');
      if (logs.some((l) => l.vkey === vkey)) throw new UsageError(`log key ${k.name} is already in ${file}`);
      logs.push({ origin: origin ?? k.name, vkey, ...window });
      added.push(`log ${origin ?? k.name}`);
    }
    const witnesses = [...(doc.witnesses ?? [])];
    for (const vkey of strs(v, 'witness')) {
      const k = parseVerifierKey(vkey);
      if (k.type !== NOTE_TYPE_COSIGNATURE) throw new UsageError('--witness expects a cosignature key (type 0x04)');
      if (witnesses.some((w) => w.vkey === vkey)) throw new UsageError(`witness key ${k.name} is already in ${file}`);
      witnesses.push({ name: k.name, vkey, ...window });
      added.push(`witness ${k.name}`);
    }
    const q = str(v, 'quorum');
    if (q !== undefined && !/^\d{1,3}$/.test(q)) throw new UsageError('--quorum expects a small integer');
    const next: TrustStoreDocument = {
      ...doc,
      authorities,
      ...(logs.length > 0 ? { logs } : {}),
      ...(witnesses.length > 0 ? { witnesses } : {}),
      ...(q !== undefined ? { witnessQuorum: Number(q) } : {}),
    };
    if (added.length === 0 && q === undefined) throw new UsageError('nothing to add: give --authority, --log, --witness or --quorum');
    await save(file, next);
    for (const a of added) io.out(`added ${a}`);
    if (q !== undefined) io.out(`witness quorum ${q}`);
    io.result({ ok: true, file, added, ...(q !== undefined ? { witnessQuorum: Number(q) } : {}) });
    return 0;
  },
};

export const trustRevoke: Command = {
  name: 'trust revoke',
  summary: 'record the revocation time of an authority key, a log key or a witness key',
  synopsis: 'FILE (--authority ID [--kid KID] | --log ORIGIN | --witness NAME) --at TIME',
  details: [
    '  --at TIME   when the key stopped being trustworthy (ISO 8601 with a zone). Signatures whose',
    '              witnessed time is at or after it fail; earlier ones stay valid.',
    '  --kid KID   which key of the authority (base64url RFC 9679 kid); needed when it has several',
  ].join('\n'),
  example: 'custos trust revoke trust.json --authority IE-MAILSVC --at 2026-12-01T00:00:00Z',
  options: { authority: { type: 'string' }, kid: { type: 'string' }, log: { type: 'string' }, witness: { type: 'string' }, at: { type: 'string' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const file = args[0]!;
    const at = instantOption(v, 'at');
    if (at === undefined) throw new UsageError('--at is required');
    const which = ['authority', 'log', 'witness'].filter((k) => v[k] !== undefined);
    if (which.length !== 1) throw new UsageError('give exactly one of --authority, --log, --witness');
    const doc = await load(file);
    let what: string;
    let next: TrustStoreDocument;
    if (which[0] === 'authority') {
      const id = str(v, 'authority', true);
      const kid = str(v, 'kid');
      const a = doc.authorities.find((x) => x.id === id);
      if (a === undefined) throw new UsageError(`no authority ${id} in ${file}`);
      const targets = a.keys.filter((k) => kid === undefined || k.kid === kid);
      if (targets.length === 0) throw new UsageError(`authority ${id} has no key ${kid ?? ''}`);
      if (kid === undefined && targets.length > 1) throw new UsageError(`authority ${id} has ${targets.length} keys: name one with --kid`);
      next = { ...doc, authorities: doc.authorities.map((x) => (x !== a ? x : { ...x, keys: x.keys.map((k) => (targets.includes(k) ? { ...k, revokedAt: at } : k)) })) };
      what = `authority ${id} key ${targets[0]!.kid ?? ''}`;
    } else if (which[0] === 'log') {
      const origin = str(v, 'log', true);
      if (!(doc.logs ?? []).some((l) => l.origin === origin)) throw new UsageError(`no log ${origin} in ${file}`);
      next = { ...doc, logs: (doc.logs ?? []).map((l) => (l.origin === origin ? { ...l, revokedAt: at } : l)) };
      what = `log ${origin}`;
    } else {
      const name = str(v, 'witness', true);
      if (!(doc.witnesses ?? []).some((w) => w.name === name)) throw new UsageError(`no witness ${name} in ${file}`);
      next = { ...doc, witnesses: (doc.witnesses ?? []).map((w) => (w.name === name ? { ...w, revokedAt: at } : w)) };
      what = `witness ${name}`;
    }
    await save(file, next);
    io.out(`revoked ${what} at ${at}`);
    io.result({ ok: true, file, revoked: what, at });
    return 0;
  },
};

export const trustList: Command = {
  name: 'trust list',
  summary: 'list what a trust store trusts: authorities and their keys, logs, witnesses, with validity windows',
  synopsis: 'FILE [--json]',
  example: 'custos trust list trust.json',
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(_v, args, io) {
    const doc = await load(args[0]!);
    const win = (k: { notBefore?: string | undefined; notAfter?: string | undefined; revokedAt?: string | undefined }): string =>
      [k.notBefore !== undefined ? `from ${k.notBefore}` : '', k.notAfter !== undefined ? `until ${k.notAfter}` : '', k.revokedAt !== undefined ? `REVOKED ${k.revokedAt}` : ''].filter((x) => x !== '').join(', ');
    for (const a of doc.authorities) {
      io.out(`authority ${a.id}: ${a.name} (${a.jurisdiction}), roles ${a.roles.join(', ') || '(none)'}`);
      for (const k of a.keys) io.out(`  ${k.alg} key ${k.kid ?? ''} ${win(k)}`);
    }
    for (const l of doc.logs ?? []) io.out(`log ${l.origin}: ${l.vkey} ${win(l)}`);
    for (const w of doc.witnesses ?? []) io.out(`witness ${w.name}: ${w.vkey} ${win(w)}`);
    io.out(`witness quorum ${doc.witnessQuorum ?? 0}`);
    io.result({ ok: true, trust: doc });
    return 0;
  },
};
