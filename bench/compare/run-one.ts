/**
 * One measured run in its own process, so that the peak RSS it reports (getrusage maxRSS) is
 * this run's alone:
 *
 *   node run-one.mjs <case> '<json args>'     (the bundle bench/compare.ts builds)
 *   npx tsx --conditions=custos-source bench/compare/run-one.ts <case> '<json args>'
 *
 * Prints one JSON line (a {@link RunResult}) on stdout.
 */
import * as backend from '#crypto';
import { fileCases } from './cases-file.js';
import { sealFloor } from './cases-floor.js';
import { memCases } from './cases-mem.js';
import type { RunResult } from './measure.js';
import { verifyCases } from './cases-verify.js';

const cases: Record<string, (a: never) => Promise<{ metrics: RunResult['metrics']; check?: string }>> = {
  ...fileCases,
  ...memCases,
  ...verifyCases,
  sealFloor,
  idle: async () => ({ metrics: {} }),
};

const [name, json] = process.argv.slice(2);
const run = name === undefined ? undefined : cases[name];
if (run === undefined || json === undefined) {
  console.error(`usage: run-one <case> <json args>; cases: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const r = await run(JSON.parse(json) as never);
const out: RunResult & { backend: string } = {
  case: name!,
  backend: backend.backendName,
  maxRssKiB: process.resourceUsage().maxRSS,
  metrics: r.metrics,
  ...(r.check !== undefined ? { check: r.check } : {}),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
