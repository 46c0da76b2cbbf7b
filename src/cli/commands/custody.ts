/**
 * `custos custody init|append|verify|show|handover`: a chain of custody from the shell. The
 * flows are the library's (node/chain-file.ts, node/chain-receipts.ts); this file parses
 * options and prints. Appending requires a trust store: the signer's authority, role and key
 * validity are checked before anything is signed.
 */
import { equalBytes, toHex, utf8 } from '../../bytes.js';
import { exportChainAsCase } from '../../custody/case.js';
import { verifyChain } from '../../custody/verify.js';
import { CustosError } from '../../errors.js';
import { checkSealSignature, decodeSeal } from '../../seal/verify.js';
import { writeFileAtomic } from '../../node/files.js';
import { EVENT_TYPES, type CustodyEventType } from '../../custody/event.js';
import { eventHash, openCustodyEvent } from '../../custody/chain.js';
import type { ChainReport } from '../../custody/verify.js';
import { formatUtc } from '../../time.js';
import { appendToChainFile, initChainFile, readChainIdFile } from '../../node/chain-file.js';
import { handOver, logEvent, receiptsDirOf, withChainLog } from '../../node/chain-receipts.js';
import { handOverRemote, logEventRemote } from '../../node/chain-receipts-remote.js';
import { withChainTimes } from '../../node/chain-times.js';
import { readChainFile, verifyChainFile } from '../../node/custody-file.js';
import type { Command } from '../command.js';
import { EXIT, str } from '../command.js';
import { readInput, UsageError, type Io } from '../io.js';
import { SIGNER_HELP, SIGNER_OPTIONS, withCliSigner } from '../signer.js';
import { loadTrust } from './bundle.js';
import {
  authorisationOption,
  CHAIN_ID_OPTIONS,
  chainIdOption,
  counterpartyOption,
  derivedFromOption,
  digestsOption,
  LOG_HELP,
  LOG_OPTIONS,
  logOption,
  sealsOption,
} from './custody-args.js';

const CHAIN_ID_HELP = '  --request R --item I  the chain id R/I (what the default bundle policy requires), or --chain-id ID';

