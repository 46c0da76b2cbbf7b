/** A {@link PublishedStore} in a file (atomic, durable replace), for logs on the POSIX store. */
import { readFile } from 'node:fs/promises';
import { utf8 } from '../bytes.js';
import { CustosError } from '../errors.js';
import { writeFileAtomic } from '../node/logfs.js';
import type { PublishedStore } from './publisher.js';

/**
 * @example
 * ```ts
 * const publisher = new Publisher({ ..., store: filePublishedStore('/srv/log/published-checkpoint') });
 * ```
 */
export function filePublishedStore(path: string): PublishedStore {
  return {
    async load() {
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new CustosError('ERR_IO', 'cannot read the published checkpoint', { cause: e });
      }
    },
    save: (note) => writeFileAtomic(path, utf8(note)),
  };
}
