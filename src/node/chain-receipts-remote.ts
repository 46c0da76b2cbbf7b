/**
 * Receipts of a chain file from a log served by `custos serve log` (`--log URL`): the event is
 * POSTed to `URL/add` with a bearer token; its receipt is a C2SP tlog-proof built from the
 * served tiles against the log's *published* checkpoint, the one the server serves only once its
 * witness quorum cosigned it (serve log --witness … --quorum N). Nothing the server says is taken
 * on trust: the checkpoint must verify under the trust store's log key, witnesses and quorum, and
 * the entry and proof are checked against its root before anything is stored.
 *
 * The server publishes asynchronously, so a receipt may not be ready when the append returns: it
 * stays `<n>.pending` (the log index) until a later append or the hand-over issues it. At the
 * hand-over every receipt is re-issued against the newest published checkpoint, so all receipts
 * of the bundle are for one tree and need no consistency receipt (those are signed by the log
 * key, which only the server holds). The server's own COSE receipt is for an unwitnessed tree and
 * is not kept.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { fromUtf8, utf8 } from '../bytes.js';
import { parseReceiptName, receiptFileName } from '../bundle/naming.js';
import { CustosError, fail } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import { tiledEntry, tiledInclusionProof } from '../log/tiledlog.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../log/tlogproof.js';
import { verifyCheckpoint } from '../log/witness.js';
import { httpTileFetcher } from '../server/client.js';
import { writeFileAtomic } from './files.js';

const PENDING = /^(0|[1-9][0-9]{0,8})\.pending$/;
const MAX_ANSWER = 1 << 20;

export interface RemoteLogOptions {
  /** The log's URL prefix (what `custos serve log` prints), e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** A bearer token allowed to append (read from a file, never from argv). */
  readonly token: string;
  /** The log's origin (its checkpoint's first line), as the trust store lists it. */
  readonly origin: string;
  readonly trust: TrustStore;
  /** How long to wait for the published checkpoint to cover a new entry (ms, default 10,000). */
  readonly waitMs?: number;
  readonly timeoutMs?: number;
}

const base = (url: string): string => url.replace(/\/?$/, '/');

function policyOf(opts: RemoteLogOptions): ReturnType<TrustStore['checkpointPolicy']> {
  const policy = opts.trust.checkpointPolicy(opts.origin);
  if (policy.log.length === 0) fail('ERR_NOTE_UNVERIFIED', `the trust store lists no log with origin ${opts.origin} (custos trust add --log VKEY)`);
  return policy;
}

/** POSTs the entry to URL/add; resolves to its index. */
async function postEntry(opts: RemoteLogOptions, entry: Uint8Array): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${base(opts.url)}add`, {
      method: 'POST',
      body: new Blob([new Uint8Array(entry)]),
      headers: { Authorization: `Bearer ${opts.token}`, 'Content-Type': 'application/octet-stream' },
      redirect: 'error',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new CustosError('ERR_HTTP', `POST ${base(opts.url)}add failed`, { cause: e });
  }
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > MAX_ANSWER) fail('ERR_LIMIT', `the log's answer is larger than ${MAX_ANSWER} bytes`);
    chunks.push(c);
  }
  if (res.status !== 200) fail('ERR_HTTP', `the log answered ${res.status} to the append`);
  const body = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) (body.set(c, o), (o += c.length));
  let index: unknown;
  try {
    index = (JSON.parse(fromUtf8(body)) as { index?: unknown }).index;
  } catch (e) {
    throw new CustosError('ERR_HTTP', 'the log answered the append with malformed JSON', { cause: e });
  }
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) fail('ERR_HTTP', 'the log answered the append without an index');
  return index;
}

/** The published checkpoint, verified under the trust store's policy (quorum included). */
async function publishedCheckpoint(opts: RemoteLogOptions): Promise<{ text: string; size: number }> {
  const raw = await httpTileFetcher(base(opts.url), opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {})('checkpoint');
  if (raw === null) fail('ERR_WITNESS_QUORUM', 'the log has published no witnessed checkpoint yet');
  const text = fromUtf8(raw);
  const rep = verifyCheckpoint(text, policyOf(opts));
  if (!rep.ok || rep.checkpoint === undefined) {
    const f = rep.checks.find((c) => !c.ok);
    throw new CustosError(f?.code ?? 'ERR_NOTE_UNVERIFIED', `the log's published checkpoint does not verify against the trust store: ${f?.detail ?? ''}`);
  }
  return { text, size: rep.checkpoint.size };
}

