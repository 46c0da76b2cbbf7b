/**
 * Liveness of the process that wrote a lock file or a temp file on this machine. Pids are per
 * host: a directory shared by writers on several hosts is outside what this can tell.
 */

/**
 * True unless `pid` certainly names no process (ESRCH). EPERM (a live process of another user)
 * and any other error count as alive, so a lock is never broken and a temp file never removed
 * on a guess. Non-positive or unsafe pids name no writer.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
