/** `custos redact`: commit a record, keep only what the policy allows for the purpose, present it to one recipient. */
import { CustosError } from '../../errors.js';
import { commitRecord } from '../../redact/commit.js';
import type { RecordMap } from '../../redact/disclosure.js';
import { minimize, parseDisclosurePolicy } from '../../redact/policy.js';
import { presentRecord } from '../../redact/present.js';
import { writeFileAtomic } from '../../node/bundle-fs.js';
import type { Command } from '../command.js';
import { FORCE_OPTION, noReplace, refuseExisting, str, strs } from '../command.js';
import { readInput, UsageError } from '../io.js';
import { SIGNER_HELP, SIGNER_OPTIONS, withCliSigner } from '../signer.js';

async function json(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readInput(path, 16 * 1024 * 1024));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CustosError('ERR_RECORD_INVALID', `${path} is not JSON`, { cause: e });
  }
}

export const redact: Command = {
  name: 'redact',
  summary: 'disclose only what a purpose allows: commit a JSON record, minimise it by policy, sign a presentation',
  synopsis: 'RECORD.json|- --policy POLICY.json --purpose CODE --category CAT… --request ID --audience ID --nonce N --redactable PATH… (-k KEYFILE | --signer pkcs11:URI) -o OUT.cbor [--force]',
  details: [
    SIGNER_HELP,
    '  --redactable PATH   fields that may be withheld (path language: subscriber.name, logins[*].ip)',
    '  The presentation is bound to --audience, --request, --purpose and --nonce; the custody event data',
    '  of the minimisation (policy hash, disclosed paths, withheld count) is printed (--json: in the result).',
  ].join('\n'),
  example: 'custos redact subscriber.json --policy policy.json --purpose investigation --category subscriber --request AT-1 --audience AT-STA-WIEN --nonce 8f3a --redactable subscriber.name --redactable subscriber.phone -k executor.key -o subscriber.cbor',
  options: {
    policy: { type: 'string' },
    purpose: { type: 'string' },
    category: { type: 'string', multiple: true },
    request: { type: 'string' },
    audience: { type: 'string' },
    nonce: { type: 'string' },
    redactable: { type: 'string', multiple: true },
    key: { type: 'string', short: 'k' },
    output: { type: 'string', short: 'o' },
    ...FORCE_OPTION,
    ...SIGNER_OPTIONS,
  },
  minArgs: 1,
  maxArgs: 1,
  run: (v, args, io) => withCliSigner(v, async ({ signer }) => {
    const record = await json(args[0]!);
    const policy = parseDisclosurePolicy(await json(str(v, 'policy', true)));
    const categories = strs(v, 'category');
    const redactable = strs(v, 'redactable');
    if (categories.length === 0) throw new UsageError('give at least one --category');
    if (redactable.length === 0) throw new UsageError('give at least one --redactable path');
    const purpose = str(v, 'purpose', true);
    const requestId = str(v, 'request', true);
    const audience = str(v, 'audience', true);
    const out = str(v, 'output', true);
    await refuseExisting(v, out);
    const committed = await commitRecord(record as RecordMap, { redactable, signer });
    const m = minimize(committed, policy, { purpose, categories, requestId, audience });
    const pres = await presentRecord(committed, m.disclosures, { audience, requestId, purpose, nonce: str(v, 'nonce', true), signer });
    await writeFileAtomic(out, pres, 0o644, { noReplace: noReplace(v) });
    io.out(`disclosed: ${m.event.disclosedPaths.join(', ') || '(nothing)'}; withheld: ${m.event.withheldCount}`);
    io.info(`wrote ${out} (${pres.length} bytes), bound to ${audience} for ${requestId}/${purpose}`);
    io.result({ ok: true, output: out, event: m.event });
    return 0;
  }),
};