/** Issues (stores) the tlog-proof of event `n` (log index `index`) against `cp`; false when cp does not cover it. */
async function issueOne(opts: RemoteLogOptions, dir: string, n: number, index: number, entry: Uint8Array, cp: { text: string; size: number }): Promise<boolean> {
  if (index >= cp.size) return false;
  const fetcher = httpTileFetcher(base(opts.url), opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  const logged = await tiledEntry(fetcher, index, cp.size);
  if (Buffer.compare(logged, entry) !== 0) fail('ERR_RECEIPT_INVALID', `the log holds other bytes at index ${index} than event ${n}`);
  const proof = await tiledInclusionProof(fetcher, index, cp.size);
  const text = formatTlogProof({ index, proof, checkpoint: cp.text });
  const rep = verifyTlogProof(text, { entry, keys: policyOf(opts) });
  if (!rep.ok) {
    const f = rep.checks.find((c) => !c.ok);
    throw new CustosError(f?.code ?? 'ERR_RECEIPT_INVALID', `the receipt of event ${n} does not verify against the trust store: ${f?.detail ?? ''}`);
  }
  await writeFileAtomic(join(dir, receiptFileName(n, 'tlog-proof')), utf8(text), 0o644);
  await fs.rm(join(dir, receiptFileName(n, 'receipt.cose')), { force: true });
  await fs.rm(join(dir, `${n}.pending`), { force: true });
  return true;
}

/** Every event of `dir` with its log index: pending ones and those with a tlog-proof. */
async function indexed(dir: string): Promise<{ n: number; index: number }[]> {
  const out = new Map<number, number>();
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
    const m = PENDING.exec(name);
    if (m !== null) {
      const im = /^(0|[1-9][0-9]{0,15})\n$/.exec(await fs.readFile(join(dir, name), 'utf8'));
      if (im === null) fail('ERR_RECEIPT_MALFORMED', `${join(dir, name)} does not hold a log index`);
      out.set(Number(m[1]), Number(im[1]));
    } else if (parseReceiptName(name)?.kind === 'tlog-proof') {
      out.set(parseReceiptName(name)!.event, parseTlogProof(await fs.readFile(join(dir, name), 'utf8')).index);
    }
  }
  return [...out].map(([n, index]) => ({ n, index })).sort((a, b) => a.n - b.n);
}

function entryOf(events: readonly Uint8Array[], n: number, dir: string): Uint8Array {
  const e = events[n];
  if (e === undefined) fail('ERR_RECEIPT_INVALID', `${dir} names event ${n}, which the chain does not have`);
  return e;
}

/**
 * Appends event `n` to the served log and issues the receipts of `dir` that the published
 * checkpoint covers, waiting up to `waitMs` for it to cover the new entry.
 *
 * @example
 * ```ts
 * await logEventRemote({ url, token, origin, trust }, 'disk.chain.receipts', 0, event, [event]);
 * ```
 */
export async function logEventRemote(opts: RemoteLogOptions, dir: string, n: number, event: Uint8Array, events: readonly Uint8Array[]): Promise<{ index: number; issued: number[]; pending: number[] }> {
  policyOf(opts);
  await fs.mkdir(dir, { recursive: true });
  for (const kind of ['pending', 'tlog-proof', 'receipt.cose']) await fs.rm(join(dir, `${n}.${kind}`), { force: true });
  const index = await postEntry(opts, event);
  await writeFileAtomic(join(dir, `${n}.pending`), utf8(`${index}\n`), 0o644);
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  const issued: number[] = [];
  for (;;) {
    const cp = await publishedCheckpoint(opts).catch((e: unknown) => {
      if (e instanceof CustosError && e.code === 'ERR_WITNESS_QUORUM' && Date.now() < deadline) return undefined;
      throw e;
    });
    if (cp !== undefined) {
      for (const p of await indexed(dir)) {
        const pendingNow = await fs.access(join(dir, `${p.n}.pending`)).then(() => true, () => false);
        if (pendingNow && (await issueOne(opts, dir, p.n, p.index, entryOf(events, p.n, dir), cp))) issued.push(p.n);
      }
      if (cp.size > index || Date.now() >= deadline) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pending = (await fs.readdir(dir)).filter((x) => PENDING.test(x)).map((x) => Number(x.split('.')[0])).sort((a, b) => a - b);
  return { index, issued, pending };
}

/**
 * The hand-over against a served log: every receipt of every chain is (re-)issued against the
 * newest published checkpoint, which is written to `out/checkpoint`. Refuses (ERR_RECEIPT_DEFERRED)
 * when that checkpoint does not yet cover an event.
 */
export async function handOverRemote(opts: RemoteLogOptions, chains: readonly { readonly dir: string; readonly events: readonly Uint8Array[] }[], out: string): Promise<{ checkpoint: string; size: number; consistency: never[]; issued: { dir: string; events: number[] }[] }> {
  const cp = await publishedCheckpoint(opts);
  const issued: { dir: string; events: number[] }[] = [];
  for (const c of chains) {
    const done: number[] = [];
    for (const p of await indexed(c.dir)) {
      if (!(await issueOne(opts, c.dir, p.n, p.index, entryOf(c.events, p.n, c.dir), cp))) {
        fail('ERR_RECEIPT_DEFERRED', `the published checkpoint (size ${cp.size}) does not cover event ${p.n} yet (log index ${p.index}): try again once the witnesses cosigned`);
      }
      done.push(p.n);
    }
    issued.push({ dir: c.dir, events: done });
  }
  await fs.mkdir(out, { recursive: true });
  for (const name of await fs.readdir(out)) if (/^consistency-\d+\.receipt\.cose$/.test(name)) await fs.rm(join(out, name), { force: true });
  await writeFileAtomic(join(out, 'checkpoint'), utf8(cp.text), 0o644);
  return { checkpoint: cp.text, size: cp.size, consistency: [], issued };
}
