/**
 * CASE/UCO JSON-LD export of a custody chain, checked with a real JSON-LD processor (jsonld.js,
 * safe mode: any term that would be dropped, or an invalid IRI or value, throws), with no
 * network (the document loader refuses every URL: the context is inline).
 *
 * What is checked: every expanded property and class is an IRI of the CASE 1.x / UCO 1.x
 * namespaces (or rdf/xsd for literals); every typed literal is xsd or UCO vocabulary; every
 * reference resolves to a node of the graph; one InvestigativeAction per event with performer,
 * instrument (the legal basis), startTime and object/result; one ProvenanceRecord per item; the
 * ContentDataFacet carries every digest as uco-types:Hash and the size. What is NOT checked here:
 * the CASE/UCO SHACL shapes (no SHACL validator is packaged in Debian here; shape constraints
 * such as sh:nodeKind sh:IRI were followed by hand: every object reference is an IRI).
 *
 * Attacks: a chain that does not verify is not exported; a report of another chain is refused.
 */
import fc from 'fast-check';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.js';
import { exportChainAsCase } from '../../src/custody/case.js';
import { verifyChain } from '../../src/custody/verify.js';
import { isCustosError } from '../../src/errors.js';
import { KEYS, T0, HOUR, trust } from './fixture.js';
import { appendEvent, createChain, type CustodyChain, type CustodyEventInput } from '../../src/custody/index.js';
import type { SigningKey } from '../../src/keys/signing.js';

const append = (c: CustodyChain, input: CustodyEventInput, key: SigningKey): CustodyChain => appendEvent(c, input, key, { trust }).chain;

const NAMESPACES = [
  'https://ontology.caseontology.org/case/investigation/',
  'https://ontology.unifiedcyberontology.org/uco/action/',
  'https://ontology.unifiedcyberontology.org/uco/core/',
  'https://ontology.unifiedcyberontology.org/uco/identity/',
  'https://ontology.unifiedcyberontology.org/uco/location/',
  'https://ontology.unifiedcyberontology.org/uco/observable/',
  'https://ontology.unifiedcyberontology.org/uco/types/',
];
const LITERAL_TYPES = ['http://www.w3.org/2001/XMLSchema#', 'https://ontology.unifiedcyberontology.org/uco/vocabulary/'];
const I = 'https://ontology.caseontology.org/case/investigation/';
const A = 'https://ontology.unifiedcyberontology.org/uco/action/';
const O = 'https://ontology.unifiedcyberontology.org/uco/observable/';
const T = 'https://ontology.unifiedcyberontology.org/uco/types/';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 25);

const noNetwork = async (url: string): Promise<never> => {
  throw new Error(`no network in this test: ${url}`);
};

function story(): CustodyChain {
  const sha = new Uint8Array(32).fill(7);
  const md5 = new Uint8Array(16).fill(9);
  let c = createChain('AT-WKSTA-2026-000417/disk');
  c = append(c, { type: 'acquired', time: T0, actor: { authority: 'at.lpd-wien', role: 'collector' }, location: 'Wien, Rossauer Lände', purpose: 'investigation', authorisation: { type: 'warrant', reference: 'LG Wien 12 HR 34/26' }, digests: { 'sha-256': sha, md5 }, note: 'disk image' }, KEYS.police);
  c = append(c, { type: 'sealed', time: T0 + HOUR, actor: { authority: 'at.lpd-wien', role: 'custodian' }, digests: { 'sha-256': sha }, seals: ['A-0042117'] }, KEYS.police);
  c = append(c, { type: 'transferred', time: T0 + 2 * HOUR, actor: { authority: 'at.lpd-wien', role: 'custodian' }, counterparty: { authority: 'at.bk-lab', role: 'examiner' } }, KEYS.police);
  c = append(c, { type: 'received', time: T0 + 3 * HOUR, actor: { authority: 'at.bk-lab', role: 'custodian' } }, KEYS.lab);
  return c;
}

