/** `custos open` (one bundle item, verified, to a file or stdout) and `custos rewrap`. */
import { stat } from 'node:fs/promises';
import { rewrapFile } from '../../node/envelope.js';
import { sealFile } from '../../node/seal-file.js';
import { openBundleItem } from '../../node/bundle.js';
import type { PlaintextOutput } from '../../bundle/itempass.js';
import type { Command } from '../command.js';
import { distinctFiles, EXIT, exitCodeFor, FORCE_OPTION, noReplace, refuseExisting, str, strs } from '../command.js';
import { CustosError } from '../../errors.js';
import { UsageError, writeStdout } from '../io.js';
import { readKeyFile } from '../keyfile.js';
import { SIGNER_HELP, SIGNER_OPTIONS, withCliSigner } from '../signer.js';
import { digestsOutFile, SEAL_HELP, SEAL_OPTIONS, sealPlan } from '../seal-options.js';
import { HASH_ALGS, digestsToHex } from '../../seal/digests.js';
import { loadTrust } from './bundle.js';

export const open: Command = {
  name: 'open',
  summary: 'verify one bundle item and decrypt it (the checks it depends on run first)',
  synopsis: 'BUNDLE ITEM -k KEYFILE --trust FILE [-o OUT|-] (--request ID --purpose P | --no-context-check) [--audience ID] [--waive NAME]… [--allow-unsealed] [--force]',
  details: [
    '  Refuses (exit 1) when the manifest, the item\'s digests, seal or custody chain do not verify,',
    '  and (exit 1, ERR_CONTEXT_MISMATCH) when --request or --purpose differ from what the bundle states.',
    '  --request and --purpose are required; --no-context-check opens without comparing them (reported).',
    '  The plaintext SHA-256 is checked against the custody chain at the end; on mismatch the output',
    '  file is not created (with -o -, the error comes after the bytes: check the exit code).',
  ].join('\n'),
  example: 'custos open bundle.tar disk -k requester.key --trust trust.json --request AT-WKSTA-2026-000417 -o disk.img',
  options: {
    key: { type: 'string', short: 'k' },
    trust: { type: 'string', short: 't' },
    output: { type: 'string', short: 'o' },
    request: { type: 'string' },
    purpose: { type: 'string' },
    'no-context-check': { type: 'boolean' },
    audience: { type: 'string' },
    waive: { type: 'string', multiple: true },
    'allow-unsealed': { type: 'boolean' },
    ...FORCE_OPTION,
  },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    const keys = await readKeyFile(str(v, 'key', true));
    const trust = await loadTrust(str(v, 'trust', true));
    const out = str(v, 'output') ?? '-';
    const request = str(v, 'request');
    const purpose = str(v, 'purpose');
    const noContext = v['no-context-check'] === true;
    if (noContext && (request !== undefined || purpose !== undefined)) throw new UsageError('--no-context-check and --request/--purpose exclude each other');
    if (!noContext && (request === undefined || purpose === undefined)) throw new UsageError('open needs --request ID and --purpose P (the context the item must be for), or --no-context-check');
    const audience = str(v, 'audience');
    const waive = strs(v, 'waive');
    const policy = { ...(v['allow-unsealed'] === true ? { requireSeal: false } : {}), ...(audience !== undefined ? { audience } : {}), ...(waive.length > 0 ? { waive } : {}) };
    if (out === '-' && io.json) throw new UsageError('--json needs -o FILE (stdout carries the JSON result)');
    distinctFiles([['BUNDLE', args[0]], ['-o', out]]);
    await refuseExisting(v, out);
    const bar = out === '-' ? { add() {}, done() {} } : io.progress(`opening ${args[1]}`, await stat(args[0]!).then((st) => st.size, () => 0));
    // One handle, one pass: the library verifies and decrypts from the same open file. A file
    // output appears only after every check passed; on stdout the bytes go out as they are
    // decrypted and a failure comes after them (check the exit code).
    const output = out === '-' ? stdoutOutput() : out;
    let opened: Awaited<ReturnType<typeof openBundleItem>>;
    try {
      opened = await openBundleItem(args[0]!, args[1]!, {
        trust,
        identities: keys.identities,
        output,
        noReplace: noReplace(v),
        expect: noContext ? 'none' : { request: request!, purpose: purpose! },
        policy,
        onBytes: (n) => bar.add(n),
      });
    } catch (e) {
      // the verdict line, unless stdout carries the plaintext (the error itself goes to stderr)
      if (out !== '-' && exitCodeFor(e) === EXIT.failed) io.out(io.style('fail', `NOT VERIFIED: ${args[1]} not opened (${e instanceof CustosError ? e.code : 'error'})`));
      throw e;
    }
    bar.done();
    if (out !== '-') {
      // the verdict (stdout, kept by --quiet), unless stdout carries the plaintext; it names what
      // was given up, so a quiet run never shows a plain VERIFIED for a qualified result
      const waived = opened.report.waived;
      const plain = waived.length === 0 && opened.contextChecked;
      const verdict = waived.length > 0 ? `VERIFIED WITH WAIVERS: ${waived.join(', ')}` : 'VERIFIED';
      io.out(io.style(plain ? 'ok' : 'bold', `${verdict}: ${args[1]} opened to ${out}${opened.contextChecked ? '' : ' (context NOT checked)'}`));
      io.info(`wrote ${out}: ${opened.size} bytes, SHA-256 ${opened.sha256 ?? '(no chain digest)'}`);
    }
    if (!opened.contextChecked) io.info('context NOT checked (--no-context-check): the item was not compared with a request or purpose');
    if (opened.report.waived.length > 0) io.info(`opened WITH WAIVERS: ${opened.report.waived.join(', ')}`);
    io.result({ ok: true, item: args[1], output: out, size: opened.size, sha256: opened.sha256 ?? null, checks: opened.report.checks.length, contextChecked: opened.contextChecked, waived: opened.report.waived });
    return 0;
  },
};

