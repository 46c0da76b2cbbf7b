/** `custos bundle create`, `custos verify`, `custos inspect`. */
import { readFile } from 'node:fs/promises';
import { toHex } from '../../bytes.js';
import { CustosError } from '../../errors.js';
import { TrustStore } from '../../keys/trust.js';
import { verdictLine, type BundleReport } from '../../bundle/report.js';
import { REQUIREMENTS } from '../../bundle/policy.js';
import { createBundle, inspectBundle, verifyBundle, type BundleItemInput } from '../../node/bundle.js';
import type { Command, Values } from '../command.js';
import { distinctFiles, EXIT, FORCE_OPTION, noReplace, refuseExisting, str, strs } from '../command.js';
import { inputStream, readInput, UsageError, type Io } from '../io.js';
import { AtomicFile } from '../../node/bundle-fs.js';
import { readHandOverDir, readReceiptsDir } from '../../node/chain-receipts.js';
import { SIGNER_HELP, SIGNER_OPTIONS, withCliSigner } from '../signer.js';
import { digestsOutFile, SEAL_HELP, SEAL_OPTIONS, sealPlan, type CliSealPlan } from '../seal-options.js';
import { sealForBundle, type SealingItem } from '../../node/seal-bundle.js';
import { HASH_ALGS, digestsToHex } from '../../seal/digests.js';

/** Reads a trust store file (JSON). */
export async function loadTrust(path: string): Promise<TrustStore> {
  return TrustStore.parse(new TextDecoder().decode(await readInput(path, 16 * 1024 * 1024)));
}