export const custodyInit: Command = {
  name: 'custody init',
  summary: 'create an empty chain of custody file for an exhibit (and CHAIN.id naming it)',
  synopsis: 'CHAIN (--request R --item I | --chain-id ID) [--force]',
  details: `${CHAIN_ID_HELP}\n  Refuses an existing file unless --force. Exit 0 ok, 2 usage, 3 input.`,
  example: 'custos custody init disk.chain --request AT-WKSTA-2026-000417 --item disk',
  options: { ...CHAIN_ID_OPTIONS, force: { type: 'boolean' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const id = chainIdOption(v);
    if (id === undefined) throw new UsageError('give --request R --item I or --chain-id ID');
    await initChainFile(args[0]!, id, { force: v.force === true });
    io.info(`wrote ${args[0]}: an empty chain for ${id}`);
    io.result({ ok: true, file: args[0]!, chainId: id });
    return EXIT.ok;
  },
};

export const custodyAppend: Command = {
  name: 'custody append',
  summary: 'sign the next custody event of a chain file, after checking the signer against the trust store',
  synopsis: `CHAIN TYPE (-k KEYFILE | --signer pkcs11:URI --authority ID) --trust FILE --role ROLE [--actor ID] [--counterparty ID[:ROLE]] [--location L] [--purpose P] [--authorisation TYPE=REF] [--digest ALG=HEX]… [--digests FILE] [--seal FILE]… [--seal-number N]… [--derived-from ID=HEX|CHAIN]… [--note TEXT] [--time T] [--log DIR --log-key FILE [--witness URL=VKEY]… [--witness-key FILE]… | --log URL --token-file FILE]`,
  details: [
    `  TYPE: ${EVENT_TYPES.join(', ')}`,
    '  --trust FILE          required: the key must belong to the actor\'s authority, be valid at the event\'s',
    '                        time and now, and the trust store must give the authority ROLE',
    '  --role ROLE           the actor\'s role (collector, custodian, examiner, disclosure-officer)',
    '  --actor ID            the acting authority (default: the key\'s); must be the key\'s authority',
    '  --counterparty ID[:ROLE]  the other party; a transfer names its receiver',
    '  --digest ALG=HEX      sha-256, sha-1, md5, sha-384, sha-512 (repeatable); --digests FILE: a JSON map',
    '                        {"sha-256": "<hex>", …} such as custos seal --digests-out writes',
    '  --seal FILE           a custos seal: its reference (seal-sha256:…) is recorded; --seal-number N a bag number',
    '  --derived-from ID=HEX the item this one was derived from (chain id and event hash), or a chain FILE',
    '  --time T              when it happened (RFC 3339 with a zone; default now)',
    `${CHAIN_ID_HELP}: the chain must be this one (else ERR_CHAIN_ID)`,
    LOG_HELP,
    SIGNER_HELP,
    '  The chain file is replaced atomically, under CHAIN.lock; nothing is written when a check fails.',
    '  Exit 0 ok; 1 the trust store refuses the key or the chain id differs (ERR_KEY_UNKNOWN, ERR_KEY_NOT_VALID,',
    '  ERR_CHAIN_ID); 2 usage; 3 a custody rule refuses the event (ERR_NOT_CUSTODIAN, ERR_ROLE_NOT_ALLOWED, …)',
    '  or an input error.',
  ].join('\n'),
  example: 'custos custody append disk.chain acquired -k executor.key --trust trust.json --role collector --digests disk.digests.json --authorisation EPOC=AT-WKSTA-2026-000417 --log ./log --log-key log.key --witness http://127.0.0.1:7380/=w.example.org+…',
  options: {
    key: { type: 'string', short: 'k' },
    trust: { type: 'string', short: 't' },
    role: { type: 'string' },
    actor: { type: 'string' },
    counterparty: { type: 'string' },
    location: { type: 'string' },
    purpose: { type: 'string' },
    authorisation: { type: 'string' },
    digest: { type: 'string', multiple: true },
    digests: { type: 'string' },
    seal: { type: 'string', multiple: true },
    'seal-number': { type: 'string', multiple: true },
    'derived-from': { type: 'string', multiple: true },
    note: { type: 'string' },
    time: { type: 'string' },
    ...CHAIN_ID_OPTIONS,
    ...LOG_OPTIONS,
    ...SIGNER_OPTIONS,
  },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    const [file, type] = [args[0]!, args[1]!];
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw new UsageError(`unknown event type ${JSON.stringify(type)} (one of ${EVENT_TYPES.join(', ')})`);
    const trust = await loadTrust(str(v, 'trust', true));
    const role = str(v, 'role', true);
    const expectedId = chainIdOption(v);
    const time = str(v, 'time');
    const [counterparty, authorisation, digests, derivedFrom, seals] = [counterpartyOption(v), authorisationOption(v), await digestsOption(v), await derivedFromOption(v), await sealsOption(v)];
    const location = str(v, 'location');
    const purpose = str(v, 'purpose');
    const note = str(v, 'note');
    const log = await logOption(v, trust, io);
    if (log === undefined && (trust.document.logs ?? []).length > 0) {
      io.info('warning: the trust store lists a log and this event is not logged (--log): a bundle with this chain fails custody.logged unless the verifier waives it');
    }
    return withCliSigner(v, async ({ signer, authority }) => {
      const actor = str(v, 'actor') ?? authority;
      if (actor !== authority) throw new UsageError(`--actor ${actor} is not the key's authority ${authority}`);
      const input = {
        type: type as CustodyEventType,
        actor: { authority: actor, role },
        ...(time !== undefined ? { time } : {}),
        ...(counterparty !== undefined ? { counterparty } : {}),
        ...(location !== undefined ? { location } : {}),
        ...(purpose !== undefined ? { purpose } : {}),
        ...(authorisation !== undefined ? { authorisation } : {}),
        ...(digests !== undefined ? { digests } : {}),
        ...(derivedFrom !== undefined ? { derivedFrom } : {}),
        ...(seals !== undefined ? { seals } : {}),
        ...(note !== undefined ? { note } : {}),
      };
      const rdir = receiptsDirOf(file);
      let logged: { index: number; issued: number[]; pending: number[] } | undefined;
      const append = (beforeWrite?: Parameters<typeof appendToChainFile>[3]['beforeWrite']) =>
        appendToChainFile(file, input, signer, { trust, ...(expectedId !== undefined ? { expectedId } : {}), ...(beforeWrite !== undefined ? { beforeWrite } : {}) });
      const out = log === undefined
        ? await append()
        : log.kind === 'url'
          ? await append(async (r) => {
              logged = await logEventRemote(log.opts, rdir, r.chain.events.length - 1, r.event, r.chain.events);
            })
          : await withChainLog(log.opts, (l) => append(async (r) => {
              logged = await logEvent(l, rdir, r.chain.events.length - 1, r.event, r.chain.events);
            }));
      const seq = out.chain.events.length - 1;
      io.out(`${file}: event ${seq} ${type} by ${actor} (${role}), sha256 ${toHex(out.hash)}`);
      if (logged !== undefined) {
        io.out(`logged at index ${logged.index}; receipts in ${rdir}: ${logged.issued.length > 0 ? `issued for event ${logged.issued.join(', ')}` : 'none issued yet'}${logged.pending.length > 0 ? `; deferred for event ${logged.pending.join(', ')} (the log needs a second entry)` : ''}`);
      }
      io.result({
        ok: true,
        file,
        chainId: out.chain.id,
        seq,
        type,
        hash: toHex(out.hash),
        ...(logged !== undefined ? { log: { index: logged.index, receipts: rdir, issued: logged.issued, pending: logged.pending } } : {}),
      });
      return EXIT.ok;
    });
  },
};

