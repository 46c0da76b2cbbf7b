/**
 * Finds a worker script shipped as a plain `.mjs` file. In the sources the scripts sit beside
 * this module (src/node/workers/); the build copies them to dist/workers/, and this module is
 * then bundled either into dist/node/index.js or into a chunk at the dist root.
 */
import { existsSync } from 'node:fs';
import { CustosError } from '../../errors.js';

export function workerFile(name: string): URL {
  const here = import.meta.url;
  for (const rel of [`./${name}`, `./workers/${name}`, `../workers/${name}`]) {
    const u = new URL(rel, here);
    if (existsSync(u)) return u;
  }
  throw new CustosError('ERR_INTERNAL', `worker script ${name} is missing from the installation`);
}
