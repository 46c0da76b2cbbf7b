/**
 * Where a log's private key lives. A log directory is what `custos serve log` (or any static
 * file server) publishes, so the key is kept outside it: `custos log init DIR --key FILE` writes
 * FILE (0600) and refuses a path inside DIR; every command that signs for the log takes the same
 * `--key FILE` (`--log-key FILE` on `custody append|handover`).
 *
 * Logs made before this rule have DIR/log.skey. Such a key is still read when no key path is
 * given (so existing logs keep working), with a warning on stderr every time that says how to
 * move it; a key path given explicitly inside DIR is refused (ERR_LOG_KEY_PLACEMENT).
 */
import { readFile, realpath } from 'node:fs/promises';
import { dirname, basename, join, relative, isAbsolute, resolve } from 'node:path';
import { CustosError, fail } from '../errors.js';
import { parseSignerKey } from '../log/notekeys.js';
import type { Io } from './io.js';

/** The key file of logs made before keys moved out of the log directory. */
export const LEGACY_KEY_FILE = 'log.skey';

/** The real path of `p`, resolving the longest existing prefix (the file itself may not exist yet). */
async function realish(p: string): Promise<string> {
  const abs = resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await realish(parent), basename(abs));
  }
}

/** Refuses (ERR_LOG_KEY_PLACEMENT) a key path inside the log directory (symlinks resolved). */
export async function assertKeyOutside(dir: string, keyPath: string): Promise<void> {
  const [d, k] = await Promise.all([realish(dir), realish(keyPath)]);
  const rel = relative(d, k);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    fail('ERR_LOG_KEY_PLACEMENT', `the log key ${keyPath} is inside the log directory ${dir}, which is published: keep it outside`);
  }
}

/**
 * The log's signing key: from `keyPath` (outside `dir`), else the legacy DIR/log.skey with a
 * warning, else ERR_IO naming the option to give.
 */
export async function readLogKey(dir: string, keyPath: string | undefined, io: Pick<Io, 'info'>, option = '--key'): Promise<ReturnType<typeof parseSignerKey>> {
  let path = keyPath;
  if (path !== undefined) await assertKeyOutside(dir, path);
  else {
    path = join(dir, LEGACY_KEY_FILE);
    const found = await readFile(path, 'utf8').then(() => true, () => false);
    if (!found) fail('ERR_IO', `no log key: give ${option} FILE (the key custos log init wrote outside ${dir})`);
    io.info(`warning: the log key is inside the published log directory (${path}); move it out (mv ${path} ../log.key) and pass ${option} FILE`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read the log key ${path}`, { cause: e });
  }
  const key = parseSignerKey(text.trim());
  if (key.type !== 0x01) fail('ERR_KEY_FORMAT', `${path} is not an Ed25519 log key (type 0x01)`);
  return key;
}