function pairs(v: Values, name: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of strs(v, name)) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} expects ID=FILE, got ${JSON.stringify(s)}`);
    const id = s.slice(0, eq);
    m.set(id, [...(m.get(id) ?? []), s.slice(eq + 1)]);
  }
  return m;
}

async function bytesOf(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
  }
}

export const bundleCreate: Command = {
  name: 'bundle create',
  summary: 'pack encrypted items, seals, custody chains, records, receipts and checkpoints into one signed tar',
  synopsis: '(-k KEYFILE | --signer pkcs11:URI --authority ID) -o OUT.tar --request ID [--case ID] (--item ID=FILE.age | --seal-item ID=FILE|-)… [--seal ID=FILE] [--custody ID=FILE] [--record ID=FILE] [--receipt ID=FILE]… [--receipts ID=DIR]… [--checkpoint FILE]… [--handover DIR] [seal options] [--force]',
  details: [
    "  Each --item is streamed once; the manifest signed with the key file's signing key lists the SHA-256 of every file.",
    '  --receipts ID=DIR   every receipt in DIR (custody append --log writes CHAIN.receipts/); refused while one is deferred',
    '  --handover DIR      the witnessed checkpoint and consistency receipts custody handover wrote',
    '  --force             replace an existing OUT.tar (else ERR_EXISTS, exit 3)',
    '  --seal-item ID=FILE|-  seal the raw evidence straight into the bundle: read once, encrypted into the tar,',
    '                   its seal signed by the same key (no intermediate .age). `-` reads stdin (at most one item);',
    '                   stdin is spooled encrypted to a private temp dir beside OUT.tar first (disk: about 2x the',
    '                   image instead of 3x). Seal options (as for custos seal; --case is required, --request',
    '                   goes into the seal context as into the manifest):',
    SEAL_HELP,
    '  --digests-out FILE  with one --seal-item: write its plaintext digests as JSON (atomic, 0644)',
    SIGNER_HELP,
  ].join('\n'),
  example: 'custos bundle create -k executor.key -o bundle.tar --item disk=disk.age --seal disk=disk.seal --custody disk=disk.chain',
  options: {
    key: { type: 'string', short: 'k' },
    output: { type: 'string', short: 'o' },
    item: { type: 'string', multiple: true },
    seal: { type: 'string', multiple: true },
    custody: { type: 'string', multiple: true },
    record: { type: 'string', multiple: true },
    receipt: { type: 'string', multiple: true },
    receipts: { type: 'string', multiple: true },
    checkpoint: { type: 'string', multiple: true },
    handover: { type: 'string' },
    case: { type: 'string' },
    request: { type: 'string' },
    'seal-item': { type: 'string', multiple: true },
    'digests-out': { type: 'string' },
    ...SEAL_OPTIONS,
    ...FORCE_OPTION,
    ...SIGNER_OPTIONS,
  },
  async run(v, args, io) {
    // --seal-item: ids and seal options checked before any input is read or the signer opened
    const toSeal = pairs(v, 'seal-item');
    const plans = new Map<string, { input: string; plan: CliSealPlan }>();
    for (const [id, files] of toSeal) {
      if (files.length > 1) throw new UsageError(`--seal-item ${id} given twice`);
      plans.set(id, { input: files[0]!, plan: await sealPlan(v, id, '--seal-item') });
    }
    if ([...plans.values()].filter((p) => p.input === '-').length > 1) throw new UsageError('only one --seal-item can read stdin');
    if (plans.size !== 1 && (strs(v, 'reported').length > 0 || str(v, 'digests-out') !== undefined)) throw new UsageError('--reported and --digests-out need exactly one --seal-item');
    for (const id of pairs(v, 'seal').keys()) if (plans.has(id)) throw new UsageError(`--seal ${id}: a --seal-item gets its seal made here`);
    if (plans.size === 0) {
      const stray = ['recipient', 'to', 'trust', 'purpose', 'legal-basis', 'restriction', 'retention', 'hash', 'reported', 'allow-mixed-pq'].filter((o) => v[o] !== undefined);
      if (stray.length > 0) throw new UsageError(`--${stray[0]} is a seal option: it needs a --seal-item`);
    }
    return createWith(v, args, io, plans);
  },
};

async function createWith(v: Values, _args: string[], io: Io, plans: Map<string, { input: string; plan: CliSealPlan }>): Promise<number> {
  return withCliSigner(v, async ({ signer, authority }) => {
    const out = str(v, 'output', true);
    distinctFiles([['-o', out], ['--digests-out', str(v, 'digests-out')], ...[...plans].map(([id, p]) => [`--seal-item ${id}`, p.input] as const)]);
    await refuseExisting(v, out, ...(str(v, 'digests-out') !== undefined ? [str(v, 'digests-out')!] : []));
    const items = pairs(v, 'item');
    if (items.size === 0 && plans.size === 0) throw new UsageError('at least one --item or --seal-item is required');
    for (const id of plans.keys()) if (items.has(id)) throw new UsageError(`${id} is given as --item and as --seal-item`);
    const one = async (m: Map<string, string[]>, id: string, what: string): Promise<Uint8Array | undefined> => {
      const f = m.get(id);
      if (f === undefined) return undefined;
      if (f.length > 1) throw new UsageError(`--${what} given twice for ${id}`);
      return bytesOf(f[0]!);
    };
    const [seals, chains, records, receipts, receiptDirs] = [pairs(v, 'seal'), pairs(v, 'custody'), pairs(v, 'record'), pairs(v, 'receipt'), pairs(v, 'receipts')];
    for (const m of [seals, chains, records, receipts, receiptDirs]) for (const id of m.keys()) if (!items.has(id) && !plans.has(id)) throw new UsageError(`no --item ${id}`);
    const inputs: BundleItemInput[] = [];
    const sealing: [string, SealingItem][] = [];
    const dOut = await digestsOutFile(str(v, 'digests-out'), noReplace(v));
    try {
      for (const [id, files] of [...items, ...[...plans].map(([id, p]) => [id, [p.input]] as const)]) {
        if (files.length > 1) throw new UsageError(`--item ${id} given twice`);
        const [given, custody, record] = [await one(seals, id, 'seal'), await one(chains, id, 'custody'), await one(records, id, 'record')];
        const rc = await Promise.all((receipts.get(id) ?? []).map(async (f) => ({ name: f.split('/').pop()!, bytes: await bytesOf(f) })));
        for (const d of receiptDirs.get(id) ?? []) rc.push(...(await readReceiptsDir(d)));
        if (new Set(rc.map((x) => x.name)).size !== rc.length) throw new UsageError(`two receipts with one name for ${id}`);
        const p = plans.get(id);
        let encrypted: BundleItemInput['encrypted'] = files[0]!;
        let seal: BundleItemInput['seal'] = given;
        if (p !== undefined) {
          const input = p.input === '-' ? (process.stdin as AsyncIterable<Uint8Array>) : p.input;
          const s = await sealForBundle(input, out, { ...p.plan, signer, authority });
          sealing.push([id, s]);
          encrypted = s.encrypted;
          seal = s.seal;
        }
        inputs.push({ id, encrypted, ...(seal ? { seal } : {}), ...(custody ? { custody } : {}), ...(record ? { record } : {}), ...(rc.length ? { receipts: rc } : {}) });
      }
      const checkpoints = await Promise.all(strs(v, 'checkpoint').map(async (f) => ({ name: f.split('/').pop()!, text: new TextDecoder().decode(await bytesOf(f)) })));
      const handoverDir = str(v, 'handover');
      const handover = handoverDir === undefined ? undefined : await readHandOverDir(handoverDir);
      if (handover !== undefined) checkpoints.push(...handover.checkpoints);
      const c = str(v, 'case');
      const r = str(v, 'request');
      const { stat } = await import('node:fs/promises');
      // the bar counts the bytes of --item files; a --seal-item's size shows as it is read
      const sizes = await Promise.all(inputs.map((i) => (typeof i.encrypted === 'string' ? stat(i.encrypted).then((st) => st.size, () => 0) : 0)));
      const bar = io.progress(`bundling ${out}`, plans.size > 0 ? undefined : sizes.reduce((a, b) => a + b, 0));
      const m = await createBundle(out, {
        onBytes: (n) => bar.add(n),
        signer,
        issuer: authority,
        items: inputs,
        checkpoints,
        ...(handover !== undefined && handover.consistency.length > 0 ? { consistency: handover.consistency } : {}),
        ...(c !== undefined ? { case: c } : {}),
        ...(r !== undefined ? { request: r } : {}),
      }, { noReplace: noReplace(v) });
      bar.done();
      const sealed: Record<string, { size: number; digests: Record<string, string>; reportedChecked: string[] }> = {};
      for (const [id, s] of sealing) {
        const res = await s.result();
        const digests = digestsToHex(res.digests);
        const reported = plans.get(id)!.plan.reported;
        sealed[id] = { size: res.manifest.size, digests, reportedChecked: HASH_ALGS.filter((a) => reported[a] !== undefined) };
        io.out(`${digests['sha-256']}  ${plans.get(id)!.input}`);
      }
      if (str(v, 'digests-out') !== undefined) await dOut.commit(Object.values(sealed)[0]!.digests);
      io.info(`wrote ${out}: ${m.items.length} items, ${m.files.length + 1} files${sealing.length > 0 ? ` (${sealing.length} sealed straight in)` : ''}`);
      io.result({ ok: true, file: out, items: m.items.map((i) => i.id), files: m.files.length + 1, ...(sealing.length > 0 ? { sealed } : {}) });
      return 0;
    } finally {
      await dOut.abort(); // a no-op once committed
      for (const [, s] of sealing) await s.dispose();
    }
  });
}

/** Copies stdin to a private temp file: the verifier needs random access to the archive. */
async function stdinToTemp(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises');
  const { rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'custos-stdin-'));
  const path = join(dir, 'bundle.tar');
  const f = await AtomicFile.create(path, 0o600);
  for await (const c of inputStream('-')) await f.write(c);
  await f.commit();
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return path;
}

/** Prints a verification report for humans. */
export function printReport(io: Io, report: BundleReport): void {
  for (const c of report.checks) {
    const mark = c.ok ? io.style('ok', 'ok  ') : io.style('fail', 'FAIL');
    io.detail(mark, ` ${c.check}${c.subject !== undefined ? ` ${c.subject}` : ''}${c.ok ? '' : ` [${c.code}]`}: ${c.detail}`);
  }
  if (report.skipped.length > 0) io.detail(io.style('dim', `not checked (module not available): ${report.skipped.join(', ')}`));
  if (report.waived.length > 0) io.detail(io.style('dim', `waived by the caller (not required): ${report.waived.join(', ')}`));
  if (report.notChecked.length > 0) io.detail(io.style('dim', `items not checked: ${report.notChecked.join(', ')}`));
  const line = verdictLine(report);
  io.out(report.ok ? io.style(line.startsWith('VERIFIED:') ? 'ok' : 'bold', line) : io.style('fail', line));
}

export const verify: Command = {
  name: 'verify',
  summary: 'verify a bundle offline with a trust store (no decryption key needed); exit 1 if anything fails, 3 if it is not a readable bundle',
  synopsis: 'BUNDLE --trust FILE [--item ID]… [--witness-quorum N] [--audience ID] [--waive NAME]… [--known-checkpoint FILE] [--allow-unsealed] [--json]',
  details: [
    '  Every check is listed with ok/FAIL and its error code; --json prints the full report as one object.',
    '  --item ID           verify only these items (plus the manifest and checkpoints)',
    '  --witness-quorum N  witness cosignatures required (default: the trust store\'s witnessQuorum)',
    '  --audience ID       records must be presented to this authority',
    '  --allow-unsealed    accept items without a seal (same as --waive seal)',
    '  --known-checkpoint FILE  the newest checkpoint of the log you already trust: a bundle whose',
    '                      log view is older, or not consistent with it (a fork), fails',
    `  --waive NAME        give up one named requirement (${REQUIREMENTS.join(', ')}); listed in the report,`,
    '                      and the verdict reads VERIFIED WITH WAIVERS',
    '  Verdicts: VERIFIED (everything required, every item), VERIFIED WITH WAIVERS: …, VERIFIED IN PART',
    '  (--item: the items not checked are named), NOT VERIFIED.',
  ].join('\n'),
  example: 'custos verify bundle.tar --trust trust.json --json | jq .ok',
  options: {
    trust: { type: 'string', short: 't' },
    item: { type: 'string', multiple: true },
    'witness-quorum': { type: 'string' },
    'allow-unsealed': { type: 'boolean' },
    audience: { type: 'string' },
    waive: { type: 'string', multiple: true },
    'known-checkpoint': { type: 'string' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const trust = await loadTrust(str(v, 'trust', true));
    const q = str(v, 'witness-quorum');
    if (q !== undefined && !/^\d{1,3}$/.test(q)) throw new UsageError('--witness-quorum expects a small integer');
    const path = args[0] === '-' ? await stdinToTemp() : args[0]!;
    const size = await import('node:fs/promises').then((f) => f.stat(path)).then((s) => s.size, () => 0);
    const bar = io.progress('verifying', size);
    const items = strs(v, 'item');
    const audience = str(v, 'audience');
    const waive = strs(v, 'waive');
    for (const w of waive) if (!(REQUIREMENTS as readonly string[]).includes(w)) throw new UsageError(`--waive: unknown requirement ${JSON.stringify(w)} (one of ${REQUIREMENTS.join(', ')})`);
    const knownFile = str(v, 'known-checkpoint');
    const known = knownFile === undefined ? undefined : new TextDecoder().decode(await readInput(knownFile, 1024 * 1024));
    const report = await verifyBundle(path, {
      trust,
      ...(known !== undefined ? { knownCheckpoint: known } : {}),
      policy: {
        ...(q !== undefined ? { witnessQuorum: Number(q) } : {}),
        ...(audience !== undefined ? { audience } : {}),
        ...(v['allow-unsealed'] === true ? { requireSeal: false } : {}),
        ...(waive.length > 0 ? { waive } : {}),
      },
      ...(items.length > 0 ? { only: items } : {}),
      onBytes: (n) => bar.add(n),
    });
    bar.done();
    if (io.json) io.result(report);
    else printReport(io, report);
    // Exit 3 (input error) when the input is not a readable bundle at all, 1 when it fails.
    return report.ok ? EXIT.ok : report.readable ? EXIT.failed : EXIT.input;
  },
};

export const inspect: Command = {
  name: 'inspect',
  summary: 'show what a bundle holds: items, sizes, hashes, custody timeline, receipts (does not verify)',
  synopsis: 'BUNDLE [--json]',
  example: 'custos inspect bundle.tar',
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(_v, args, io) {
    const info = await inspectBundle(args[0]!);
    if (io.json) {
      io.result({ ok: true, ...(JSON.parse(JSON.stringify(info, (_k, x: unknown) => (x instanceof Uint8Array ? toHex(x) : x))) as object) });
      return 0;
    }
    io.out(`${args[0]} `, io.style('dim', '(not verified: use custos verify)'));
    io.out(`├─ manifest: created ${info.created} by ${info.issuer}${info.case ? `, case ${info.case}` : ''}${info.request ? `, request ${info.request}` : ''}`);
    info.items.forEach((it, i) => {
      const last = i === info.items.length - 1 && info.checkpoints.length === 0;
      const b = last ? '└─' : '├─';
      const p = last ? '   ' : '│  ';
      io.out(`${b} item `, io.style('bold', it.id), `${it.mediaType ? ` (${it.mediaType})` : ''}${it.size !== undefined ? `, ${it.size} bytes plaintext` : ''}`);
      const shown = it.files.filter((f) => !f.name.startsWith('receipts/'));
      for (const f of shown) io.out(`${p}├─ ${f.name}  ${f.size} B  sha256 ${f.sha256.slice(0, 16)}…`);
      for (const line of it.details) io.out(`${p}│    ${line}`);
      io.out(`${p}└─ ${it.files.length} files (${it.files.length - shown.length} receipts)`);
    });
    info.checkpoints.forEach((c, i) => io.out(`${i === info.checkpoints.length - 1 ? '└─' : '├─'} checkpoint ${c.name}: ${c.summary}`));
    return 0;
  },
};