/** Plaintext to stdout as it is decrypted (no atomicity possible: the exit code is the verdict). */
function stdoutOutput(): PlaintextOutput {
  return {
    write: (parts) => writeStdout(parts),
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

export const rewrap: Command = {
  name: 'rewrap',
  summary: 'add or remove recipients of an age file; the payload (and so its seal) is unchanged',
  synopsis: 'FILE.age -k KEYFILE [--add RECIPIENT]… [--remove-all] [--allow-mixed-pq] [-o OUT [--force]]',
  details: [
    '  The key file\'s identities unwrap the file key; --add wraps it for more recipients (age1…, age1pq1…);',
    '  --remove-all drops every existing stanza first (then --add names the new recipients).',
    '  A post-quantum (age1pq1…) and a classic recipient in one file are refused (ERR_PQ_MIXED): the',
    '  classic one makes the file not quantum-resistant; --allow-mixed-pq accepts that.',
    '  Without -o the file is rewritten in place (atomically); an existing -o OUT is refused unless --force.',
  ].join('\n'),
  example: 'custos rewrap disk.age -k executor.key --add age1pq1… -o disk-shared.age',
  options: { key: { type: 'string', short: 'k' }, add: { type: 'string', multiple: true }, 'remove-all': { type: 'boolean' }, 'allow-mixed-pq': { type: 'boolean' }, output: { type: 'string', short: 'o' }, ...FORCE_OPTION },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const keys = await readKeyFile(str(v, 'key', true));
    const add = strs(v, 'add');
    const removeAll = v['remove-all'] === true;
    if (add.length === 0) throw new UsageError('give at least one --add');
    const out = str(v, 'output');
    if (out !== undefined && out !== args[0]) await refuseExisting(v, out);
    const changes = { add, ...(removeAll ? { remove: 'all' as const } : {}), allowMixedPostQuantum: v['allow-mixed-pq'] === true };
    const bar = io.progress(`rewrapping ${args[0]}`, await stat(args[0]!).then((st) => st.size, () => 0));
    const r = await rewrapFile(args[0]!, keys.identities, changes, {
      ...(out !== undefined && out !== args[0] ? { output: out, noReplace: noReplace(v) } : {}),
      onBytes: (n) => bar.add(n),
    });
    bar.done();
    io.info(`rewrapped ${args[0]}${out !== undefined ? ` → ${out}` : ''}: new header ${r.payloadOffset} bytes, payload untouched`);
    io.result({ ok: true, input: args[0], output: out ?? args[0], headerBytes: r.payloadOffset, size: r.size });
    return 0;
  },
};

export const seal: Command = {
  name: 'seal',
  summary: 'encrypt a file (or stdin) to age recipients and seal it (signed manifest: forensic SHA-256, payload digest, context) in one read',
  synopsis: 'FILE|- (-k KEYFILE | --signer pkcs11:URI --authority ID) (--recipient R | --to WHO [--trust FILE])… --id ITEM --case ID --purpose P --legal-basis L [--request ID] [--restriction R]… [--retention ISO] [--hash sha256,sha1,md5,sha512] [--reported ALG=HEX]… [--digests-out FILE] [--allow-mixed-pq] -o OUT.age [--seal-out OUT.cose] [--force]',
  details: [
    '  FILE is the evidence to seal; `-` reads stdin, as imaging pipelines do:',
    '    ewfexport -u -t - -f raw disk.E01 | custos seal - … --hash sha256,sha1,md5 --reported md5=<hex>',
    SEAL_HELP,
    '  --digests-out FILE  write the plaintext digests as JSON {"sha-256": "<hex>", …} (atomic, 0644)',
    '  The seal goes to OUT.age.cose unless --seal-out says otherwise; both files are written atomically,',
    '  the age file only once the seal is signed; an existing one is refused (ERR_EXISTS, exit 3) unless --force.',
    SIGNER_HELP,
  ].join('\n'),
  example: 'custos seal - -k executor.key --to requester.example.eu --trust trust.json --id disk --case 512-St-88 --purpose investigation --legal-basis "2023/1543 Art. 5" --hash sha256,sha1,md5 --reported md5=… -o disk.age',
  options: {
    key: { type: 'string', short: 'k' },
    id: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'seal-out': { type: 'string' },
    'digests-out': { type: 'string' },
    ...SEAL_OPTIONS,
    ...FORCE_OPTION,
    ...SIGNER_OPTIONS,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    // every option is checked before the input is opened or a byte of it read
    const plan = await sealPlan(v, str(v, 'id', true));
    const input = args[0]!;
    const out = str(v, 'output', true);
    const sealOut = str(v, 'seal-out') ?? `${out}.cose`;
    const digestsOut = str(v, 'digests-out');
    if (out === '-' || sealOut === '-' || digestsOut === '-') throw new UsageError('-o, --seal-out and --digests-out name files (stdout carries the result)');
    distinctFiles([['input', input], ['-o', out], ['--seal-out', sealOut], ['--digests-out', digestsOut]]);
    return withCliSigner(v, async ({ signer, authority }) => {
      const fromStdin = input === '-';
      await refuseExisting(v, out, sealOut, ...(digestsOut !== undefined ? [digestsOut] : []));
      // a missing input is reported by sealFile (ERR_IO), not by this size lookup
      const total = fromStdin ? undefined : await stat(input).then((st) => st.size, () => 0);
      const bar = io.progress(`sealing ${fromStdin ? 'stdin' : input}`, total);
      let shown = 0; // sealFile reports bytes read so far; the bar takes increments
      const dOut = await digestsOutFile(digestsOut, noReplace(v));
      let r: Awaited<ReturnType<typeof sealFile>>;
      let digests: Record<string, string>;
      try {
        r = await sealFile(fromStdin ? (process.stdin as AsyncIterable<Uint8Array>) : input, out, sealOut, {
          onProgress: (n) => {
            bar.add(n - shown);
            shown = n;
          },
          noReplace: noReplace(v),
          recipients: plan.recipients,
          signer,
          authority,
          allowMixedPostQuantum: plan.allowMixedPostQuantum,
          id: plan.id,
          context: plan.context,
          hashes: plan.hashes,
          reported: plan.reported,
        });
        digests = digestsToHex(r.digests);
        await dOut.commit(digests);
      } catch (e) {
        await dOut.abort();
        throw e;
      }
      bar.done();
      const sha = digests['sha-256']!;
      io.out(`${sha}  ${input}`);
      for (const [a, hex] of Object.entries(digests)) if (a !== 'sha-256') io.info(`${a} ${hex}`);
      const checked = HASH_ALGS.filter((a) => plan.reported[a] !== undefined);
      if (checked.length > 0) io.info(`reported digests match: ${checked.join(', ')}`);
      io.info(`wrote ${out} and ${sealOut} (${r.manifest.size} bytes sealed)`);
      io.result({ ok: true, output: out, seal: sealOut, size: r.manifest.size, sha256: sha, digests, reportedChecked: checked, ...(digestsOut !== undefined ? { digestsOut } : {}) });
      return 0;
    });
  },
};
