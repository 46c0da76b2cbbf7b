/**
 * Chain of custody with custos: signed events, each naming the hash of the one before.
 *
 *   a collector acquires a disk image → seals it → transfers it to a foreign authority →
 *   the receiver signs "received" → anyone with the trust store verifies the whole chain.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/custody.ts`
 */
import { appendEvent, createChain, SigningKey, TrustStore, trustedKeyEntry, verifyChain } from 'custos';

const ie = SigningKey.generate();
const at = SigningKey.generate();
const since = new Date(Date.now() - 3600_000);
const trust = TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'IE-MAILSVC', name: 'Example Mail Services', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [trustedKeyEntry(ie.alg, ie.publicKey, since)] },
    { id: 'AT-STA-WIEN', name: 'Prosecutor Vienna', jurisdiction: 'AT', roles: ['custodian'], keys: [trustedKeyEntry(at.alg, at.publicKey, since)] },
  ],
});

const sha256 = new Uint8Array(32).fill(7); // the forensic hash your imaging tool printed
let chain = createChain('AT-WKSTA-2026-000417/disk');
chain = appendEvent(chain, { type: 'acquired', actor: { authority: 'IE-MAILSVC', role: 'collector' }, digests: { 'sha-256': sha256 } }, ie).chain;
chain = appendEvent(chain, { type: 'sealed', actor: { authority: 'IE-MAILSVC', role: 'custodian' } }, ie).chain;
chain = appendEvent(chain, { type: 'transferred', actor: { authority: 'IE-MAILSVC', role: 'custodian' }, counterparty: { authority: 'AT-STA-WIEN' } }, ie).chain;
chain = appendEvent(chain, { type: 'received', actor: { authority: 'AT-STA-WIEN', role: 'custodian' } }, at).chain;

const report = verifyChain(chain, trust);
console.log(`chain ${report.chainId}: ${report.length} events, ok ${report.ok}, custodian now ${report.custodian}`);
for (const e of report.events) console.log(`  #${e.index} ${e.type} by ${e.actor?.authority}: ${e.status}`);

// Tampering is caught: drop the "sealed" event.
const broken = verifyChain([chain.events[0]!, ...chain.events.slice(2)], trust);
console.log(`without event 1: ok ${broken.ok}, first failure ${broken.failures[0]?.code} at #${broken.failures[0]?.index}`);