function printChainReport(io: Io, file: string, r: ChainReport): void {
  for (const e of r.events) {
    const when = e.time !== undefined ? formatUtc(e.time) : '?';
    const mark = e.status === 'valid' ? io.style('ok', 'ok  ') : io.style('fail', 'FAIL');
    io.out(mark, ` ${e.index} ${e.type ?? '?'} ${when} ${e.actor ? `${e.actor.authority} (${e.actor.role})` : ''}${e.codes.length > 0 ? ` [${e.codes.join(', ')}]` : ''}`);
  }
  for (const f of r.failures) io.out(io.style('fail', 'FAIL'), ` ${f.index < 0 ? 'chain' : `event ${f.index}`} [${f.code}]: ${f.detail}`);
  if (r.ok) io.out(io.style('ok', `VERIFIED: ${file}: chain ${r.chainId ?? '?'}, ${r.length} events, custodian ${r.custodian ?? '?'}${r.pendingTransfer ? `, in transit to ${r.pendingTransfer.to}` : ''}`));
  else io.out(io.style('fail', `NOT VERIFIED: ${file}: ${r.failures.length} failures`));
}

/** A report or event as JSON: byte strings as lower-case hex. */
function hexJson(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v)));
}

export const custodyVerify: Command = {
  name: 'custody verify',
  summary: 'verify a chain file against a trust store: signatures, links, rules, keys; exit 1 if anything fails',
  synopsis: 'CHAIN --trust FILE [--request R --item I | --chain-id ID] [--allow-pending-transfer] [--json]',
  details: [
    `${CHAIN_ID_HELP}: the chain must be this one`,
    '  --allow-pending-transfer  accept a chain ending in a transfer not yet received (an item in transit)',
    '  Exit 0 VERIFIED, 1 NOT VERIFIED, 2 usage, 3 unreadable input.',
  ].join('\n'),
  example: 'custos custody verify disk.chain --trust trust.json --request AT-WKSTA-2026-000417 --item disk',
  options: { trust: { type: 'string', short: 't' }, 'allow-pending-transfer': { type: 'boolean' }, ...CHAIN_ID_OPTIONS },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const trust = await loadTrust(str(v, 'trust', true));
    // without --request/--item, the id custody init recorded (CHAIN.id): another item's chain file
    // copied over this one does not verify
    const expectedId = chainIdOption(v) ?? (await readChainIdFile(args[0]!));
    const chainReport = await verifyChainFile(args[0]!, trust, {
      ...(expectedId !== undefined ? { expectedId } : {}),
      ...(v['allow-pending-transfer'] === true ? { allowPendingTransfer: true } : {}),
    });
    // the bundle verifier's time rule: a revoked key's event needs a witnessed receipt
    let report = chainReport;
    if (chainReport.ok) {
      const { events } = await readChainFile(args[0]!);
      const last = events[events.length - 1];
      if (events.length !== chainReport.length || last === undefined || chainReport.head === undefined || !equalBytes(eventHash(last), chainReport.head)) {
        throw new CustosError('ERR_IO', `${args[0]} changed while it was verified`);
      }
      report = await withChainTimes(args[0]!, events, trust, chainReport);
    }
    if (io.json) io.result({ file: args[0]!, ...(hexJson(report) as object) });
    else printChainReport(io, args[0]!, report);
    return report.ok ? EXIT.ok : EXIT.failed;
  },
};

