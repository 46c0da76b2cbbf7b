/**
 * SIGINT/SIGTERM during a command: every temp output registered by the atomic writer is removed
 * at once (synchronously, before anything else runs), `custos: interrupted` goes to stderr (with
 * --json also the error object on stdout, unless the result was already printed), and the
 * process exits 130 (SIGINT) or 143 (SIGTERM), the shell's 128 + signal number.
 */
import { writeSync } from 'node:fs';
import { removeRegisteredTemps } from '../node/temps.js';
import { errorObject } from './io.js';

/** The exit code for a signal: 128 + its number. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Installs the handlers for one command run; returns the function that removes them.
 *
 * @example
 * ```ts
 * const off = onInterrupt({ json: false, printed: () => false });
 * try { await command.run(values, args, io); } finally { off(); }
 * ```
 */
export function onInterrupt(opts: { json: boolean; printed: () => boolean }): () => void {
  const handler = (signal: keyof typeof SIGNAL_EXIT): void => {
    removeRegisteredTemps();
    const exit = SIGNAL_EXIT[signal];
    write(2, 'custos: interrupted\n');
    if (opts.json && !opts.printed()) write(1, `${JSON.stringify(errorObject('ERR_INTERRUPTED', `interrupted by ${signal}`, exit), null, 2)}\n`);
    process.exit(exit);
  };
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

function write(fd: number, s: string): void {
  try {
    writeSync(fd, s);
  } catch {
    // a closed stdout/stderr must not keep the process from exiting with the signal's code
  }
}
