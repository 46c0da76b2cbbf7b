/**
 * A single-writer lock for a log directory: a `lock` file created with O_EXCL holding the
 * owner's pid. A lock whose pid is no longer running is stale (the owner crashed) and is broken
 * by renaming it aside; the renamed file is re-read so that a lock another process took in the
 * meantime is restored instead of stolen.
 *
 * Limits: pids are per host, so the directory must not be shared by writers on several hosts
 * (network file systems); a reused pid of a crashed owner makes the lock look held (the error
 * names the pid, so an operator can remove the file).
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { CustosError } from '../errors.js';
import { pidAlive } from './pid.js';

async function readPid(path: string): Promise<number | undefined> {
  try {
    const s = await fs.readFile(path, 'utf8');
    return /^\d+\n?$/.test(s) ? Number(s.trim()) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface LogLock {
  release(): Promise<void>;
}

/** Takes the lock in `dir`, or throws ERR_LOG_LOCKED when a live process holds it. */
export async function acquireLogLock(dir: string): Promise<LogLock> {
  const path = join(dir, 'lock');
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
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new CustosError('ERR_IO', 'cannot create the log lock', { cause: e });
    }
    const pid = await readPid(path);
    if (pid !== undefined && pidAlive(pid)) throw new CustosError('ERR_LOG_LOCKED', `the log is locked by running process ${pid}`);
    if (pid === undefined) {
      // Being written right now, or garbage: give a concurrent creator a moment.
      await new Promise((r) => setTimeout(r, 20));
      const again = await readPid(path);
      if (again !== undefined && pidAlive(again)) throw new CustosError('ERR_LOG_LOCKED', `the log is locked by running process ${again}`);
    }
    const aside = join(dir, `lock.stale-${process.pid}-${attempt}`);
    try {
      await fs.rename(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CustosError('ERR_IO', 'cannot break a stale log lock', { cause: e });
    }
    const moved = await readPid(aside);
    if (moved !== undefined && moved !== pid && pidAlive(moved)) {
      // We moved a fresh lock another opener had just taken: put it back and give up.
      await fs.rename(aside, path).catch(() => undefined);
      throw new CustosError('ERR_LOG_LOCKED', `the log is locked by running process ${moved}`);
    }
    await fs.rm(aside, { force: true });
  }
  throw new CustosError('ERR_LOG_LOCKED', 'could not take the log lock');
}
