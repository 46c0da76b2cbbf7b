/** createBundle / verifyBundle / openBundleItem in process: every check's failure path with its code. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { appendEvent, createChain, serializeChain } from '../../src/custody/index.js';
import { encrypt } from '../../src/envelope/index.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { commitRecord, minimize, parseDisclosurePolicy, presentRecord } from '../../src/redact/index.js';
import { createBundle, verifyBundle, type BundleItemInput } from '../../src/node/bundle.js';
import { openBundleItem } from '../../src/node/bundle.js';
import { memoryOutput } from '../../src/bundle/open.js';
import { readTarIndex, tarHeader, tarPadding, TAR_END } from '../../src/bundle/tar.js';
import { isCustosError } from '../../src/errors.js';

const sender = SigningKey.generate();
const stranger = SigningKey.generate();
const recipient = generateIdentity();
const since = new Date(Date.now() - 3600_000);
const trust = TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'IE-P', name: 'Provider', jurisdiction: 'IE', roles: ['collector', 'custodian', 'disclosure-officer'], keys: [trustedKeyEntry(sender.alg, sender.publicKey, since)] },
    { id: 'AT-R', name: 'Requester', jurisdiction: 'AT', roles: ['custodian'], keys: [trustedKeyEntry(stranger.alg, stranger.publicKey, since)] },
  ],
});
const dir = mkdtempSync(join(tmpdir(), 'custos-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plain = crypto.randomBytes(200_000);
let item: BundleItemInput;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  let chain = createChain('R1/disk');
  chain = appendEvent(chain, { type: 'collected', actor: { authority: 'IE-P', role: 'collector' }, purpose: 'investigation', digests: { 'sha-256': crypto.sha256(plain) } }, sender).chain;
  const committed = commitRecord({ account: 'a', subscriber: { name: 'N', phone: 'P' } }, { redactable: ['subscriber.name', 'subscriber.phone'], signer: sender });
  const policy = parseDisclosurePolicy({ version: 1, id: 'p', public: ['account'], purposes: { investigation: { categories: { subscriber: ['subscriber.name'] } } } });
  const m = minimize(committed, policy, { purpose: 'investigation', categories: ['subscriber'], requestId: 'R1' });
  const record = presentRecord(committed, m.disclosures, { audience: 'AT-R', requestId: 'R1', purpose: 'investigation', nonce: 'n', signer: sender });
  item = {
    id: 'disk',
    encrypted: await encrypt(plain, [recipient.recipient]),
    custody: serializeChain(chain),
    record,
    binding: { audience: 'AT-R', requestId: 'R1', purpose: 'investigation', nonce: 'n' },
  };
});

async function make(name: string, over: Partial<Parameters<typeof createBundle>[1]> = {}): Promise<string> {
  const path = join(dir, name);
  await createBundle(path, { signer: sender, issuer: 'IE-P', request: 'R1', items: [item], ...over });
  return path;
}
const failed = (r: { checks: readonly { ok: boolean; check: string; code?: string }[] }) => r.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`);
const policy = { requireSeal: false } as const;

describe('bundles', () => {
  it('a good bundle verifies, including the clear-text record presentation', async () => {
    const r = await verifyBundle(await make('good.tar'), { trust, policy: { ...policy, audience: 'AT-R' } });
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['record', 'custody', 'manifest.signature']));
  });

  it('requires seals unless the policy waives them, and names the item', async () => {
    const r = await verifyBundle(await make('noseal.tar'), { trust });
    expect(failed(r)).toEqual(['seal:ERR_BUNDLE_MALFORMED']);
  });

  it('a record presented to someone else fails with ERR_BINDING_MISMATCH', async () => {
    const r = await verifyBundle(await make('aud.tar'), { trust, policy: { ...policy, audience: 'FR-X' } });
    expect(failed(r)).toEqual(['record:ERR_BINDING_MISMATCH', 'binding:ERR_BINDING_MISMATCH']);
  });

  it('a manifest signed by another authority than the issuer it names fails', async () => {
    const r = await verifyBundle(await make('issuer.tar', { signer: stranger }), { trust, policy });
    expect(failed(r)).toContain('manifest.signature:ERR_SIGNATURE_INVALID');
  });

  it('an unsigned extra file appended to the archive fails manifest.files', async () => {
    const good = new Uint8Array(readFileSync(await make('extra-src.tar')));
    const body = good.subarray(0, good.length - TAR_END.length);
    const extra = new TextEncoder().encode('planted');
    // stamped with the archive's own mtime, so only the manifest can tell it is not signed
    const mtime = (await readTarIndex(async (o, n) => good.slice(o, o + n), good.length))[0]!.mtime;
    const out = new Uint8Array([...body, ...tarHeader('items/planted.age', extra.length, { mtime }), ...extra, ...new Uint8Array(tarPadding(extra.length)), ...TAR_END]);
    const p = join(dir, 'extra.tar');
    writeFileSync(p, out);
    const r = await verifyBundle(p, { trust, policy });
    expect(failed(r)).toEqual(['manifest.files:ERR_BUNDLE_MALFORMED']);
  });

  it('openBundleItem streams the plaintext after the checks, and refuses the wrong context', async () => {
    const path = await make('open.tar');
    const out = memoryOutput();
    await openBundleItem(path, 'disk', { trust, identities: [recipient.identity], output: out, expect: { request: 'R1', purpose: 'investigation' }, policy });
    expect(Buffer.from(out.bytes()).equals(Buffer.from(plain))).toBe(true);
    const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isCustosError(e) ? e.code : String(e)));
    expect(await codeOf(openBundleItem(path, 'disk', { trust, identities: [recipient.identity], output: memoryOutput(), expect: { request: 'R2', purpose: 'investigation' }, policy }))).toBe('ERR_CONTEXT_MISMATCH');
    expect(await codeOf(openBundleItem(path, 'disk', { trust, identities: [recipient.identity], output: memoryOutput(), expect: { request: 'R1', purpose: 'marketing' }, policy }))).toBe('ERR_CONTEXT_MISMATCH');
    expect(await codeOf(openBundleItem(path, 'nope', { expect: 'none', trust, identities: [recipient.identity], output: memoryOutput(), policy }))).toBe('ERR_ITEM_NOT_FOUND');
    expect(await codeOf(openBundleItem(path, 'disk', { expect: 'none', trust, identities: [generateIdentity().identity], output: memoryOutput(), policy }))).toBe('ERR_NO_IDENTITY');
    expect(await codeOf(openBundleItem(path, 'disk', { expect: 'none', trust, identities: [recipient.identity], output: memoryOutput() }))).toBe('ERR_VERIFICATION_FAILED');
  });

  it('issue 17: openBundleItem requires expect.request and expect.purpose, or an explicit expect: none', async () => {
    const path = await make('ctx.tar');
    const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isCustosError(e) ? e.code : String(e)));
    for (const expect_ of [undefined, {}, { request: 'R1' }, { purpose: 'investigation' }]) {
      expect(await codeOf(openBundleItem(path, 'disk', { trust, identities: [recipient.identity], output: memoryOutput(), policy, expect: expect_ as never }))).toBe('ERR_INVALID_ARGUMENT');
    }
    const opened = await openBundleItem(path, 'disk', { expect: 'none', trust, identities: [recipient.identity], output: memoryOutput(), policy });
    expect(opened.contextChecked).toBe(false);
  });

  it('a plaintext that differs from the digest the chain signed fails at the end, and the output is aborted', async () => {
    const other = await encrypt(crypto.randomBytes(1000), [recipient.recipient]);
    const path = await make('swap.tar', { items: [{ ...item, encrypted: other }] });
    const out = memoryOutput();
    const err = await openBundleItem(path, 'disk', { expect: 'none', trust, identities: [recipient.identity], output: out, policy }).then(() => undefined, (e: unknown) => e);
    expect(isCustosError(err, 'ERR_DIGEST_MISMATCH')).toBe(true);
    expect(() => out.bytes()).toThrow();
  });

  it('rejects unsafe item ids and duplicates at creation', async () => {
    for (const id of ['../x', 'a/b', '', '.hidden']) {
      await expect(make('bad.tar', { items: [{ ...item, id }] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    await expect(make('dup.tar', { items: [item, item] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
