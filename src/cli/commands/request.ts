/** `custos request validate|deadlines|status|stats`. */
import { readFile } from 'node:fs/promises';
import { itemLength } from '../../cbor.js';
import { CustosError } from '../../errors.js';
import { deadlines } from '../../request/deadlines.js';
import { fulfilmentChartSvg, statisticsCsv } from '../../request/render.js';
import { statistics } from '../../request/statistics.js';
import { requestStatus } from '../../request/status.js';
import { RequestInvalidError, validateRequest } from '../../request/validate.js';
import { verifyStatusChain } from '../../request/verify.js';
import type { EvidenceRequest } from '../../request/schema.js';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { readInput, UsageError } from '../io.js';
import { loadTrust } from './bundle.js';

async function loadRequest(path: string): Promise<EvidenceRequest> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(await readInput(path, 4 * 1024 * 1024)));
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('ERR_REQUEST_INVALID', `${path} is not JSON`, { cause: e });
  }
  return validateRequest(json);
}

/** A status chain file: a CBOR sequence of signed status events (COSE_Sign1), split without decoding. */
async function loadChain(path: string): Promise<Uint8Array[]> {
  const b = new Uint8Array(await readFile(path).catch((e: unknown) => { throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e }); }));
  const out: Uint8Array[] = [];
  for (let p = 0; p < b.length; ) {
    const n = itemLength(b.subarray(p), { allowedTags: [18], strict: false });
    out.push(b.slice(p, p + n));
    p += n;
  }
  return out;
}

export const requestValidate: Command = {
  name: 'request validate',
  summary: 'check a request (EPOC, EPOC-PR, EIO, MLA, COE-P2) against its template; every problem with its path',
  synopsis: 'REQUEST.json|- [--json]',
  example: 'custos request validate examples/requests/epoc-traffic.json',
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(_v, args, io) {
    try {
      const r = await loadRequest(args[0]!);
      io.out(`valid ${r.instrument} request ${r.id}`);
      io.result({ ok: true, id: r.id, instrument: r.instrument });
      return 0;
    } catch (e) {
      if (!(e instanceof RequestInvalidError)) throw e;
      for (const i of e.issues) io.out(`${i.path}: ${i.message}`);
      io.result({ ok: false, error: { code: e.code, message: e.message }, issues: e.issues });
      return 3;
    }
  },
};

export const requestDeadlines: Command = {
  name: 'request deadlines',
  summary: 'every due time the instrument sets for a request received at a given instant',
  synopsis: 'REQUEST.json --received ISO-INSTANT [--json]',
  example: 'custos request deadlines examples/requests/epoc-traffic.json --received 2026-03-28T09:00:00+01:00',
  options: { received: { type: 'string' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const r = await loadRequest(args[0]!);
    const ds = deadlines(r, str(v, 'received', true));
    for (const d of ds) io.out(`${d.id.padEnd(22)} ${d.dueAt ?? 'open-ended'}  ${d.party}  (${d.basis})${d.provisional ? ' provisional' : ''}`);
    io.result({ ok: true, id: r.id, deadlines: ds });
    return 0;
  },
};

export const requestStatusCmd: Command = {
  name: 'request status',
  summary: 'what is due, overdue and owed escalation, from the request and its verified status chain',
  synopsis: 'REQUEST.json --chain STATUS.cbor --trust FILE [--now ISO] [--json]',
  example: 'custos request status request.json --chain status.cbor --trust trust.json --now 2026-04-10T12:00:00Z',
  options: { chain: { type: 'string' }, trust: { type: 'string', short: 't' }, now: { type: 'string' } },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const r = await loadRequest(args[0]!);
    const trust = await loadTrust(str(v, 'trust', true));
    const rep = verifyStatusChain(await loadChain(str(v, 'chain', true)), trust, { request: r });
    if (!rep.ok || rep.chain === undefined) {
      const f = rep.checks.find((c) => !c.ok);
      io.out(`status chain does not verify: ${f?.code ?? ''} ${f?.detail ?? ''}`);
      io.result({ ok: false, checks: rep.checks });
      return 1;
    }
    const s = requestStatus(r, rep.chain, str(v, 'now') ?? new Date().toISOString());
    // one call per line: the escaping in io.out turns a newline inside a line into \n
    for (const line of JSON.stringify(s, null, 2).split('\n')) io.out(line);
    io.result({ ok: true, status: s });
    return 0;
  },
};

export const requestStats: Command = {
  name: 'request stats',
  summary: 'oversight statistics (counts, time to fulfilment, overdue rate) with small-count suppression',
  synopsis: '--from ISO --to ISO --trust FILE REQUEST.json=STATUS.cbor… [--csv | --svg] [--suppress-below K]',
  details: '  Only requests whose status chain verifies are counted; each pair is a request and its chain.',
  example: 'custos request stats --from 2026-01-01T00:00:00Z --to 2027-01-01T00:00:00Z --trust trust.json a.json=a.cbor b.json=b.cbor --csv',
  options: { from: { type: 'string' }, to: { type: 'string' }, trust: { type: 'string', short: 't' }, csv: { type: 'boolean' }, svg: { type: 'boolean' }, 'suppress-below': { type: 'string' } },
  minArgs: 1,
  maxArgs: 100_000,
  async run(v, args, io) {
    const trust = await loadTrust(str(v, 'trust', true));
    const requests: EvidenceRequest[] = [];
    const chains = [];
    for (const a of args) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new UsageError(`expected REQUEST.json=STATUS.cbor, got ${a}`);
      const r = await loadRequest(a.slice(0, eq));
      const rep = verifyStatusChain(await loadChain(a.slice(eq + 1)), trust, { request: r });
      if (!rep.ok || rep.chain === undefined) {
        io.info(`skipping ${r.id}: its status chain does not verify`);
        continue;
      }
      requests.push(r);
      chains.push(rep.chain);
    }
    const k = str(v, 'suppress-below');
    const stats = statistics(requests, chains, { from: str(v, 'from', true), to: str(v, 'to', true) }, k !== undefined ? { suppressBelow: Number(k) } : {});
    if (v.csv === true) process.stdout.write(statisticsCsv(stats));
    else if (v.svg === true) process.stdout.write(fulfilmentChartSvg(stats));
    else if (io.json) io.result({ ok: true, ...stats });
    else for (const line of JSON.stringify(stats, null, 2).split('\n')) io.out(line);
    return 0;
  },
};
