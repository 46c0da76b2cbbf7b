/**
 * Statistics disclosure control: what the audit costs per table, and how many random tables an
 * attacker who knows the method can narrow (issue 18, item 1).
 *
 *   npx tsx --conditions=custos-source bench/disclosure.bench.ts [--tables 3000] [--seed 18]
 *
 * The attacker runs `suppressTable` on every table consistent with the published output (the
 * published numbers fixed, each "<k" cell in 1 … k−1, each "x" cell any value the total leaves)
 * and keeps those that give the same output; a table leaks when some "<k" cell does not take
 * every value 1 … k−1 over them. The audit cost is printed per table and per LP, with the load:
 * there is no outside reference for it (it is microseconds next to the milliseconds of the
 * signature checks behind every counted request).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { auditTable } from '../src/request/audit.js';
import { suppressTable } from '../src/request/suppression.js';
import { methodAttack } from '../test/support/disclosure-attack.js';

const { values: args } = parseArgs({ options: { tables: { type: 'string', default: '3000' }, seed: { type: 'string', default: '18' } } });
const K = 5;


const tables = fc.sample(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 5, maxLength: 5 }), { numRuns: Number(args.tables), seed: Number(args.seed) });
let published = 0;
let withheld = 0;
let narrowed = 0;
let exact = 0;
let audits = 0;
let auditMs = 0;
let programs = 0;
for (const v of tables) {
  const table = Object.fromEntries(v.map((x, i) => [`c${i}`, x]));
  const total = v.reduce((a, b) => a + b, 0);
  const s = suppressTable(table, total, K);
  if (s === null) {
    withheld++;
    continue;
  }
  published++;
  const t0 = performance.now();
  const a = auditTable(s, K);
  auditMs += performance.now() - t0;
  audits++;
  programs += a.programs;
  const f = methodAttack(suppressTable, s, K);
  let n = false;
  let e = false;
  for (const [key, c] of Object.entries(s.cells)) {
    if (c !== `<${K}`) continue;
    const set = f.get(key)!;
    for (let x = 1; x < K; x++) if (!set.has(x)) n = true;
    if (set.size === 1) e = true;
  }
  if (n) narrowed++;
  if (e) exact++;
}
console.log(`load ${loadavg()[0]!.toFixed(2)} (1 min), ${tables.length} random 5-cell tables (0..20), k = ${K}, seed ${args.seed}`);
console.log(`published ${published}, withheld ${withheld}; narrowed by the method attacker: ${narrowed} (recovered exactly: ${exact})`);
console.log(`audit: ${(auditMs / audits).toFixed(3)} ms per published table (${(programs / audits).toFixed(1)} LPs each, ${((auditMs / programs) * 1000).toFixed(1)} µs per LP)`);
