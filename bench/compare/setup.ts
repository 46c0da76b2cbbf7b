/** The bench's inputs: options, the test file, and keys (age CLI keys and a custos signing seed). */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateIdentity } from '../../src/envelope/index.js';

export interface Options {
  readonly size: number;
  readonly runs: number;
  readonly memSize: number;
  readonly events: number;
  readonly quick: boolean;
  readonly dir: string | undefined;
  readonly out: string;
  readonly only: readonly string[] | undefined;
}

/** Binary multiples (1024^n) for K, M, G, T, KiB, MiB, GiB, TiB; decimal (1000^n) for KB, MB, GB, TB: as `head -c` and `dd` read them. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1,
  k: 2 ** 10, kib: 2 ** 10, kb: 1e3,
  m: 2 ** 20, mib: 2 ** 20, mb: 1e6,
  g: 2 ** 30, gib: 2 ** 30, gb: 1e9,
  t: 2 ** 40, tib: 2 ** 40, tb: 1e12,
};

/**
 * A byte count as people type it: `4096`, `256M`, `1G`, `64MiB`, `1.5GiB`, `500MB` (`head -c`
 * and `dd` conventions: K/M/G and KiB/MiB/GiB are powers of 1024, KB/MB/GB powers of 1000).
 */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.trim());
  const mult = m === null ? undefined : SIZE_UNITS[m[2]!.toLowerCase()];
  if (m === null || mult === undefined) throw new Error(`bad size ${JSON.stringify(s)} (e.g. 1G, 256M, 64MiB, 500MB, 4096)`);
  const n = Math.round(Number(m[1]) * mult);
  if (n < 1) throw new Error('size must be at least 1 byte');
  return n;
}

export const GROUPS = ['encrypt', 'decrypt', 'hash', 'memory', 'chain', 'log', 'presentation'] as const;

export function parseOptions(argv: readonly string[], defaultOut: string): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      size: { type: 'string', default: '1GiB' },
      runs: { type: 'string', default: '5' },
      'mem-size': { type: 'string' },
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      dir: { type: 'string' },
      out: { type: 'string', default: defaultOut },
      only: { type: 'string' },
    },
  });
  const size = parseSize(values.size!);
  const quick = values.quick === true;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const only = values.only?.split(',').map((s) => s.trim());
  for (const g of only ?? []) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group ${g} (${GROUPS.join(', ')})`);
  return {
    size,
    runs,
    memSize: values['mem-size'] !== undefined ? parseSize(values['mem-size']) : quick ? Math.min(size, 4 << 20) : 64 << 20,
    events: values.events !== undefined ? Number(values.events) : quick ? 200 : 10_000,
    quick,
    dir: values.dir,
    out: values.out!,
    only,
  };
}

/** A test file of `size` bytes: one random 1 MiB block repeated (fast to make; age does not compress). */
export function makeTestFile(path: string, size: number): void {
  const block = randomBytes(1 << 20);
  const big = Buffer.concat(Array.from({ length: 8 }, () => block));
  const fd = openSync(path, 'w');
  try {
    for (let o = 0; o < size; o += big.length) writeSync(fd, big, 0, Math.min(big.length, size - o));
  } finally {
    closeSync(fd);
  }
}

export interface Keys {
  readonly keyFile: string;
  readonly identity: string;
  readonly recipient: string;
  readonly signerSeed: string;
}

/** An X25519 key made by the age CLI (so both sides use the peer's own key format) and a signing seed. */
export function makeKeys(dir: string): Keys {
  const keyFile = join(dir, 'key.txt');
  const r = spawnSync('age-keygen', ['-o', keyFile], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    // without the age CLI: a key made by custos itself (same text format) for the in-memory runs
    const { identity, recipient } = generateIdentity();
    writeFileSync(keyFile, `# public key: ${recipient}\n${identity}\n`);
    return { keyFile, identity, recipient, signerSeed: randomBytes(32).toString('hex') };
  }
  const text = readFileSync(keyFile, 'utf8');
  const recipient = /public key: (age1[0-9a-z]+)/.exec(text)?.[1];
  const identity = /^(AGE-SECRET-KEY-1[0-9A-Z]+)$/m.exec(text)?.[1];
  if (recipient === undefined || identity === undefined) throw new Error('cannot read the age key file');
  return { keyFile, identity, recipient, signerSeed: randomBytes(32).toString('hex') };
}
