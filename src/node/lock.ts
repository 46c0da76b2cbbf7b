/**
 * The one single-writer lock of custos on Node: a lock file created with O_EXCL holding the
 * owner's pid (a log directory's `lock`, a chain file's `<file>.lock`). A lock whose pid no
 * longer runs on this host is stale (the owner crashed) and is broken by renaming it aside; the
 * renamed file is re-read so that a lock another process took in the meantime is restored
 * instead of stolen.
 *
 * Limits: pids are per host, so the lock must not be shared by writers on several hosts
 * (network file systems); a reused pid of a crashed owner makes the lock look held (the error
 * names the pid, so an operator can remove the file).
 */
import * as fs from 'node:fs/promises';
import { CustosError, type ErrorCode } from '../errors.js';
import { pidAlive } from './pid.js';

export interface PidLock {
  release(): Promise<void>;
}

function ioError(what: string, e: unknown): CustosError {
  return new CustosError('ERR_IO', `${what} failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const s = await fs.readFile(path, 'utf8');
    return /^[1-9]\d{0,9}\n?$/.test(s) ? Number(s.trim()) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading the lock', e);
  }
}

/**
 * Takes the lock file `path`, or throws `code` (ERR_LOCKED, ERR_LOG_LOCKED) naming `what` when a
 * live process holds it.
 *
 * @example
 * ```ts
 * const lock = await acquirePidLock('/evidence/e.chain.lock', 'ERR_LOCKED', '/evidence/e.chain');
 * try { … } finally { await lock.release(); }
 * ```
 */
export async function acquirePidLock(path: string, code: ErrorCode, what: string): Promise<PidLock> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const h = await fs.open(path, 'wx', 0o644);
      try {
        await h.writeFile(`${process.pid}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          if ((await readPid(path)) === process.pid) await fs.rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('creating the lock', e);
    }
    let pid = await readPid(path);
    if (pid === undefined) {
      // being written this instant, or garbage: give a concurrent creator a moment
      await new Promise((r) => setTimeout(r, 25));
      pid = await readPid(path);
    }
    if (pid !== undefined && pidAlive(pid)) throw new CustosError(code, `${what} is locked by running process ${pid}`);
    // stale (its owner died): move it aside, and put it back if someone else took it meanwhile
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      await fs.rename(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioError('breaking a stale lock', e);
    }
    const moved = await readPid(aside);
    if (moved !== undefined && moved !== pid && pidAlive(moved)) {
      await fs.rename(aside, path).catch(() => undefined);
      throw new CustosError(code, `${what} is locked by running process ${moved}`);
    }
    await fs.rm(aside, { force: true });
  }
  throw new CustosError(code, `could not lock ${what}`);
}
