/**
 * The child the crash-safety tests SIGKILL: it loops over durable operations and prints
 * `ack …` on stdout (synchronous on Linux pipes) only after an operation has resolved, i.e.
 * after custos acknowledged it. The parent kills it at a random moment and checks that every
 * acknowledged operation survived and that nothing partial sits under a final name.
 *
 *   child log <dir>                       appends to a tiled log (batches of 1..5 concurrent appends)
 *   child chain <dir>                     appends custody events to <dir>/chain.cbor
 *   child envelope <dir> <start> <id> <r> encryptFile then decryptFile, files numbered from <start>
 *   child bundle <dir> <start>            createBundle into <dir>/bundle-<n>.tar
 *   child lockhold <dir> <what>           takes the log or chain lock, prints ready, waits
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as crypto from '#crypto';
import { toHex, utf8 } from '../../src/bytes.js';
import { appendEvent, createChain } from '../../src/custody/append.js';
import { serializeChain } from '../../src/custody/chain.js';
import { CustosError } from '../../src/errors.js';
import { SigningKey } from '../../src/keys/signing.js';
import { generateIdentity } from '../../src/keys/age.js';
import { encrypt } from '../../src/envelope/encrypt.js';
import { createBundle } from '../../src/node/bundle.js';
import { appendEventToFile, lockChainFile } from '../../src/node/custody-file.js';
import { decryptFile, encryptFile } from '../../src/node/envelope.js';
import { openLog } from '../../src/node/logstore.js';

const [mode, dir, a1, a2, a3] = process.argv.slice(2) as [string, string, string?, string?, string?];
const out = (s: string): void => void process.stdout.write(`${s}\n`);
const D1 = new Uint8Array(32).fill(0xd1);
export const CHAIN_KEY_SEED = 31;
export const LOG_KEY_SEED = 32;

/** Deterministic bytes for operation n (so the parent can recompute what was acknowledged). */
export function plainFor(n: number): Uint8Array {
  const size = (n * 7919) % 150_000;
  const b = new Uint8Array(size);
  let x = n * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function main(): Promise<void> {
  if (mode === 'log') {
    const log = await openLog(dir, { signer: SigningKey.fromSecret(new Uint8Array(32).fill(LOG_KEY_SEED)), origin: 'crash.example/log', maxBatch: 8 });
    out(`ready ${log.size}`);
    for (let i = 0; ; ) {
      const batch = 1 + (i % 5);
      const ps: Promise<void>[] = [];
      for (let k = 0; k < batch; k++) {
        const text = `${process.pid}-${i++}`;
        ps.push(log.append(utf8(text)).then((r) => void out(`ack ${r.index} ${text}`)));
      }
      await Promise.all(ps);
    }
  }
  if (mode === 'chain') {
    const key = SigningKey.fromSecret(new Uint8Array(32).fill(CHAIN_KEY_SEED));
    const file = join(dir, 'chain.cbor');
    out('ready');
    for (;;) {
      const first = !existsSync(file);
      const r = await appendEventToFile(
        file,
        first
          ? { type: 'collected', actor: { authority: 'at.lpd-wien', role: 'collector' }, digests: { 'sha-256': D1 } }
          : { type: 'accessed', actor: { authority: 'at.lpd-wien', role: 'custodian' }, purpose: 'crash test' },
        key,
        { create: 'crash-chain' },
      );
      out(`ack ${r.chain.events.length} ${toHex(r.hash)}`);
    }
  }
  if (mode === 'envelope') {
    const start = Number(a1);
    const identity = a2!;
    const recipient = a3!;
    out('ready');
    for (let n = start; ; n++) {
      const plain = plainFor(n);
      writeFileSync(join(dir, `plain-${n}`), plain);
      await encryptFile(join(dir, `plain-${n}`), join(dir, `enc-${n}.age`), [recipient]);
      out(`ack enc ${n}`);
      await decryptFile(join(dir, `enc-${n}.age`), join(dir, `dec-${n}`), [identity]);
      out(`ack dec ${n}`);
    }
  }
  if (mode === 'bundle') {
    const start = Number(a1);
    const signer = SigningKey.fromSecret(new Uint8Array(32).fill(CHAIN_KEY_SEED));
    const custody = serializeChain(
      appendEvent(createChain('item-chain'), { type: 'collected', actor: { authority: 'at.lpd-wien', role: 'collector' }, digests: { 'sha-256': D1 } }, signer).chain,
    );
    // a bundle item is an age file (the manifest signs its header and payload digests)
    const recipient = generateIdentity().recipient;
    out('ready');
    for (let n = start; ; n++) {
      await createBundle(join(dir, `bundle-${n}.tar`), {
        signer,
        issuer: 'at.lpd-wien',
        items: [{ id: 'item', encrypted: await encrypt(plainFor(n + 1), [recipient]), custody }],
        created: new Date(Date.UTC(2026, 10, 1)),
      });
      out(`ack ${n} ${toHex(crypto.sha256(plainFor(n + 1)))}`);
    }
  }
  if (mode === 'lockhold') {
    if (a1 === 'log') await openLog(dir, { signer: SigningKey.fromSecret(new Uint8Array(32).fill(LOG_KEY_SEED)), origin: 'crash.example/log' });
    else await lockChainFile(join(dir, 'chain.cbor'));
    out('ready');
    await new Promise((r) => setTimeout(r, 60_000));
  }
  throw new Error(`unknown mode ${mode}`);
}

if (process.env.CUSTOS_CRASH_CHILD === '1') {
  main().catch((e) => {
    out(`error ${e instanceof CustosError ? e.code : 'non-custos'} ${e instanceof Error ? e.message : String(e)}`);
    process.exit(3);
  });
}
