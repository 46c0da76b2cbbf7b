/**
 * Parsing the options of `custos custody …` into what the library takes: the chain id
 * (`--chain-id` or `--request R --item I`), digests (`--digest ALG=HEX`, `--digests FILE`),
 * the counterparty, the legal basis, derivations, seal references, and the log and witnesses
 * for `--log`.
 */
import { readFile } from 'node:fs/promises';
import { fromHex } from '../../bytes.js';
import type { CustodyEventInput } from '../../custody/append.js';
import { eventHash } from '../../custody/chain.js';
import { sealReference } from '../../custody/seal-ref.js';
import { CustosError } from '../../errors.js';
import type { TrustStore } from '../../keys/trust.js';
import { NOTE_TYPE_COSIGNATURE, parseSignerKey, parseVerifierKey } from '../../log/notekeys.js';
import { chainIdOf } from '../../node/chain-file.js';
import type { ChainLogOptions } from '../../node/chain-receipts.js';
import type { RemoteLogOptions } from '../../node/chain-receipts-remote.js';
import { readChainFile } from '../../node/custody-file.js';
import type { Options, Values } from '../command.js';
import { str, strs } from '../command.js';
import { UsageError, type Io } from '../io.js';
import { readLogKey } from '../logkey.js';

/** The digest algorithms the CLI takes, with their lengths in bytes (names as in custody events). */
export const DIGEST_LENGTHS: Readonly<Record<string, number>> = { 'sha-256': 32, 'sha-1': 20, md5: 16, 'sha-384': 48, 'sha-512': 64 };

export const CHAIN_ID_OPTIONS: Options = { 'chain-id': { type: 'string' }, request: { type: 'string' }, item: { type: 'string' } };

/** `--chain-id ID` or `--request R --item I` (the default policy's `<request>/<item>`), or undefined. */
export function chainIdOption(v: Values): string | undefined {
  const id = str(v, 'chain-id');
  const request = str(v, 'request');
  const item = str(v, 'item');
  if (id !== undefined && (request !== undefined || item !== undefined)) throw new UsageError('give --chain-id or --request/--item, not both');
  if ((request === undefined) !== (item === undefined)) throw new UsageError('--request and --item go together (the chain id is REQUEST/ITEM)');
  if (request !== undefined && item !== undefined) {
    if (item.includes('/')) throw new UsageError('--item must not contain "/"');
    return chainIdOf(request, item);
  }
  return id;
}

function digestValue(alg: string, hex: string, where: string): Uint8Array {
  const len = DIGEST_LENGTHS[alg];
  if (len === undefined) throw new UsageError(`${where}: unknown digest algorithm ${JSON.stringify(alg)} (one of ${Object.keys(DIGEST_LENGTHS).join(', ')})`);
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len * 2) throw new UsageError(`${where}: ${alg} expects ${len * 2} hex digits`);
  return fromHex(hex.toLowerCase());
}

/** The digests of `--digest ALG=HEX` (repeatable) and `--digests FILE` (a JSON map), merged. */
export async function digestsOption(v: Values): Promise<Record<string, Uint8Array> | undefined> {
  const out: Record<string, Uint8Array> = {};
  const put = (alg: string, value: Uint8Array, where: string): void => {
    const had = out[alg];
    if (had !== undefined && Buffer.compare(had, value) !== 0) throw new UsageError(`${where}: two different ${alg} digests`);
    out[alg] = value;
  };
  for (const d of strs(v, 'digest')) {
    const eq = d.indexOf('=');
    if (eq <= 0) throw new UsageError('--digest expects ALG=HEX, e.g. sha-256=…');
    put(d.slice(0, eq), digestValue(d.slice(0, eq), d.slice(eq + 1), '--digest'), '--digest');
  }
  const file = str(v, 'digests');
  if (file !== undefined) {
    let json: unknown;
    try {
      const text = await readFile(file, 'utf8');
      if (text.length > 64 * 1024) throw new UsageError(`--digests: ${file} is larger than 64 KiB`);
      json = JSON.parse(text);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new CustosError('ERR_IO', `--digests: cannot read ${file} as JSON`, { cause: e });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`--digests: ${file} must hold a JSON object {"sha-256": "<hex>", …}`);
    for (const [alg, hex] of Object.entries(json)) {
      if (typeof hex !== 'string') throw new UsageError(`--digests: the ${alg} value must be a hex string`);
      put(alg, digestValue(alg, hex, '--digests'), '--digests');
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `--counterparty AUTHORITY[:ROLE]` (split at the last colon). */
export function counterpartyOption(v: Values): CustodyEventInput['counterparty'] {
  const c = str(v, 'counterparty');
  if (c === undefined) return undefined;
  const i = c.lastIndexOf(':');
  const authority = i < 0 ? c : c.slice(0, i);
  const role = i < 0 ? undefined : c.slice(i + 1);
  if (authority === '' || role === '') throw new UsageError('--counterparty expects AUTHORITY or AUTHORITY:ROLE');
  return role === undefined ? { authority } : { authority, role };
}

/** `--authorisation TYPE=REF`. */
export function authorisationOption(v: Values): CustodyEventInput['authorisation'] {
  const a = str(v, 'authorisation');
  if (a === undefined) return undefined;
  const eq = a.indexOf('=');
  if (eq <= 0 || eq === a.length - 1) throw new UsageError('--authorisation expects TYPE=REFERENCE, e.g. EPOC=AT-WKSTA-2026-000417');
  return { type: a.slice(0, eq), reference: a.slice(eq + 1) };
}

/** `--derived-from ID=HEX` (an event hash) or `--derived-from CHAINFILE` (its id and last event). */
export async function derivedFromOption(v: Values): Promise<{ chainId: string; event: Uint8Array }[] | undefined> {
  const out: { chainId: string; event: Uint8Array }[] = [];
  for (const d of strs(v, 'derived-from')) {
    const m = /^(.+)=([0-9a-f]{64})$/.exec(d);
    if (m !== null) out.push({ chainId: m[1]!, event: fromHex(m[2]!) });
    else {
      const chain = await readChainFile(d);
      out.push({ chainId: chain.id, event: eventHash(chain.events[chain.events.length - 1]!) });
    }
  }
  return out.length > 0 ? out : undefined;
}

/** `--seal FILE` (a custos seal: its reference) and `--seal-number N` (a bag or seal number). */
export async function sealsOption(v: Values): Promise<string[] | undefined> {
  const out: string[] = [];
  for (const f of strs(v, 'seal')) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(f));
    } catch (e) {
      throw new CustosError('ERR_IO', `cannot read the seal ${f}`, { cause: e });
    }
    out.push(sealReference(bytes));
  }
  out.push(...strs(v, 'seal-number'));
  return out.length > 0 ? out : undefined;
}

