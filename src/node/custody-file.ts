/**
 * Chains of custody on disk: one file per exhibit, the events as a CBOR sequence.
 *
 * Appending is atomic by replacement: under an exclusive lock (`<file>.lock`, created with
 * O_EXCL, holding the owner's pid), the whole new chain is written to `.<file>.custos-tmp` in the
 * same directory, fsynced, renamed over the old file, and the directory fsynced (a temp file left
 * by a crashed writer is overwritten by the next append). A crash leaves
 * either the old chain or the new one, never a torn event, so no recovery pass is needed; the
 * cost is rewriting the file per append, which is small (an event is a few hundred bytes: ten
 * thousand events are ~3 MB). A second writer gets ERR_LOCKED instead of silently losing an
 * event to a lost update. A lock left by a crashed process (its pid no longer runs on this host)
 * is broken; locks do not work across hosts sharing a network file system.
 */
import * as fs from 'node:fs/promises';
import { CustosError } from '../errors.js';
import { appendEvent, createChain, type AppendOptions, type CustodyEventInput } from '../custody/append.js';
import { MAX_CHAIN_FILE_BYTES, parseChain, serializeChain, type CustodyChain } from '../custody/chain.js';
import { refusedChainReport, verifyChain, type ChainReport, type VerifyChainOptions } from '../custody/verify.js';
import type { Signer } from '../keys/signing.js';
import type { TrustStore } from '../keys/trust.js';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './pid.js';

function ioError(what: string, e: unknown): CustosError {
  return new CustosError('ERR_IO', `${what} failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
}

async function lockPid(path: string): Promise<number | undefined> {
  try {
    const s = await fs.readFile(path, 'utf8');
    return /^[1-9]\d{0,9}\n$/.test(s) ? Number(s.trim()) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading the lock', e);
  }
}

/** Takes `<file>.lock`; returns its release function, or throws ERR_LOCKED. */
export async function lockChainFile(file: string): Promise<() => Promise<void>> {
  const path = `${file}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await fs.open(path, 'wx', 0o644);
      try {
        await h.writeFile(`${process.pid}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      return async () => {
        if ((await lockPid(path)) === process.pid) await fs.rm(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('creating the lock', e);
    }
    let pid = await lockPid(path);
    if (pid === undefined) {
      // being written this instant, or garbage: look again after a moment
      await new Promise((r) => setTimeout(r, 25));
      pid = await lockPid(path);
    }
    if (pid !== undefined && pidAlive(pid)) throw new CustosError('ERR_LOCKED', `${file} is locked by running process ${pid}`);
    // stale (its owner died): move it aside, and put it back if someone else took it meanwhile
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      await fs.rename(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioError('breaking a stale lock', e);
    }
    const moved = await lockPid(aside);
    if (moved !== undefined && moved !== pid && pidAlive(moved)) {
      await fs.rename(aside, path).catch(() => undefined);
      throw new CustosError('ERR_LOCKED', `${file} is locked by running process ${moved}`);
    }
    await fs.rm(aside, { force: true });
  }
  throw new CustosError('ERR_LOCKED', `could not lock ${file}`);
}

/**
 * Replaces `file` atomically and durably. Only the lock holder writes, so the temp file can have
 * a fixed name: one left behind by a writer that crashed is simply overwritten by the next, and
 * no orphan accumulates next to the evidence.
 */
async function replaceUnderLock(file: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.custos-tmp`);
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(tmp, 'w', 0o644);
    await h.writeFile(data);
    await h.sync();
    await h.close();
    h = undefined;
    await fs.rename(tmp, file);
  } catch (e) {
    await h?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(`writing ${file}`, e);
  }
  let d: fs.FileHandle | undefined;
  try {
    d = await fs.open(dirname(file), 'r');
    await d.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename itself is still atomic
  } finally {
    await d?.close();
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
  /** Create the file with this chain id when it does not exist (default: the file must exist). */
  readonly create?: string;
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
): Promise<{ chain: CustodyChain; event: Uint8Array; hash: Uint8Array }> {
  const release = await lockChainFile(file);
  try {
    let chain: CustodyChain;
    let exists = true;
    try {
      await fs.access(file);
    } catch {
      exists = false;
    }
    if (exists) chain = await readChainFile(file);
    else if (opts.create !== undefined) chain = createChain(opts.create);
    else throw new CustosError('ERR_IO', `${file} does not exist`);
    if (opts.create !== undefined && chain.id !== opts.create) {
      throw new CustosError('ERR_CHAIN_ID', `${file} holds chain "${chain.id}", not "${opts.create}"`);
    }
    const out = await appendEvent(chain, input, signer, opts);
    await replaceUnderLock(file, serializeChain(out.chain));
    return out;
  } finally {
    await release();
  }
}
