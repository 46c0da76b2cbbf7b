/**
 * A request's life with custos, end to end:
 *
 *   validate an EPOC → compute its deadlines → sign each status step and append it to a
 *   transparency log → verify the chain → ask what is due or overdue → publish statistics.
 *
 * Run from the repository: `npx tsx --conditions custos-source examples/request.ts`
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deadlines,
  fulfilmentChartSvg,
  publishStatusEvent,
  requestStatus,
  SigningKey,
  statistics,
  statisticsCsv,
  TrustStore,
  trustedKeyEntry,
  validateRequest,
  verifyStatusChain,
  type StatusInput,
  type VerifiedStatusChain,
} from 'custos';
import { openLog } from 'custos/node';

const json = JSON.parse(readFileSync(new URL('./requests/epoc-traffic.json', import.meta.url), 'utf8'));
const request = validateRequest(json);
console.log(`validated ${request.instrument} ${request.id}: ${request.dataCategories.join(', ')}`);

// The provider in Ireland received it on Friday 27 March 2026 at 16:00 Irish time.
for (const d of deadlines(request, '2026-03-27T16:00:00Z', { timeZone: 'Europe/Dublin' })) {
  console.log(`  ${d.id.padEnd(12)} due ${d.dueAt}  (${d.basis})`);
}

// Keys and the trust store a verifier would hold.
const prosecutor = SigningKey.generate();
const provider = SigningKey.generate();
const trust = TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'at-sta-wien', name: 'Public Prosecutor Vienna', jurisdiction: 'AT', roles: ['issuer'], keys: [trustedKeyEntry('EdDSA', prosecutor.publicKey, '2026-01-01T00:00:00Z')] },
    { id: 'ie-mail', name: 'Example Mail Services Ltd', jurisdiction: 'IE', roles: ['provider'], keys: [trustedKeyEntry('EdDSA', provider.publicKey, '2026-01-01T00:00:00Z')] },
  ],
});

const dir = mkdtempSync(join(tmpdir(), 'custos-request-'));
try {
  const log = await openLog(dir, { signer: prosecutor, origin: 'example.org/requests' });
  const steps: Array<[StatusInput, SigningKey]> = [
    [{ kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'at-sta-wien' }, prosecutor],
    [{ kind: 'received', at: '2026-03-27T16:00:00+00:00', actor: 'ie-mail' }, provider],
    [{ kind: 'acknowledged', at: '2026-03-27T17:10:00+00:00', actor: 'ie-mail' }, provider],
    [{ kind: 'delay-notified', at: '2026-04-03T09:00:00+01:00', actor: 'ie-mail', reasons: ['records held by an affiliate'], estimate: '2026-04-09T12:00:00+01:00' }, provider],
    [{ kind: 'fulfilled', at: '2026-04-08T15:30:00+01:00', actor: 'ie-mail', items: 2 }, provider],
  ];
  const chain: Uint8Array[] = [];
  for (const [input, key] of steps) {
    const { bytes, index } = await publishStatusEvent(log, chain, request, input, key);
    chain.push(bytes);
    console.log(`  ${input.kind.padEnd(15)} logged at index ${index}`);
  }
  await log.close();

  const report = verifyStatusChain(chain, trust, { request });
  console.log(`chain verified: ${report.ok} (${report.checks.length} checks)`);
  const verified = report.chain as VerifiedStatusChain;

  const mid = requestStatus(request, verified, '2026-04-07T12:00:00Z', { timeZone: 'Europe/Dublin' });
  console.log(`on 7 April: ${mid.current}; overdue: ${mid.overdue.map((d) => d.id).join(', ') || 'none'}; escalation owed: ${mid.escalation.owed} (since ${mid.escalation.at})`);

  const stats = statistics([request], [verified], { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, { suppressBelow: 5 });
  console.log(`statistics for one request are withheld: ${stats.withheld}`);
  const exact = statistics([request], [verified], { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, { suppressBelow: 0 });
  writeFileSync(join(dir, 'statistics.csv'), statisticsCsv(exact));
  writeFileSync(join(dir, 'time-to-fulfilment.svg'), fulfilmentChartSvg(exact, { title: 'EPOC 2026 (internal, unsuppressed)' }));
  console.log(`median time to fulfilment: ${exact.timeToFulfilment.medianHours} h; wrote statistics.csv and time-to-fulfilment.svg`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
