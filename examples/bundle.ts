/**
 * Evidence bundles with custos: one tar file a court can keep, verifiable without any key.
 *
 *   encrypt and seal an item → record its custody → pack item, seal, chain and signed manifest
 *   into bundle.tar → verify it with the trust store only → open the item with the recipient's
 *   identity, refusing any other purpose.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/bundle.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { appendEvent, createChain, generateIdentity, sealItem, serializeChain, sha256, SigningKey, TrustStore, trustedKeyEntry } from 'custos';
import { createBundle, openBundleItem, verifyBundle } from 'custos/node';

const dir = mkdtempSync(join(tmpdir(), 'custos-bundle-example-'));
const sender = SigningKey.generate();
const recipient = generateIdentity({ pq: true });
const trust = TrustStore.parse({
  version: 1,
  authorities: [{ id: 'IE-MAILSVC', name: 'Example Mail Services', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [trustedKeyEntry(sender.alg, sender.publicKey, new Date(Date.now() - 60_000))] }],
});

const evidence = new TextEncoder().encode('mailbox export, 3 messages\n');
const context = { caseId: 'case-1', requestId: 'case-1', purpose: 'investigation', legalBasis: 'Regulation (EU) 2023/1543 Art. 5' };
const { ciphertext, seal } = await sealItem(evidence, { recipients: [recipient.recipient], signer: sender, authority: 'IE-MAILSVC', id: 'mailbox', context });
let chain = createChain('case-1/mailbox');
chain = appendEvent(chain, { type: 'collected', actor: { authority: 'IE-MAILSVC', role: 'collector' }, digests: { 'sha-256': sha256(evidence) } }, sender).chain;

const path = join(dir, 'bundle.tar');
await createBundle(path, { signer: sender, issuer: 'IE-MAILSVC', request: 'case-1', case: 'case-1', items: [{ id: 'mailbox', encrypted: ciphertext, seal, custody: serializeChain(chain) }] });

const report = await verifyBundle(path, { trust });
for (const c of report.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check} ${c.subject ?? ''} ${c.detail}`);

// Opening verifies and decrypts in one pass over one handle; the output file appears only
// after every check passed (a refusal leaves nothing behind).
const out = join(dir, 'mailbox.txt');
const refused = await openBundleItem(path, 'mailbox', { trust, identities: [recipient.identity], output: out, expect: { request: 'case-1', purpose: 'marketing' } }).catch((e: { code: string }) => e.code);
console.log(`open for another purpose: ${refused}`);
await openBundleItem(path, 'mailbox', { trust, identities: [recipient.identity], output: out, expect: { request: 'case-1', purpose: 'investigation' } });
console.log(`opened: ${readFileSync(out, 'utf8').trim()}`);
rmSync(dir, { recursive: true, force: true });
