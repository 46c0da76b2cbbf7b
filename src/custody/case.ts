/**
 * A chain of custody as CASE/UCO JSON-LD (CASE 1.x, UCO 1.x), for case-management and forensic
 * tools that read CASE (https://caseontology.org):
 *
 * - the item: a `uco-observable:ObservableObject` whose `uco-observable:ContentDataFacet` carries
 *   a `uco-types:Hash` per digest the chain establishes (`hashMethod` from UCO's HashNameVocab:
 *   MD5, SHA1, SHA256, SHA384, SHA512; `hashValue` as xsd:hexBinary) and, when known (from the
 *   seal), `sizeInBytes`;
 * - one `case-investigation:ProvenanceRecord` for the item (`exhibitNumber` = the chain id,
 *   `uco-core:object` = the item), the result of the first event;
 * - one `case-investigation:InvestigativeAction` per event: `uco-core:name` the event type,
 *   `uco-action:performer` the acting authority (a `uco-identity:Organization`),
 *   `uco-action:participant` the counterparty, `uco-action:instrument` the legal basis (a
 *   `case-investigation:Authorization` with `authorizationType` and `authorizationIdentifier`),
 *   `uco-action:startTime` the signed time, `uco-action:location` a `uco-location:Location`,
 *   `uco-action:object` the item (for `derived`: the items it came from, the item being the
 *   `uco-action:result`), `case-investigation:wasInformedBy` the previous event; role, purpose,
 *   seals and note go to `uco-core:description`.
 *
 * IRIs are `urn:custos:…` names derived from the chain id and the event hashes, so the same chain
 * always exports to the same document. Only a chain that verified is exported (the caller's
 * report); the export states facts custos checked, nothing it did not.
 */
import { toHex } from '../bytes.js';
import { fail } from '../errors.js';
import { formatUtc } from '../time.js';
import { eventHash, openCustodyEvent } from './chain.js';
import type { ChainReport } from './verify.js';

