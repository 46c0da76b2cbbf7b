/**
 * Signatures per second through a PKCS#11 token (SoftHSM2) against in-memory signing, in the
 * same run: raw signer.sign, COSE_Sign1 via signSign1 (what custody events, seals and manifests
 * cost), and a log checkpoint (signNote) with the key on the token or in memory.
 *
 *   npx tsx --conditions=custos-source bench/pkcs11.bench.ts [--seconds 2]
 *
 * Needs softhsm2 installed; makes a throwaway token in a temp directory and removes it.
 */
import { cpus, loadavg } from 'node:os';
import { formatCheckpoint, noteSigner, signNote, signSign1, SigningKey, type Signer } from '../src/index.js';
import { openPkcs11Signer } from '../src/node/index.js';
import { createTestToken, tokenUri, USER_PIN } from '../test/node/pkcs11/softhsm.js';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;

/** Runs `f` repeatedly for SECONDS (after a short warm-up) and returns operations per second. */
async function rate(f: () => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await f();
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    await f();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Concurrent requests (the signer queues them on its one session). */
async function rateConcurrent(s: Signer, msg: Uint8Array, width: number): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (performance.now() < end) {
      await s.sign(msg);
      n++;
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`# pkcs11.bench  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cores  load ${loadavg().map((l) => l.toFixed(2)).join(' ')}  ${SECONDS}s per figure`);
  const t = createTestToken('bench');
  try {
    t.generate('EdDSA', 'ed', Uint8Array.of(1));
    t.generate('ES256', 'ec', Uint8Array.of(2));
    const token = {
      EdDSA: await openPkcs11Signer(tokenUri(t, 'object=ed'), { pin: USER_PIN }),
      ES256: await openPkcs11Signer(tokenUri(t, 'object=ec'), { pin: USER_PIN }),
    };
    const memory = { EdDSA: SigningKey.generate('EdDSA'), ES256: SigningKey.generate('ES256') };
    // A custody event's Sig_structure is ~300–600 bytes; 400 stands for it.
    const msg = new Uint8Array(400).fill(7);
    const rows: [string, number, number][] = [];
    for (const alg of ['EdDSA', 'ES256'] as const) {
      rows.push([`${alg} sign (raw)`, await rate(() => memory[alg].sign(msg)), await rate(() => token[alg].sign(msg))]);
      rows.push([`${alg} signSign1 (COSE)`, await rate(() => signSign1(msg, memory[alg])), await rate(() => signSign1(msg, token[alg]))]);
    }
    const body = formatCheckpoint({ origin: 'log.example/bench', size: 123456, root: new Uint8Array(32).fill(9) });
    const memNote = noteSigner('log.example/bench', memory.EdDSA);
    const tokNote = noteSigner('log.example/bench', token.EdDSA);
    rows.push(['checkpoint signNote (Ed25519)', await rate(() => signNote(body, [memNote])), await rate(() => signNote(body, [tokNote]))]);
    console.log('| operation | in memory /s | SoftHSM2 /s | token / memory |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, m, k] of rows) console.log(`| ${name} | ${fmt(m)} | ${fmt(k)} | ${(k / m).toFixed(3)} |`);
    for (const w of [4]) {
      console.log(`| EdDSA sign, ${w} concurrent callers (one session) | | ${fmt(await rateConcurrent(token.EdDSA, msg, w))} | |`);
    }
    await token.EdDSA.close();
    await token.ES256.close();
  } finally {
    t.dispose();
  }
  console.log(`# load at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