export const LOG_OPTIONS: Options = {
  log: { type: 'string' },
  'log-key': { type: 'string' },
  witness: { type: 'string', multiple: true },
  'witness-key': { type: 'string', multiple: true },
  'token-file': { type: 'string' },
  'log-origin': { type: 'string' },
};

export const LOG_HELP = [
  '  --log DIR             append the signed event to this transparency log (C2SP tlog-tiles) and store',
  '                        its receipts in CHAIN.receipts/ (n.tlog-proof, n.receipt.cose), where',
  '                        bundle create --receipts ID=CHAIN.receipts takes them',
  '  --log-key FILE        the log key (custos log init --key), kept outside DIR',
  '  --witness URL=VKEY    an HTTP tlog-witness (custos serve witness) that must cosign the checkpoint',
  '                        in each receipt (repeatable); VKEY is its cosignature key in the trust store',
  '  --witness-key FILE    a co-located witness key (type 0x04) that cosigns locally (repeatable)',
  '  --log URL --token-file FILE   a log served by custos serve log (with --witness … --quorum N): the event',
  '                        is POSTed with the bearer token from FILE; the receipt is a tlog-proof against',
  '                        the log\'s published (witnessed) checkpoint, built from its tiles; --log-origin O',
  '                        names the log when the trust store lists several',
  '  Receipts are checked against the trust store (log key, witnesses, quorum) before they are stored.',
].join('\n');

/** Where `--log` sends events: a local log directory, or a `custos serve log` URL. */
export type LogTarget = { readonly kind: 'dir'; readonly opts: ChainLogOptions } | { readonly kind: 'url'; readonly opts: RemoteLogOptions };

async function remoteOption(v: Values, url: string, trust: TrustStore): Promise<LogTarget> {
  for (const o of ['log-key', 'witness', 'witness-key']) if (v[o] !== undefined) throw new UsageError(`--${o} is for --log DIR; with --log URL the server signs and its witnesses cosign`);
  const tokenFile = str(v, 'token-file');
  if (tokenFile === undefined) throw new UsageError('--log URL needs --token-file FILE (the bearer token, never on the command line)');
  let token: string | undefined;
  try {
    token = (await readFile(tokenFile, 'utf8')).split('\n').map((t) => t.trim()).find((t) => t !== '');
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read the token file ${tokenFile}`, { cause: e });
  }
  if (token === undefined || !/^[A-Za-z0-9._~+/=-]{1,1000}$/.test(token)) throw new UsageError(`${tokenFile} holds no bearer token`);
  const logs = trust.document.logs ?? [];
  const origin = str(v, 'log-origin') ?? (logs.length === 1 ? logs[0]!.origin : undefined);
  if (origin === undefined) throw new UsageError(`--log-origin O is needed: the trust store lists ${logs.length} logs`);
  return { kind: 'url', opts: { url, token, origin, trust } };
}

/** The log and witnesses of `--log DIR|URL`, or undefined without `--log`. */
export async function logOption(v: Values, trust: TrustStore, io: Io): Promise<LogTarget | undefined> {
  const dir = str(v, 'log');
  if (dir === undefined) {
    for (const o of ['log-key', 'witness', 'witness-key', 'token-file', 'log-origin']) if (v[o] !== undefined) throw new UsageError(`--${o} needs --log`);
    return undefined;
  }
  if (/^https?:\/\//.test(dir)) return remoteOption(v, dir, trust);
  for (const o of ['token-file', 'log-origin']) if (v[o] !== undefined) throw new UsageError(`--${o} is for --log URL`);
  const signer = await readLogKey(dir, str(v, 'log-key'), io, '--log-key');
  const witnesses = strs(v, 'witness').map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new UsageError('--witness expects URL=VKEY');
    const key = w.slice(i + 1);
    if (parseVerifierKey(key).type !== NOTE_TYPE_COSIGNATURE) throw new UsageError('--witness: VKEY must be a cosignature key (type 0x04)');
    return { url: w.slice(0, i), key };
  });
  const cosigners = [];
  for (const f of strs(v, 'witness-key')) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      throw new CustosError('ERR_IO', `cannot read the witness key ${f}`, { cause: e });
    }
    const k = parseSignerKey(text.trim());
    if (k.type !== NOTE_TYPE_COSIGNATURE) throw new UsageError(`--witness-key ${f} is not a cosignature key (type 0x04)`);
    cosigners.push(k);
  }
  return { kind: 'dir', opts: { dir, signer, trust, ...(witnesses.length > 0 ? { witnesses } : {}), ...(cosigners.length > 0 ? { cosigners } : {}) } };
}
