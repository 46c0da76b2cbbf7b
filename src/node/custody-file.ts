/**
 * Chains of custody on disk: one file per exhibit, the events as a CBOR sequence.
 *
 * Appending is atomic by replacement: under an exclusive lock (`<file>.lock`, created with
 * O_EXCL, holding the owner's pid), the whole new chain is written by the one atomic writer (an
 * exclusive temp file under a random name in the same directory, fsynced, renamed over the old
 * file, the directory fsynced; temp files of crashed writers are removed). A crash leaves
 * either the old chain or the new one, never a torn event, so no recovery pass is needed; the
 * cost is rewriting the file per append, which is small (an event is a few hundred bytes: ten
 * thousand events are ~3 MB). A second writer gets ERR_LOCKED instead of silently losing an
 * event to a lost update. A lock left by a crashed process (its pid no longer runs on this host)
 * is broken; locks do not work across hosts sharing a network file system.
 */
import * as fs from 'node:fs/promises';
import { CustosError } from '../errors.js';
import { appendEvent, createChain, type AppendOptions, type AppendResult, type CustodyEventInput } from '../custody/append.js';
import { MAX_CHAIN_FILE_BYTES, parseChain, serializeChain, type CustodyChain } from '../custody/chain.js';
import { refusedChainReport, verifyChain, type ChainReport, type VerifyChainOptions } from '../custody/verify.js';
import type { Signer } from '../keys/signing.js';
import type { TrustStore } from '../keys/trust.js';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { acquirePidLock } from './lock.js';

function ioError(what: string, e: unknown): CustosError {
  return new CustosError('ERR_IO', `${what} failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
}

/** Takes `<file>.lock` (the one pid lock, see lock.ts); returns its release function, or throws ERR_LOCKED. */
export async function lockChainFile(file: string): Promise<() => Promise<void>> {
  const lock = await acquirePidLock(`${file}.lock`, 'ERR_LOCKED', file);
  return () => lock.release();
}

/**
 * Replaces `file` atomically and durably with the one atomic writer: an exclusive temp file under
 * a random name (a planted symlink is never followed), fsync, rename, directory fsync; temp files
 * of dead writers are removed first. The temp name of earlier versions (`.<file>.custos-tmp`,
 * fixed, opened with 'w': it followed a planted symlink and overwrote its target) is unlinked
 * if present (unlink removes a link, never its target).
 */
async function replaceUnderLock(file: string, data: Uint8Array): Promise<void> {
  await fs.unlink(join(dirname(file), `.${basename(file)}.custos-tmp`)).catch(() => undefined);
  try {
    await writeFileAtomic(file, data, 0o644);
  } catch (e) {
    throw e instanceof CustosError ? e : ioError(`writing ${file}`, e);
  }
}

/**
 * Reads and parses a chain file (strict: every event must decode; signatures are not checked,
 * use {@link verifyChainFile} for that).
 */
export async function readChainFile(file: string): Promise<CustodyChain> {
  return parseChain(await readBounded(file));
}

/** Reads a chain file, refusing (ERR_LIMIT) one larger than {@link MAX_CHAIN_FILE_BYTES} before reading it. */
async function readBounded(file: string): Promise<Uint8Array> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(file, 'r');
    const { size } = await h.stat();
    if (size > MAX_CHAIN_FILE_BYTES) throw new CustosError('ERR_LIMIT', `${file} is larger than ${MAX_CHAIN_FILE_BYTES} bytes`);
    return new Uint8Array(await h.readFile());
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw ioError(`reading ${file}`, e);
  } finally {
    await h?.close();
  }
}

/**
 * Verifies a chain file; see {@link verifyChain}.
 *
 * @example
 * ```ts
 * const report = await verifyChainFile('exhibits/17.chain', trust);
 * ```
 */
export async function verifyChainFile(file: string, trust: TrustStore, opts: VerifyChainOptions = {}): Promise<ChainReport> {
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(file);
  } catch (e) {
    if (e instanceof CustosError && e.code === 'ERR_LIMIT') return refusedChainReport(e);
    throw e;
  }
  return verifyChain(bytes, trust, opts);
}

export interface AppendFileOptions extends AppendOptions {
  /**
   * Create the file with this chain id when it does not exist or is empty (an initialised chain,
   * see chain-file.ts); a file holding another chain is refused (ERR_CHAIN_ID). Default: the file
   * must exist and hold events.
   */
  readonly create?: string;
  /**
   * Called with the signed event before the chain file is written, under the file's lock (e.g.
   * to log the event and store its receipts); if it throws, the file is left as it was.
   */
  readonly beforeWrite?: (out: AppendResult) => Promise<void>;
  /** Called with the chain as read, under the lock, before the event is signed (e.g. to verify it). */
  readonly beforeAppend?: (chain: CustodyChain) => void | Promise<void>;
}

/**
 * Appends a signed event to a chain file, atomically, refusing concurrent writers (ERR_LOCKED)
 * and events the custody rules reject (their code, before anything is written).
 *
 * @example
 * ```ts
 * await appendEventToFile('exhibits/17.chain', { type: 'accessed', actor }, key, { trust });
 * ```
 */
export async function appendEventToFile(
  file: string,
  input: CustodyEventInput,
  signer: Signer,
  opts: AppendFileOptions = {},
): Promise<AppendResult> {
  const release = await lockChainFile(file);
  try {
    let chain: CustodyChain;
    let exists = true;
    try {
      await fs.access(file);
    } catch {
      exists = false;
    }
    const bytes = exists ? await readBounded(file) : undefined;
    if (bytes !== undefined && (bytes.length > 0 || opts.create === undefined)) chain = parseChain(bytes);
    else if (opts.create !== undefined) chain = createChain(opts.create);
    else throw new CustosError('ERR_IO', `${file} does not exist`);
    if (opts.create !== undefined && chain.id !== opts.create) {
      throw new CustosError('ERR_CHAIN_ID', `${file} holds chain "${chain.id}", not "${opts.create}"`);
    }
    await opts.beforeAppend?.(chain);
    const out = await appendEvent(chain, input, signer, opts);
    await opts.beforeWrite?.(out);
    await replaceUnderLock(file, serializeChain(out.chain));
    return out;
  } finally {
    await release();
  }
}
