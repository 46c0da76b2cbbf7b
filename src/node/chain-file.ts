/**
 * Chain files as the CLI keeps them: `custody init` names the exhibit before anything happened
 * to it, and every append is checked against the trust store before it is signed.
 *
 * A chain file is the CBOR sequence of its events (custody-file.ts), so an empty chain has no
 * place for its id: `initChainFile` writes an empty chain file and, beside it, `<file>.id` (the
 * chain id, one line). Appending reads the id from the events, else from `<file>.id`; when both
 * exist they must agree, and an id the caller expects must equal them (ERR_CHAIN_ID): a chain
 * file swapped for another exhibit's is refused before anything is signed.
 *
 * The signer is checked against the trust store at the event's time (appendEvent's `trust`) and
 * also now: a key revoked or expired today is refused even for an event dated earlier. An event
 * dated in the future (beyond the signing clock skew) is refused (ERR_TIME_INVALID). The chain
 * as read is verified first (signatures, links, rules, keys, and the bundle verifier's time rule,
 * chain-times.ts; a pending transfer is allowed): an event is never appended to a tampered chain,
 * whose damage it would otherwise appear to vouch for.
 */
import * as fs from 'node:fs/promises';
import type { AppendResult, CustodyEventInput } from '../custody/append.js';
import type { EventRolePolicy } from '../custody/rules.js';
import { verifyChain } from '../custody/verify.js';
import { CustosError, fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import type { TrustStore } from '../keys/trust.js';
import { appendEventToFile } from './custody-file.js';
import { writeFileAtomic } from './files.js';
import { withChainTimes } from './chain-times.js';
import { SIGNED_TIME_SKEW_MS } from '../bundle/timeanchor.js';
import { timeArg } from '../time.js';

const MAX_ID_FILE = 1024;

/** The sidecar file holding the id of a chain file (written by {@link initChainFile}). */
export const chainIdFile = (file: string): string => `${file}.id`;

/** A chain id from its parts, as the default bundle policy requires it: `<request>/<item>`. */
export function chainIdOf(request: string, item: string): string {
  if (request.length === 0 || item.length === 0) fail('ERR_INVALID_ARGUMENT', 'request and item must not be empty');
  if (item.includes('/')) fail('ERR_INVALID_ARGUMENT', 'the item id must not contain "/"');
  return `${request}/${item}`;
}

function checkId(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) fail('ERR_INVALID_ARGUMENT', '"chainId" expected 1..200 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) fail('ERR_INVALID_ARGUMENT', '"chainId" must not contain control characters');
  return id;
}

async function exists(path: string): Promise<boolean> {
  return fs.lstat(path).then(() => true, () => false);
}

/**
 * Creates an empty chain file for `chainId` (and its `<file>.id`); refuses an existing file
 * (ERR_IO) unless `force`. Both files are written atomically.
 *
 * @example
 * ```ts
 * await initChainFile('disk.chain', chainIdOf('AT-WKSTA-2026-000417', 'disk'));
 * ```
 */
export async function initChainFile(file: string, chainId: string, opts: { readonly force?: boolean } = {}): Promise<void> {
  checkId(chainId);
  if (opts.force !== true && ((await exists(file)) || (await exists(chainIdFile(file))))) {
    throw new CustosError('ERR_IO', `${file} exists (use --force to replace it)`);
  }
  await writeFileAtomic(chainIdFile(file), new TextEncoder().encode(`${chainId}\n`), 0o644);
  await writeFileAtomic(file, new Uint8Array(0), 0o644);
}

/** The id `<file>.id` states, or undefined when there is none. */
export async function readChainIdFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    const h = await fs.open(chainIdFile(file), 'r');
    try {
      const { size } = await h.stat();
      if (size > MAX_ID_FILE) fail('ERR_LIMIT', `${chainIdFile(file)} is larger than ${MAX_ID_FILE} bytes`);
      text = await h.readFile('utf8');
    } finally {
      await h.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof CustosError) throw e;
    throw new CustosError('ERR_IO', `reading ${chainIdFile(file)} failed`, { cause: e });
  }
  const id = text.endsWith('\n') ? text.slice(0, -1) : text;
  try {
    return checkId(id);
  } catch {
    return fail('ERR_CHAIN_ID', `${chainIdFile(file)} does not hold a chain id`);
  }
}

export interface AppendChainOptions {
  /** Required: the signer's authority, role and key validity are checked before signing. */
  readonly trust: TrustStore;
  /** The chain id the caller expects (e.g. from `--request R --item I`). */
  readonly expectedId?: string;
  readonly roles?: EventRolePolicy;
  /** See {@link appendEventToFile}: runs under the lock, before the chain file is written. */
  readonly beforeWrite?: (out: AppendResult) => Promise<void>;
  /** "Now" for the key check (default Date.now()). */
  readonly now?: number;
}

/**
 * Appends one event to a chain file after checking the signer against the trust store (at the
 * event's time and now) and the chain id against `<file>.id` and `expectedId`.
 *
 * @example
 * ```ts
 * await appendToChainFile('disk.chain', { type: 'sealed', actor: { authority: 'IE-MAILSVC', role: 'custodian' } }, key, { trust });
 * ```
 */
export async function appendToChainFile(file: string, input: CustodyEventInput, signer: Signer, opts: AppendChainOptions): Promise<AppendResult> {
  if (opts?.trust === undefined) fail('ERR_INVALID_ARGUMENT', '"trust" is required');
  const nowMs = opts.now ?? Date.now();
  const now = opts.trust.lookup(signer.kid, nowMs);
  if (!now.ok) fail(now.code, `signer (now): ${now.reason}`);
  // an event cannot have happened yet (and a chain's times never go back: it would block every later event)
  if (input.time !== undefined && timeArg('time', input.time) > nowMs + SIGNED_TIME_SKEW_MS) {
    fail('ERR_TIME_INVALID', `the event's time is more than ${SIGNED_TIME_SKEW_MS / 60_000} min in the future`);
  }
  const sidecar = await readChainIdFile(file);
  if (sidecar !== undefined && opts.expectedId !== undefined && sidecar !== opts.expectedId) {
    fail('ERR_CHAIN_ID', `${file} is initialised for chain "${sidecar}", not "${opts.expectedId}"`);
  }
  const id = opts.expectedId ?? sidecar;
  return appendEventToFile(file, input, signer, {
    trust: opts.trust,
    ...(id !== undefined ? { create: id } : {}),
    ...(opts.roles !== undefined ? { roles: opts.roles } : {}),
    ...(opts.beforeWrite !== undefined ? { beforeWrite: opts.beforeWrite } : {}),
    beforeAppend: async (chain) => {
      if (chain.events.length === 0) return;
      const verified = verifyChain(chain.events, opts.trust, { expectedId: chain.id, allowPendingTransfer: true, ...(opts.roles !== undefined ? { roles: opts.roles } : {}) });
      // the bundle verifier's time rule too: a revoked key's back-dated event is not vouched for
      const report = verified.ok ? await withChainTimes(file, chain.events, opts.trust, verified, nowMs, { revokedByNow: true }) : verified;
      const first = report.failures[0];
      if (!report.ok) throw new CustosError(first?.code ?? 'ERR_VERIFICATION_FAILED', `refusing to append to ${file}: ${first !== undefined ? `${first.index < 0 ? 'chain' : `event ${first.index}`}: ${first.detail}` : 'the chain does not verify'}`);
    },
  });
}
