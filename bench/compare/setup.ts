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

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(s.trim());
  if (m === null) throw new Error(`bad size ${JSON.stringify(s)} (e.g. 1GiB, 64MiB, 4096)`);
  const mult = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? 'B').toLowerCase() as 'b']!;
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
