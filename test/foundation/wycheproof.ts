/**
 * Loads the Wycheproof vector files from test/vectors/wycheproof (copied byte for byte into the
 * repository; test/vectors/README.md gives their origin). A missing file is an error, never a
 * silent skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/bytes.js';
import * as nodeBackend from '../../src/crypto/node.js';
import * as webBackend from '../../src/crypto/web.js';
import type { CryptoBackend } from '../../src/crypto/types.js';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export interface WycheproofTest {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly [field: string]: unknown;
}

export interface WycheproofGroup {
  readonly type: string;
  readonly tests: readonly WycheproofTest[];
  readonly [field: string]: unknown;
}

export interface WycheproofFile {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly WycheproofGroup[];
}

export function loadWycheproof(name: string): WycheproofFile {
  const path = `${VECTORS_DIR}wycheproof/${name}_test.json`;
  if (!existsSync(path)) throw new Error(`Wycheproof vectors not found at ${path} (expected test/vectors in the repository)`);
  const file = JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile;
  const count = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
  if (count !== file.numberOfTests || count === 0) throw new Error(`${name}: ${count} tests, header says ${file.numberOfTests}`);
  return file;
}

/** The hex field `field` of a test or group, as bytes. */
export function hexField(obj: Readonly<Record<string, unknown>>, field: string): Uint8Array {
  const v = obj[field];
  if (typeof v !== 'string') throw new Error(`field ${field} is not a hex string`);
  return fromHex(v);
}

/** Both backends, imported directly (not through `#crypto`), so each run tests both. */
export const BACKENDS: readonly (readonly [string, CryptoBackend])[] = [
  ['node', nodeBackend.backend],
  ['web', webBackend.backend],
];
