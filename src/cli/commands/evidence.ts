/** `custos open` (one bundle item, verified, to a file or stdout) and `custos rewrap`. */
import { rewrapFile } from '../../node/envelope.js';
import { openBundleItem } from '../../node/bundle-open.js';
import { AtomicFile, iterateStream } from '../../node/bundle-fs.js';
import type { Command } from '../command.js';
import { str, strs } from '../command.js';
import { UsageError, writeStdout } from '../io.js';
import { readKeyFile } from '../keyfile.js';
import { loadTrust } from './bundle.js';

export const open: Command = {
  name: 'open',
  summary: 'verify one bundle item and decrypt it (the checks it depends on run first)',
  synopsis: 'BUNDLE ITEM -k KEYFILE --trust FILE [-o OUT|-] [--request ID] [--purpose P] [--allow-unsealed]',
  details: [
    '  Refuses (exit 1) when the manifest, the item\'s digests, seal or custody chain do not verify,',
    '  and (exit 1, ERR_CONTEXT_MISMATCH) when --request or --purpose differ from what the bundle states.',
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
    'allow-unsealed': { type: 'boolean' },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    const keys = await readKeyFile(str(v, 'key', true));
    const trust = await loadTrust(str(v, 'trust', true));
    const out = str(v, 'output') ?? '-';
    const request = str(v, 'request');
    const purpose = str(v, 'purpose');
    const opened = await openBundleItem(args[0]!, args[1]!, {
      trust,
      identities: keys.identities,
      expect: { ...(request !== undefined ? { request } : {}), ...(purpose !== undefined ? { purpose } : {}) },
      ...(v['allow-unsealed'] === true ? { policy: { requireSeal: false } } : {}),
    });
    let n = 0;
    if (out === '-') {
      if (io.json) throw new UsageError('--json needs -o FILE (stdout carries the JSON result)');
      await writeStdout((async function* () {
        for await (const c of iterateStream(opened.plaintext)) {
          n += c.length;
          yield c;
        }
      })());
    } else {
      const f = await AtomicFile.create(out, 0o600);
      try {
        for await (const c of iterateStream(opened.plaintext)) {
          n += c.length;
          await f.write(c);
        }
        await f.commit();
      } catch (e) {
        await f.abort();
        throw e;
      }
      io.info(`wrote ${out}: ${n} bytes, SHA-256 ${opened.sha256 ?? '(no chain digest)'}`);
    }
    io.result({ ok: true, item: args[1], output: out, size: n, sha256: opened.sha256 ?? null, checks: opened.report.checks.length });
    return 0;
  },
};

export const rewrap: Command = {
  name: 'rewrap',
  summary: 'add or remove recipients of an age file; the payload (and so its seal) is unchanged',
  synopsis: 'FILE.age -k KEYFILE [--add RECIPIENT]… [--remove-all] [-o OUT]',
  details: [
    '  The key file\'s identities unwrap the file key; --add wraps it for more recipients (age1…, age1pq1…);',
    '  --remove-all drops every existing stanza first (then --add names the new recipients).',
    '  Without -o the file is rewritten in place (atomically).',
  ].join('\n'),
  example: 'custos rewrap disk.age -k executor.key --add age1pq1… -o disk-shared.age',
  options: { key: { type: 'string', short: 'k' }, add: { type: 'string', multiple: true }, 'remove-all': { type: 'boolean' }, output: { type: 'string', short: 'o' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const keys = await readKeyFile(str(v, 'key', true));
    const add = strs(v, 'add');
    const removeAll = v['remove-all'] === true;
    if (add.length === 0) throw new UsageError('give at least one --add');
    const out = str(v, 'output');
    const r = await rewrapFile(args[0]!, keys.identities, { add, ...(removeAll ? { remove: 'all' as const } : {}) }, out !== undefined ? { output: out } : {});
    io.info(`rewrapped ${args[0]}${out !== undefined ? ` → ${out}` : ''}: new header ${r.payloadOffset} bytes, payload untouched`);
    io.result({ ok: true, input: args[0], output: out ?? args[0], headerBytes: r.payloadOffset, size: r.size });
    return 0;
  },
};