/** The JSON-LD context of the export: CASE/UCO namespaces (1.x IRIs) and xsd. */
export const CASE_CONTEXT = {
  'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
  'uco-action': 'https://ontology.unifiedcyberontology.org/uco/action/',
  'uco-core': 'https://ontology.unifiedcyberontology.org/uco/core/',
  'uco-identity': 'https://ontology.unifiedcyberontology.org/uco/identity/',
  'uco-location': 'https://ontology.unifiedcyberontology.org/uco/location/',
  'uco-observable': 'https://ontology.unifiedcyberontology.org/uco/observable/',
  'uco-types': 'https://ontology.unifiedcyberontology.org/uco/types/',
  'uco-vocabulary': 'https://ontology.unifiedcyberontology.org/uco/vocabulary/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

/** custos digest names → UCO HashNameVocab. */
const HASH_METHOD: Readonly<Record<string, string>> = { md5: 'MD5', 'sha-1': 'SHA1', 'sha-256': 'SHA256', 'sha-384': 'SHA384', 'sha-512': 'SHA512' };

type Node = Record<string, unknown>;
const ref = (id: string): { '@id': string } => ({ '@id': id });
const iri = (kind: string, s: string): string => `urn:custos:${kind}:${encodeURIComponent(s)}`;

/**
 * The CASE/UCO JSON-LD document of a verified chain.
 *
 * @example
 * ```ts
 * const report = verifyChain(bytes, trust, { allowPendingTransfer: true });
 * const doc = exportChainAsCase(splitChain(bytes).events, report, { size: manifest.size });
 * ```
 */
export function exportChainAsCase(events: readonly Uint8Array[], report: ChainReport, opts: { readonly size?: number } = {}): { '@context': typeof CASE_CONTEXT; '@graph': Node[] } {
  if (!report.ok || report.chainId === undefined) fail('ERR_VERIFICATION_FAILED', 'only a chain that verified is exported');
  if (report.length !== events.length) fail('ERR_INVALID_ARGUMENT', 'the report is of another chain');
  const chainId = report.chainId;
  const item = iri('item', chainId);
  const graph: Node[] = [];
  const seen = new Set<string>();
  const add = (n: Node): void => {
    const id = n['@id'] as string;
    if (!seen.has(id)) {
      seen.add(id);
      graph.push(n);
    }
  };
  const org = (authority: string): string => {
    const id = iri('authority', authority);
    add({ '@id': id, '@type': 'uco-identity:Organization', 'uco-core:name': authority });
    return id;
  };

  const hashes: Node[] = [];
  for (const [alg, value] of Object.entries(report.digests ?? {})) {
    const method = HASH_METHOD[alg];
    hashes.push({
      '@id': iri('hash', `${chainId}/${alg}`),
      '@type': 'uco-types:Hash',
      'uco-types:hashMethod': method !== undefined ? { '@type': 'uco-vocabulary:HashNameVocab', '@value': method } : alg,
      'uco-types:hashValue': { '@type': 'xsd:hexBinary', '@value': toHex(value) },
    });
  }
  const facet: Node = { '@id': iri('content', chainId), '@type': 'uco-observable:ContentDataFacet' };
  if (hashes.length > 0) facet['uco-observable:hash'] = hashes;
  if (opts.size !== undefined) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 0) fail('ERR_INVALID_ARGUMENT', '"size" expected a byte count');
    facet['uco-observable:sizeInBytes'] = { '@type': 'xsd:integer', '@value': String(opts.size) };
  }
  add({ '@id': item, '@type': 'uco-observable:ObservableObject', 'uco-core:name': chainId, 'uco-core:hasFacet': [facet] });
  const provenance = iri('provenance', chainId);
  add({ '@id': provenance, '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': chainId, 'uco-core:object': [ref(item)] });

  let previous: string | undefined;
  events.forEach((bytes, index) => {
    const { event: e } = openCustodyEvent(bytes);
    if (e.chainId !== chainId) fail('ERR_CHAIN_ID', `event ${index} belongs to another chain`);
    const id = iri('event', toHex(eventHash(bytes)));
    const description = [
      `${e.type} by ${e.actor.authority} as ${e.actor.role}`,
      ...(e.purpose !== undefined ? [`purpose: ${e.purpose}`] : []),
      ...(e.seals !== undefined ? [`seals: ${e.seals.join(', ')}`] : []),
      ...(e.note !== undefined ? [`note: ${e.note}`] : []),
      `custody event ${index} of ${chainId}, SHA-256 ${toHex(eventHash(bytes))}`,
    ].join('; ');
    const action: Node = {
      '@id': id,
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': e.type,
      'uco-core:description': description,
      'uco-action:performer': ref(org(e.actor.authority)),
      'uco-action:startTime': { '@type': 'xsd:dateTime', '@value': formatUtc(e.time) },
    };
    if (e.counterparty !== undefined) action['uco-action:participant'] = [ref(org(e.counterparty.authority))];
    if (e.authorisation !== undefined) {
      const aid = iri('authorization', `${e.authorisation.type}=${e.authorisation.reference}`);
      add({ '@id': aid, '@type': 'case-investigation:Authorization', 'case-investigation:authorizationType': e.authorisation.type, 'case-investigation:authorizationIdentifier': e.authorisation.reference });
      action['uco-action:instrument'] = [ref(aid)];
    }
    if (e.location !== undefined) {
      const lid = iri('location', e.location);
      add({ '@id': lid, '@type': 'uco-location:Location', 'uco-core:description': e.location });
      action['uco-action:location'] = [ref(lid)];
    }
    const results: { '@id': string }[] = index === 0 ? [ref(provenance)] : [];
    if (e.type === 'derived' && e.derivedFrom !== undefined) {
      for (const d of e.derivedFrom) add({ '@id': iri('item', d.chainId), '@type': 'uco-observable:ObservableObject', 'uco-core:name': d.chainId });
      action['uco-action:object'] = e.derivedFrom.map((d) => ref(iri('item', d.chainId)));
      results.push(ref(item));
    } else action['uco-action:object'] = [ref(item)];
    if (results.length > 0) action['uco-action:result'] = results;
    if (previous !== undefined) action['case-investigation:wasInformedBy'] = [ref(previous)];
    add(action);
    previous = id;
  });
  return { '@context': CASE_CONTEXT, '@graph': graph };
}
