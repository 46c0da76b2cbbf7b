/**
 * File helpers for the log store: atomic durable writes (temp file in the same directory,
 * fsync, rename, fsync of the directory) and a tile fetcher over a local directory.
 */
import * as fs from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { CustosError } from '../errors.js';
import { writeFileAtomic as writeFileAtomicFile } from './files.js';
import type { TileFetcher } from '../log/tiledlog.js';

function ioError(what: string, e: unknown): CustosError {
  return new CustosError('ERR_IO', `${what} failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
}

/** fsyncs a directory so that renames and creations inside it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch (e) {
    throw ioError('directory fsync', e);
  } finally {
    await h?.close();
  }
}

/**
 * Writes `data` to `path` atomically and durably, except for the directory fsyncs, which the
 * caller does once per directory (see {@link fsyncDir}) so that a batch of files costs one sync
 * per directory. Returns the directories to sync: the file's, and the parents of any directory
 * this call created.
 */
export async function writeFileAtomicNoDirSync(path: string, data: Uint8Array): Promise<string[]> {
  const dir = dirname(path);
  const dirs = [dir];
  try {
    // A directory created here is only durable once its parent is synced too.
    const made = await fs.mkdir(dir, { recursive: true });
    if (made !== undefined) {
      for (let d = dir; d !== dirname(made); d = dirname(d)) dirs.push(dirname(d));
    }
  } catch (e) {
    throw ioError(`writing ${path}`, e);
  }
  // The one atomic writer (exclusive random temp, fsync, rename). The store holds its lock and
  // removes dead writers' temps when it opens, so no orphan scan per tile.
  await writeFileAtomicFile(path, data, 0o644, { removeOrphans: false, syncDir: false });
  return dirs;
}

/** Atomic, durable write: temp + fsync + rename + fsync of the directory. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  for (const d of await writeFileAtomicNoDirSync(path, data)) await fsyncDir(d);
}

/**
 * A {@link TileFetcher} over a local directory laid out as tlog-tiles. Paths that would leave
 * the directory are refused.
 *
 * @example
 * ```ts
 * const r = await verifyTiledLog(dirTileFetcher('/srv/log'), [vkey]);
 * ```
 */
export function dirTileFetcher(dir: string): TileFetcher {
  const root = resolve(dir);
  return async (path: string) => {
    const p = resolve(root, path);
    if (p !== root && !p.startsWith(root + sep)) throw new CustosError('ERR_INVALID_ARGUMENT', 'path escapes the log directory');
    try {
      return new Uint8Array(await fs.readFile(p));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError(`reading ${path}`, e);
    }
  };
}
