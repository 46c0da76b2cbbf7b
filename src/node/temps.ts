/**
 * The process-wide registry of temporary output files: every {@link AtomicWriter} temp file is
 * listed here from its creation until it is renamed, linked or deleted, so a signal handler can
 * remove them all synchronously before the process exits (the CLI does on SIGINT/SIGTERM).
 */
import { unlinkSync } from 'node:fs';

const temps = new Set<string>();

/** Lists `path` as a temp file of this process (done by {@link AtomicWriter.create}). */
export function registerTemp(path: string): void {
  temps.add(path);
}

/** Takes `path` off the list once it is committed or deleted. */
export function unregisterTemp(path: string): void {
  temps.delete(path);
}

/** The temp files of this process not yet committed or deleted. */
export function registeredTemps(): string[] {
  return [...temps];
}

/**
 * Deletes every registered temp file now, synchronously (usable in a signal or `exit` handler),
 * and returns the paths it removed. A file already gone is skipped; nothing else is touched.
 *
 * @example
 * ```ts
 * process.once('SIGINT', () => { removeRegisteredTemps(); process.exit(130); });
 * ```
 */
export function removeRegisteredTemps(): string[] {
  const removed: string[] = [];
  for (const t of temps) {
    try {
      unlinkSync(t);
      removed.push(t);
    } catch {
      // already renamed or deleted between the check and now: nothing of ours is left
    }
    temps.delete(t);
  }
  return removed;
}
