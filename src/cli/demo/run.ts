/**
 * `custos demo`: a complete cross-border exchange, end to end, with real keys, real files and
 * the real formats. An Austrian prosecutor issues an EPOC (EU e-Evidence Regulation) to an Irish
 * mail provider; the provider collects three items (a server disk image, a subscriber record, a
 * traffic log), records custody, redacts the records to what the purpose allows, encrypts to the
 * prosecutor's post-quantum hybrid and X25519 recipients, logs every action in a transparency
 * log whose checkpoints a witness cosigns, and hands over one bundle; the prosecutor verifies
 * everything offline and opens the items. Every step prints what it did and how long it took.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { equalBytes, toHex, utf8 } from '../../bytes.js';
import { fail } from '../../errors.js';
import { encode } from '../../cbor.js';
import { appendEvent, createChain } from '../../custody/append.js';
import { serializeChain, type CustodyChain } from '../../custody/chain.js';
import type { CustodyEventInput } from '../../custody/append.js';
import { SigningKey } from '../../keys/signing.js';
import { TrustStore } from '../../keys/trust.js';
import { NOTE_TYPE_COSIGNATURE, formatVerifierKey, noteSigner } from '../../log/notekeys.js';
import { verifyCheckpoint } from '../../log/witness.js';
import { openLog } from '../../node/logstore.js';
import { CustodyLog } from '../../node/custody-log.js';
import { createBundle, openBundleItem, verifyBundle, type BundleItemInput } from '../../node/bundle.js';
import { memoryOutput } from '../../bundle/open.js';
import { createSealTracker } from '../../seal/seal.js';
import type { SealContext } from '../../seal/manifest.js';
import { commitRecord } from '../../redact/commit.js';
import { minimize, parseDisclosurePolicy } from '../../redact/policy.js';
import { presentRecord } from '../../redact/present.js';
import { verifyPresentation } from '../../redact/verify.js';
import { deadlines } from '../../request/deadlines.js';
import { validateRequest } from '../../request/validate.js';
import { generateAuthorityKeys, trustDocumentFor, writeKeyFile, type AuthorityKeys } from '../keyfile.js';
import { diskImage, PARTIES, POLICY, REDACTABLE, SUBSCRIBER_RECORD, TRAFFIC_LOG, demoRequest } from './data.js';
import { encryptToFile } from './encrypt.js';
import { writeFileAtomic } from '../../node/files.js';
import * as crypto from '#crypto';

/**
 * Every artefact is written with no-replace (link to its final name): the demo never replaces a
 * file in its directory (`custos demo --force` removes its own artefacts before it starts).
 */
const NO_REPLACE = { noReplace: true } as const;

export interface DemoOptions {
  /** Where the artefacts go (default: a new temp dir). */
  readonly dir?: string;
  /** Size of the synthetic disk image in bytes (default 200 MB). */
  readonly imageSize?: number;
  /** Where the account goes, line by line. */
  readonly print: (line: string) => void;
  /** How to invoke the CLI in the printed hints (default `custos`). */
  readonly cli?: string;
  /** False when `dir` is removed after the run: the hints to continue by hand are not printed. */
  readonly keep?: boolean;
  /** Progress for long steps (bytes). */
  readonly progress?: (label: string, total: number) => { add(n: number): void; done(): void };
}

export interface DemoResult {
  readonly dir: string;
  readonly ok: boolean;
  readonly bundle: string;
  readonly trust: string;
  readonly requesterKey: string;
  readonly logDir: string;
  readonly steps: readonly { readonly step: string; readonly ms: number }[];
  /** Steps the demo left out because the module behind them is not available. */
  readonly omitted: readonly string[];
  /** A classic (X25519-only) copy of the disk image for the age 1.1 CLI; not in the bundle, not sealed. */
  readonly classicCopy: string;
  /** The X25519 identity that opens {@link DemoResult.classicCopy} (0600). */
  readonly classicIdentity: string;
}

function loaded(doc: ReturnType<typeof generateAuthorityKeys>): AuthorityKeys {
  const signer = SigningKey.fromSecret(Uint8Array.from(Buffer.from(doc.signing.secret, 'base64url')), doc.signing.alg);
  return { doc, signer, identities: doc.age.map((a) => a.identity), recipients: doc.age.map((a) => a.recipient) };
}