export const custodyShow: Command = {
  name: 'custody show',
  summary: 'print the events of a chain file (not verified: use custody verify)',
  synopsis: 'CHAIN [--json]',
  details: '  --json: one object with every event, byte strings (digests, hashes, kids) as lower-case hex.',
  example: 'custos custody show disk.chain --json',
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(_v, args, io) {
    const chain = await readChainFile(args[0]!);
    const events = chain.events.map((bytes, index) => {
      const { event } = openCustodyEvent(bytes);
      return { index, hash: toHex(eventHash(bytes)), ...(hexJson(event) as Record<string, unknown>), time: formatUtc(event.time) };
    });
    if (io.json) {
      io.result({ ok: true, file: args[0]!, chainId: chain.id, verified: false, events });
      return EXIT.ok;
    }
    io.out(`${args[0]}: chain ${chain.id}, ${events.length} events `, io.style('dim', '(not verified: use custos custody verify)'));
    for (const e of events) {
      const ev = e as unknown as Record<string, unknown> & { actor: { authority: string; role: string } };
      io.out(`${e.index} ${String(ev.type)} ${e.time} ${ev.actor.authority} (${ev.actor.role})`);
      const cp = ev.counterparty as { authority: string; role?: string } | undefined;
      if (cp !== undefined) io.out(`    counterparty ${cp.authority}${cp.role !== undefined ? ` (${cp.role})` : ''}`);
      for (const k of ['location', 'purpose', 'note'] as const) if (typeof ev[k] === 'string') io.out(`    ${k} ${ev[k] as string}`);
      const au = ev.authorisation as { type: string; reference: string } | undefined;
      if (au !== undefined) io.out(`    authorisation ${au.type} ${au.reference}`);
      for (const [alg, hex] of Object.entries((ev.digests as Record<string, string> | undefined) ?? {})) io.out(`    ${alg} ${hex}`);
      for (const s of (ev.seals as string[] | undefined) ?? []) io.out(`    seal ${s}`);
      for (const d of (ev.derivedFrom as { chainId: string; event: string }[] | undefined) ?? []) io.out(`    derived from ${d.chainId} event ${d.event}`);
      io.out(`    sha256 ${e.hash}`);
    }
    return EXIT.ok;
  },
};

export const custodyHandover: Command = {
  name: 'custody handover',
  summary: 'before bundle create: issue deferred receipts, write the witnessed newest checkpoint and the consistency receipts',
  synopsis: 'CHAIN… --trust FILE (--log DIR --log-key FILE [--witness URL=VKEY]… [--witness-key FILE]… | --log URL --token-file FILE) -o DIR',
  details: [
    '  Issues the receipts still deferred in each CHAIN.receipts/, then writes to -o DIR the log\'s newest',
    '  checkpoint cosigned by the witnesses (DIR/checkpoint) and an RFC 9942 consistency receipt from every',
    '  tree size a receipt was issued against to it (DIR/consistency-<size>.receipt.cose):',
    '  bundle create --handover DIR takes them. The checkpoint must meet the trust store\'s witness quorum.',
    '  With --log URL every receipt is re-issued against the log\'s newest published checkpoint (one tree:',
    '  no consistency receipt needed).',
    LOG_HELP,
  ].join('\n'),
  example: 'custos custody handover disk.chain --trust trust.json --log ./log --log-key log.key --witness http://127.0.0.1:7380/=w.example.org+… -o handover',
  options: { trust: { type: 'string', short: 't' }, output: { type: 'string', short: 'o' }, ...LOG_OPTIONS },
  minArgs: 1,
  maxArgs: 64,
  async run(v, args, io) {
    const trust = await loadTrust(str(v, 'trust', true));
    const out = str(v, 'output', true);
    const log = await logOption(v, trust, io);
    if (log === undefined) throw new UsageError('--log DIR is required');
    const chains: { dir: string; events: readonly Uint8Array[] }[] = [];
    for (const f of args) chains.push({ dir: receiptsDirOf(f), events: (await readChainFile(f)).events });
    const r = log.kind === 'url' ? await handOverRemote(log.opts, chains, out) : await withChainLog(log.opts, (l) => handOver(l, chains, out));
    io.out(`${out}/checkpoint: size ${r.size}; ${r.consistency.length} consistency receipts; ${r.issued.reduce((a, i) => a + i.events.length, 0)} deferred receipts issued`);
    io.result({ ok: true, dir: out, size: r.size, consistency: r.consistency.map((c) => c.oldSize), issued: r.issued });
    return EXIT.ok;
  },
};