type Expanded = Record<string, unknown>[];

function walk(nodes: Expanded, visit: (key: string, value: unknown, node: Record<string, unknown>) => void): void {
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n)) {
      visit(k, v, n);
      if (Array.isArray(v)) walk(v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null), visit);
    }
  }
}

describe('custody export as CASE/UCO JSON-LD', () => {
  it('expands losslessly (jsonld safe mode) to CASE/UCO IRIs only, with the mapping the issue names', async () => {
    const chain = story();
    const report = verifyChain(chain.events, trust);
    expect(report.ok).toBe(true);
    const doc = exportChainAsCase(chain.events, report, { size: 1_048_576 });
    expect(JSON.stringify(exportChainAsCase(chain.events, report, { size: 1_048_576 }))).toBe(JSON.stringify(doc)); // deterministic
    const expanded = (await jsonld.expand(JSON.parse(JSON.stringify(doc)), { safe: true, documentLoader: noNetwork })) as Expanded;
    // @graph with a default graph expands to the node list
    expect(expanded.length).toBe(doc['@graph'].length);
    const ids = new Set(expanded.map((n) => n['@id'] as string));
    walk(expanded, (k, v, node) => {
      if (k === '@type') {
        for (const t of [v].flat() as string[]) {
          if ('@value' in node) expect(LITERAL_TYPES.some((ns) => t.startsWith(ns)), t).toBe(true);
          else expect(NAMESPACES.some((ns) => t.startsWith(ns)), t).toBe(true);
        }
      } else if (k === '@id') {
        expect(v as string).toMatch(/^urn:custos:/);
        if (Object.keys(node).length === 1) expect(ids.has(v as string), `dangling reference ${String(v)}`).toBe(true);
      } else if (!k.startsWith('@')) expect(NAMESPACES.some((ns) => k.startsWith(ns)), k).toBe(true);
    });
    const ofType = (t: string) => expanded.filter((n) => (n['@type'] as string[] | undefined)?.includes(t));
    const actions = ofType(`${I}InvestigativeAction`);
    expect(actions).toHaveLength(chain.events.length);
    for (const a of actions) {
      expect(a[`${A}performer`]).toHaveLength(1);
      expect((a[`${A}startTime`] as { '@type': string }[])[0]!['@type']).toBe('http://www.w3.org/2001/XMLSchema#dateTime');
      expect(a[`${A}object`]).toBeDefined();
    }
    const first = actions[0]!;
    expect((first[`${A}startTime`] as { '@value': string }[])[0]!['@value']).toBe('2026-11-01T08:00:00Z');
    const auth = ofType(`${I}Authorization`);
    expect(auth).toHaveLength(1);
    expect(auth[0]![`${I}authorizationIdentifier`]).toEqual([{ '@value': 'LG Wien 12 HR 34/26' }]);
    expect(first[`${A}instrument`]).toEqual([{ '@id': auth[0]!['@id'] }]);
    expect(actions[2]![`${A}participant`]).toEqual([{ '@id': 'urn:custos:authority:at.bk-lab' }]);
    expect(actions[3]![`${I}wasInformedBy`]).toEqual([{ '@id': actions[2]!['@id'] }]);
    const prov = ofType(`${I}ProvenanceRecord`);
    expect(prov).toHaveLength(1);
    expect(prov[0]![`${I}exhibitNumber`]).toEqual([{ '@value': 'AT-WKSTA-2026-000417/disk' }]);
    expect(first[`${A}result`]).toEqual([{ '@id': prov[0]!['@id'] }]);
    const items = ofType(`${O}ObservableObject`);
    expect(items).toHaveLength(1);
    const facet = (items[0]!['https://ontology.unifiedcyberontology.org/uco/core/hasFacet'] as Record<string, unknown>[])[0]!;
    expect(facet['@type']).toEqual([`${O}ContentDataFacet`]);
    expect(facet[`${O}sizeInBytes`]).toEqual([{ '@type': 'http://www.w3.org/2001/XMLSchema#integer', '@value': '1048576' }]);
    const hashes = (facet[`${O}hash`] as Record<string, { '@value': string }[]>[]).map((h) => [h[`${T}hashMethod`]![0]!['@value'], h[`${T}hashValue`]![0]!['@value']]);
    expect(hashes.sort()).toEqual([['MD5', toHex(new Uint8Array(16).fill(9))], ['SHA256', toHex(new Uint8Array(32).fill(7))]]);
    // the event hashes name the actions
    expect(actions.map((a) => a['@id'])).toEqual(report.events.map((e) => `urn:custos:event:${toHex(e.hash)}`));
  });

  it('property: any digests and any text fields export losslessly, the hashes exactly the chain\'s digests', async () => {
    const algs = { md5: 16, 'sha-1': 20, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 } as const;
    const method: Record<string, string> = { md5: 'MD5', 'sha-1': 'SHA1', 'sha-256': 'SHA256', 'sha-384': 'SHA384', 'sha-512': 'SHA512' };
    const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(Object.keys(algs) as (keyof typeof algs)[], { minLength: 1 }),
        fc.integer({ min: 0, max: 255 }),
        text,
        text,
        text,
        async (chosen, fill, location, note, reference) => {
          const digests = Object.fromEntries(chosen.map((a) => [a, new Uint8Array(algs[a]).fill(fill)]));
          let c = createChain('R-1/item');
          c = append(c, { type: 'acquired', time: T0, actor: { authority: 'at.lpd-wien', role: 'collector' }, location, note, authorisation: { type: 'warrant', reference }, digests }, KEYS.police);
          c = append(c, { type: 'sealed', time: T0 + 1, actor: { authority: 'at.lpd-wien', role: 'custodian' }, note }, KEYS.police);
          const report = verifyChain(c.events, trust, { allowPendingTransfer: true });
          const doc = exportChainAsCase(c.events, report);
          const expanded = (await jsonld.expand(JSON.parse(JSON.stringify(doc)), { safe: true, documentLoader: noNetwork })) as Expanded;
          const item = expanded.find((n) => (n['@type'] as string[]).includes(`${O}ObservableObject`))!;
          const facet = (item['https://ontology.unifiedcyberontology.org/uco/core/hasFacet'] as Record<string, unknown>[])[0]!;
          const got = (facet[`${O}hash`] as Record<string, { '@value': string }[]>[]).map((h) => `${h[`${T}hashMethod`]![0]!['@value']}=${h[`${T}hashValue`]![0]!['@value']}`).sort();
          expect(got).toEqual(chosen.map((a) => `${method[a]}=${toHex(digests[a]!)}`).sort());
          const auth = expanded.find((n) => (n['@type'] as string[]).includes(`${I}Authorization`))!;
          expect(auth[`${I}authorizationIdentifier`]).toEqual([{ '@value': reference }]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('safe mode is not a test that cannot fail: an undefined term is caught', async () => {
    const chain = story();
    const doc = exportChainAsCase(chain.events, verifyChain(chain.events, trust)) as unknown as { '@graph': Record<string, unknown>[] };
    doc['@graph'][0]!['notAnOntologyTerm'] = 'x';
    await expect(jsonld.expand(doc, { safe: true, documentLoader: noNetwork })).rejects.toBeDefined();
  });

  it('refuses a chain that does not verify, and a report of another chain', () => {
    const chain = story();
    const events = [...chain.events];
    const bad = events[1]!.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    events[1] = bad;
    const report = verifyChain(events, trust);
    expect(report.ok).toBe(false);
    expect(() => exportChainAsCase(events, report)).toThrow(expect.objectContaining({ code: 'ERR_VERIFICATION_FAILED' }));
    const good = verifyChain(chain.events, trust);
    expect(() => exportChainAsCase(chain.events.slice(0, 2), good)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    try {
      exportChainAsCase(events, report);
    } catch (e) {
      expect(isCustosError(e)).toBe(true);
    }
  });
});