/** Runs the demo; resolves when the requesting side has verified and opened everything. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'custos-demo-')));
  await mkdir(dir, { recursive: true });
  const work = join(dir, 'work');
  await mkdir(work, { recursive: true });
  const imageSize = opts.imageSize ?? 200 * 1000 * 1000;
  const p = opts.print;
  const steps: { step: string; ms: number }[] = [];
  const omitted: string[] = [];
  const step = async <T>(title: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await f();
    const ms = performance.now() - t0;
    steps.push({ step: title, ms });
    p(`  ✓ ${title} (${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms)`);
    return v;
  };
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

  p(`custos demo: a cross-border e-evidence exchange, in ${dir}`);
  p('');
  p(`1. Keys. ${PARTIES.requester.name} (${PARTIES.requester.jurisdiction}) requests; ${PARTIES.executor.name} (${PARTIES.executor.jurisdiction}) answers.`);
  const created = new Date(Date.now() - 60_000);
  const requester = await step('requesting authority: Ed25519 signing key, ML-KEM-768+X25519 and X25519 age identities → requester.key (0600)', async () => {
    const doc = generateAuthorityKeys({ ...PARTIES.requester, roles: ['custodian', 'prosecutor'], pq: true, created });
    await writeKeyFile(join(dir, 'requester.key'), doc, NO_REPLACE);
    return loaded(doc);
  });
  const executor = await step('executing side: signing key and identities → executor.key', async () => {
    const doc = generateAuthorityKeys({ ...PARTIES.executor, roles: ['collector', 'custodian', 'examiner', 'disclosure-officer'], created });
    await writeKeyFile(join(dir, 'executor.key'), doc, NO_REPLACE);
    return loaded(doc);
  });
  const logSigningKey = SigningKey.generate();
  const logKey = noteSigner(PARTIES.logOrigin, logSigningKey);
  const witnessKey = noteSigner(PARTIES.witness, SigningKey.generate(), NOTE_TYPE_COSIGNATURE);
  const trustDoc = trustDocumentFor([requester, executor], {
    logs: [{ origin: PARTIES.logOrigin, vkey: formatVerifierKey(logKey) }],
    witnesses: [{ name: PARTIES.witness, vkey: formatVerifierKey(witnessKey) }],
    witnessQuorum: 1,
  });
  const trustPath = join(dir, 'trust.json');
  await step('trust store both sides share → trust.json (authorities, log key, witness, quorum 1)', async () => {
    await writeFileAtomic(trustPath, utf8(`${JSON.stringify(trustDoc, null, 2)}\n`), 0o644, NO_REPLACE);
  });
  const trust = TrustStore.parse(trustDoc);

  p('');
  p('2. The request.');
  const request = await step('EPOC validated against the EU 2023/1543 template', async () => validateRequest(demoRequest(new Date())));
  const receivedAt = new Date().toISOString();
  for (const d of deadlines(request, receivedAt).slice(0, 3)) p(`     deadline ${d.id}: ${d.dueAt ?? 'open'} (${d.basis})`);
  await writeFileAtomic(join(dir, 'request.json'), utf8(`${JSON.stringify(request, null, 2)}\n`), 0o644, NO_REPLACE);
  const purpose = request.purpose.code;

  p('');
  p('3. The executing side collects, records custody, redacts, encrypts and seals; every custody event goes to its log.');
  const logDir = join(dir, 'log');
  const log = await openLog(logDir, { signer: logKey, origin: PARTIES.logOrigin, witnesses: [witnessKey] });
  // Items go to the post-quantum recipient only: an X25519 stanza beside it would let anyone who
  // breaks X25519 recover the file key (ERR_PQ_MIXED without an opt-in). The age 1.1 CLI cannot
  // read mlkem768x25519, so step 3 also writes a separate classic copy of the disk image.
  const recipients = requester.recipients.filter((r) => r.startsWith('age1pq1'));
  const classic = requester.recipients.filter((r) => !r.startsWith('age1pq1'));
  const actor = { authority: PARTIES.executor.id, role: 'custodian' };
  const auth = { type: 'EPOC', reference: request.id };
  // Each custody event is logged as it happens; the library glue (CustodyLog) issues its receipts
  // (C2SP tlog-proof with the witness cosignature, RFC 9942 COSE receipt) under the bundle's names,
  // against a tree of size >= 2 (RFC 9942's CDDL has no empty inclusion path), and at hand-over
  // the consistency receipts up to the newest checkpoint.
  const custodyLog = new CustodyLog(log);
  const addEvent = async (chain: CustodyChain, item: string, input: CustodyEventInput): Promise<CustodyChain> => {
    const r = appendEvent(chain, input, executor.signer, { trust });
    await custodyLog.record(item, r.chain.events.length - 1, r.event);
    return r.chain;
  };
  const items: BundleItemInput[] = [];
  const context: SealContext = {
    caseId: request.issuing.authority.fileNumber,
    requestId: request.id,
    purpose,
    legalBasis: request.legalBasis,
    restrictions: ['no-onward-transfer', 'speciality'],
    ...(request.retentionUntil !== undefined ? { retentionUntil: request.retentionUntil } : {}),
    issuingState: request.issuing.state,
    executingState: PARTIES.executor.jurisdiction,
  };
  const tracker = (id: string, mediaType: string, dataCategories: string[]) =>
    createSealTracker({ recipients, signer: executor.signer, authority: PARTIES.executor.id, id, mediaType, context: { ...context, dataCategories } });
  const sealRef = (seal: Uint8Array): string => `seal-sha256:${toHex(crypto.sha256(seal)).slice(0, 32)}`;

  // Item 1: the disk image, streamed: generated, hashed and encrypted in one pass, never in memory.
  const bar = opts.progress?.('sealing disk image', imageSize);
  const diskSeal = tracker('disk', 'application/octet-stream', ['content']);
  const acquiredAt = new Date();
  const disk = await step(`disk image (${mb(imageSize)}): hashed, encrypted to age1pq1… (post-quantum only), and sealed in one streaming pass`, () =>
    encryptToFile(diskImage(imageSize), join(work, 'disk.age'), recipients, (n) => bar?.add(n), diskSeal),
  );
  const diskSealed = diskSeal.finish();
  bar?.done();
  p(`     SHA-256 ${toHex(disk.sha256)}`);
  const classicCopy = join(dir, 'disk.classic.age');
  const classicIdentity = join(dir, 'x25519-identity.txt');
  await step('classic copy for the age 1.1 CLI: the same image encrypted to age1… alone → disk.classic.age (not in the bundle, not sealed, not quantum-resistant)', async () => {
    const copy = await encryptToFile(diskImage(imageSize), classicCopy, classic);
    if (!equalBytes(copy.sha256, disk.sha256)) fail('ERR_INTERNAL', 'the classic copy differs from the sealed image');
    const id = requester.identities.find((i) => i.startsWith('AGE-SECRET-KEY-1'));
    if (id === undefined) fail('ERR_INTERNAL', 'the requester has no X25519 identity');
    await writeFileAtomic(classicIdentity, utf8(`${id}\n`), 0o600, NO_REPLACE);
  });
  let diskChain = createChain(`${request.id}/disk`);
  await step('custody: acquired → sealed, each event signed, logged, and given its receipts', async () => {
    diskChain = await addEvent(diskChain, 'disk', { type: 'acquired', time: acquiredAt, actor: { ...actor, role: 'collector' }, purpose, authorisation: auth, location: 'Dublin data centre, rack 12', digests: { 'sha-256': disk.sha256 }, note: 'forensic image of mail server mx2' });
    diskChain = await addEvent(diskChain, 'disk', { type: 'sealed', actor, purpose, digests: { 'sha-256': disk.sha256 }, seals: [sealRef(diskSealed.seal)] });
  });
  items.push({ id: 'disk', encrypted: disk.path, seal: diskSealed.seal, mediaType: 'application/octet-stream', size: disk.size });

  // Items 2 and 3: structured records, committed field by field, minimised to the purpose.
  const policy = parseDisclosurePolicy(POLICY);
  const nonce = toHex(crypto.randomBytes(16));
  const records: { id: string; record: Record<string, unknown>; redactable: string[]; categories: string[] }[] = [
    { id: 'subscriber', record: SUBSCRIBER_RECORD, redactable: REDACTABLE.subscriber, categories: ['subscriber'] },
    { id: 'traffic', record: TRAFFIC_LOG, redactable: REDACTABLE.traffic, categories: ['traffic'] },
  ];
  const chains = new Map<string, CustodyChain>();
  for (const r of records) {
    const presentation = await step(`${r.id} record: committed (salted digests), minimised to purpose "${purpose}", presented to ${PARTIES.requester.id}`, async () => {
      const committed = commitRecord(r.record as never, { redactable: r.redactable, signer: executor.signer });
      const m = minimize(committed, policy, { purpose, categories: r.categories, requestId: request.id, audience: PARTIES.requester.id });
      const pres = presentRecord(committed, m.disclosures, { audience: PARTIES.requester.id, requestId: request.id, purpose, nonce, signer: executor.signer });
      p(`     disclosed: ${m.event.disclosedPaths.join(', ')}; withheld: ${m.event.withheldCount} fields`);
      let chain = createChain(`${request.id}/${r.id}`);
      chain = await addEvent(chain, r.id, { type: 'collected', actor: { ...actor, role: 'collector' }, purpose, authorisation: auth, digests: { 'sha-256': crypto.sha256(committed.bytes) } });
      chain = await addEvent(chain, r.id, { type: 'redacted', actor: { ...actor, role: 'disclosure-officer' }, purpose, note: `policy ${m.event.policyId} sha256:${m.event.policyHash}; ${m.event.withheldCount} withheld` });
      chain = await addEvent(chain, r.id, { type: 'derived', actor: { ...actor, role: 'examiner' }, purpose, digests: { 'sha-256': crypto.sha256(pres) }, note: 'redacted presentation' });
      chains.set(r.id, chain);
      return pres;
    });
    const t = tracker(r.id, 'application/vnd.custos.presentation+cbor', r.categories);
    const enc = await step(`${r.id} presentation encrypted and sealed (${presentation.length} bytes)`, () => encryptToFile([presentation], join(work, `${r.id}.age`), recipients, undefined, t));
    const sealed = t.finish();
    let chain = chains.get(r.id)!;
    chain = await addEvent(chain, r.id, { type: 'sealed', actor, purpose, digests: { 'sha-256': enc.sha256 }, seals: [sealRef(sealed.seal)] });
    chains.set(r.id, chain);
    items.push({ id: r.id, encrypted: enc.path, seal: sealed.seal, mediaType: 'application/vnd.custos.presentation+cbor', size: enc.size });
  }
  chains.set('disk', diskChain);

  p('');
  p('4. Hand-over.');
  await step('custody: transferred to the requesting authority (each chain), logged', async () => {
    for (const it of items) {
      const c = await addEvent(chains.get(it.id)!, it.id, {
        type: 'transferred',
        actor,
        purpose,
        counterparty: { authority: PARTIES.requester.id, role: 'custodian', kid: requester.signer.kid },
        authorisation: auth,
      });
      chains.set(it.id, c);
    }
  });
  const handOver = await step('newest checkpoint, and consistency receipts (RFC 9942) from every tree a receipt was issued against to it', () => custodyLog.handOver());
  const checkpoint = handOver.checkpoint;
  const consistency = handOver.consistency;
  const cp = verifyCheckpoint(checkpoint, { log: [formatVerifierKey(logKey)], witnesses: [formatVerifierKey(witnessKey)], quorum: 1, origin: PARTIES.logOrigin });
  p(`     log ${PARTIES.logOrigin}: ${custodyLog.count} entries, checkpoint size ${cp.checkpoint?.size}, cosigned by ${cp.cosignedBy.map((w) => w.name).join(', ')}`);
  await log.close();
  const bundlePath = join(dir, 'bundle.tar');
  const bar2 = opts.progress?.('writing bundle', imageSize);
  await step('bundle.tar written: items, custody chains, checkpoint, signed manifest (each item read once)', () =>
    createBundle(bundlePath, {
      signer: executor.signer,
      issuer: PARTIES.executor.id,
      request: request.id,
      case: request.issuing.authority.fileNumber,
      items: items.map((it) => ({ ...it, custody: serializeChain(chains.get(it.id)!), receipts: custodyLog.receiptsFor(it.id) })),
      checkpoints: [{ name: 'checkpoint', text: checkpoint }],
      consistency,
      onBytes: (n) => bar2?.add(n),
    }, NO_REPLACE),
  );
  bar2?.done();

  p('');
  p(`5. The requesting side verifies everything offline, with nothing but bundle.tar and trust.json.`);
  const bar3 = opts.progress?.('verifying', imageSize);
  const report = await step('verifyBundle: manifest signature, exactly the signed files, every digest, seals (payload hash, no key), custody chains, checkpoint, witness quorum, receipts', () =>
    verifyBundle(bundlePath, { trust, policy: { audience: PARTIES.requester.id }, onBytes: (n) => bar3?.add(n) }),
  );
  bar3?.done();
  for (const c of report.checks) if (!c.ok || !['file.digest', 'receipt'].includes(c.check)) p(`     ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}${c.subject ? ` ${c.subject}` : ''}${c.ok ? '' : ` [${c.code}]`}: ${c.detail}`);
  const count = (k: string): number => report.checks.filter((c) => c.check === k && c.ok).length;
  p(`     ok   ${count('file.digest')} file digests, ${count('receipt')} receipts (each custody event's inclusion in the cosigned log, consistent with the newest checkpoint)`);
  p(`     ${report.checks.filter((c) => c.ok).length}/${report.checks.length} checks passed${report.ok ? '' : ' — NOT VERIFIED'}`);
  let ok = report.ok;

  p('');
  p('6. The requesting side opens the items with its key file (post-quantum identity first).');
  for (const it of items) {
    await step(`opened ${it.id}: seal context matches the request and purpose, decrypted, plaintext SHA-256 matches seal and chain`, async () => {
      // The disk image goes to a file (atomic: it appears only after every check passed), the
      // small presentations to memory, where they are verified in turn.
      const out = it.id === 'disk' ? join(dir, 'opened', 'disk.img') : memoryOutput();
      if (typeof out === 'string') await mkdir(join(dir, 'opened'), { recursive: true });
      const opened = await openBundleItem(bundlePath, it.id, { trust, identities: requester.identities, output: out, noReplace: true, expect: { request: request.id, purpose } });
      const n = opened.size;
      if (typeof out !== 'string') {
        const pres = out.bytes();
        const v = verifyPresentation(pres, { trust, expect: { audience: PARTIES.requester.id, requestId: request.id, purpose, nonce, issuer: PARTIES.executor.id } });
        if (!v.ok) {
          ok = false;
          p(`     presentation FAILED: ${v.report.failures.map((f) => f.code).join(', ')}`);
        } else p(`     verified presentation: ${JSON.stringify(v.record)}`);
      } else p(`     ${mb(n)}, SHA-256 ${opened.sha256?.slice(0, 32) ?? '?'}… (checked against the chain while streaming)`);
    });
  }
  await step('custody completed: the requesting authority signs "received" on each chain → received/<id>.custody.cbor', async () => {
    await mkdir(join(dir, 'received'), { recursive: true });
    for (const it of items) {
      const r = appendEvent(chains.get(it.id)!, { type: 'received', actor: { authority: PARTIES.requester.id, role: 'custodian' }, purpose }, requester.signer, { trust });
      await writeFileAtomic(join(dir, 'received', `${it.id}.custody.cbor`), serializeChain(r.chain), 0o644, NO_REPLACE);
    }
  });
  // The encrypted items now live in bundle.tar; the working copies would only double the disk use.
  await rm(work, { recursive: true, force: true });

  p('');
  if (omitted.length > 0) {
    p('Left out (not available in this build):');
    for (const o of omitted) p(`  - ${o}`);
    p('');
  }
  const total = steps.reduce((a, s) => a + s.ms, 0);
  p(`${ok ? 'DONE' : 'FAILED'} in ${(total / 1000).toFixed(1)} s. Artefacts in ${dir}:`);
  p('  bundle.tar     the evidence bundle (tar -tf lists it; custos verify/inspect check it)');
  p('  trust.json     the trust store (authorities, log key, witness)');
  p('  requester.key  the requesting authority key file (0600)');
  p('  executor.key   the executing authority (mail provider) key file (0600)');
  p('  request.json   the EPOC the exchange answers');
  p('  log/           the transparency log (C2SP tlog-tiles layout)');
  p('  opened/        the disk image as the requesting side opened it (verified, then decrypted)');
  p('  received/      the custody chains completed by the requesting authority');
  p('  disk.classic.age, x25519-identity.txt  an X25519-only copy of the disk image and its key, for age 1.1 (not in the bundle)');
  if (opts.keep !== false) {
    p(`Try: ${opts.cli ?? 'custos'} verify ${bundlePath} --trust ${trustPath}`);
    p(`     ${opts.cli ?? 'custos'} inspect ${bundlePath}`);
  }
  void encode;
  return { dir, ok, bundle: bundlePath, trust: trustPath, requesterKey: join(dir, 'requester.key'), logDir, steps, omitted, classicCopy, classicIdentity };
}