export const custodyExport: Command = {
  name: 'custody export',
  summary: 'export a verified chain of custody as CASE/UCO JSON-LD (InvestigativeAction per event, ProvenanceRecord, hashes)',
  synopsis: 'CHAIN --format case --trust FILE [--seal FILE] [-o OUT.jsonld]',
  details: [
    '  The chain is verified first (a transfer in transit is accepted); a chain that does not verify is not',
    '  exported (exit 1). --seal FILE: the item\'s seal, verified against the trust store, gives sizeInBytes',
    '  (its SHA-256 must be the chain\'s). The document goes to stdout, or to -o OUT (written atomically;',
    '  --json then prints a summary). Vocabulary: CASE 1.x / UCO 1.x IRIs; see the README for the mapping.',
  ].join('\n'),
  example: 'custos custody export disk.chain --format case --trust trust.json --seal disk.age.cose -o disk.case.jsonld',
  options: { format: { type: 'string' }, trust: { type: 'string', short: 't' }, seal: { type: 'string' }, output: { type: 'string', short: 'o' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    if (str(v, 'format', true) !== 'case') throw new UsageError('--format: only "case" (CASE/UCO JSON-LD) is supported');
    const out = str(v, 'output');
    if (out === undefined && io.json) throw new UsageError('--json needs -o FILE (stdout carries the JSON result)');
    const trust = await loadTrust(str(v, 'trust', true));
    const file = args[0]!;
    const chain = await readChainFile(file);
    const report = await withChainTimes(file, chain.events, trust, verifyChain(chain.events, trust, { expectedId: (await readChainIdFile(file)) ?? chain.id, allowPendingTransfer: true }));
    if (!report.ok) {
      const f = report.failures[0];
      throw new CustosError(f?.code ?? 'ERR_VERIFICATION_FAILED', `${file} does not verify${f !== undefined ? `: ${f.detail}` : ''}: not exported`);
    }
    let size: number | undefined;
    const sealFile = str(v, 'seal');
    if (sealFile !== undefined) {
      const decoded = decodeSeal(await readInput(sealFile, 1 << 20));
      const checks: Parameters<typeof checkSealSignature>[2] = [];
      const signed = checkSealSignature(decoded, trust, checks);
      const bad = checks.find((c) => !c.ok);
      if (signed === undefined || bad !== undefined) throw new CustosError(bad?.code ?? 'ERR_SIGNATURE_INVALID', `the seal ${sealFile} does not verify`);
      const sha = report.digests?.['sha-256'];
      if (sha === undefined || !equalBytes(sha, decoded.manifest.sha256)) throw new CustosError('ERR_DIGEST_MISMATCH', `the seal ${sealFile} is of another item (its SHA-256 is not the chain's)`);
      size = decoded.manifest.size;
    }
    const doc = exportChainAsCase(chain.events, report, size !== undefined ? { size } : {});
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (out === undefined) {
      process.stdout.write(text);
      return EXIT.ok;
    }
    await writeFileAtomic(out, utf8(text), 0o644);
    io.info(`wrote ${out}: ${doc['@graph'].length} nodes (CASE/UCO JSON-LD)`);
    io.result({ ok: true, file, format: 'case', output: out, nodes: doc['@graph'].length });
    return EXIT.ok;
  },
};
