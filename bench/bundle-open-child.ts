/**
 * One measured run of bench/bundle-open.ts, bundled per implementation with esbuild
 * (`custos-impl` and `custos-impl-core` are aliased to that implementation's src/node/index.ts
 * and src/index.ts). Prints the operation's own time and bytes as one JSON line.
 */
// @ts-expect-error aliased at bundle time
import * as lib from 'custos-impl';
// @ts-expect-error aliased at bundle time
import * as core from 'custos-impl-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { dir, out, api } = JSON.parse(process.argv[2]!) as { dir: string; out: string | null; api: 'new' | 'old' };
const trust = core.TrustStore.parse(readFileSync(join(dir, 'trust.json'), 'utf8'));
const identity = readFileSync(join(dir, 'key.txt'), 'utf8').trim();
const expect = { request: 'R-1', purpose: 'investigation' };
const rssBeforeKiB = process.resourceUsage().maxRSS; // custos loaded, trust store parsed: the floor
const t0 = performance.now();
let n = 0;
if (api === 'new') {
  const output = out ?? { write: async (ps: Uint8Array[]) => void ps.forEach((p) => (n += p.length)), commit: async () => undefined, abort: async () => undefined };
  const r = await lib.openBundleItem(join(dir, 'new.tar'), 'disk', { trust, identities: [identity], output, expect });
  n = r.size;
} else {
  // the old API: verify, reopen, stream (the old CLI wrote the stream to an AtomicFile)
  const r = await lib.openBundleItem(join(dir, 'old.tar'), 'disk', { trust, identities: [identity], expect });
  const f = out === null ? undefined : await lib.AtomicFile.create(out, 0o600);
  for await (const chunk of lib.iterateStream(r.plaintext) as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (f !== undefined) await f.write(chunk);
  }
  await f?.commit();
}
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, bytes: n, rssBeforeKiB })}\n`);
