/**
 * Who may record which status, per instrument (issue 18, item 3). The instrument and the
 * parties come from the request document the chain is bound to (`issued` names its digest),
 * never from the caller, so the rules always apply.
 *
 * Parties, as the chain shows them: the issuing authority signs `issued`; the addressee (the
 * provider's establishment or representative, the executing or requested authority) signs
 * `received`; the validating authority and the enforcing authority are named by the document
 * and recognised by the jurisdiction the trust store gives their key (at verification; the
 * signing side, which has no trust store, checks identities only).
 *
 * | status | who | source |
 * | --- | --- | --- |
 * | issued, withdrawn | the issuing authority | 2023/1543 Art. 4; 2014/41 Art. 2(c) |
 * | received … fulfilled, refused | the addressee | 2023/1543 Art. 10; 2014/41 Art. 16 |
 * | validated | an authority of the issuing state, not the addressee nor the enforcing authority; only when the document asks for ex-post validation | 2023/1543 Art. 4(5) |
 * | objected | EPOC: the enforcing authority notified under Art. 8(1) (of the enforcing state); never for EPOC-PR or EIO | 2023/1543 Art. 8, 12; 2014/41 Art. 11 |
 * | extended | EPOC: never; EPOC-PR: the issuing authority, preservation-30-days or production-request-confirmed; EIO: the executing authority, recognition-30-days | 2023/1543 Art. 10, 11(1)–(2); 2014/41 Art. 12(5) |
 */
import { fail } from '../errors.js';
import type { StatusKind } from './kinds.js';
import type { EvidenceRequest } from './schema.js';

/** The part of a status event the party rules read. */
export interface PartyEvent {
  readonly kind: StatusKind;
  readonly actor: string;
  readonly extension?: { readonly code: string } | undefined;
}

const RECEIVER_SIDE: readonly StatusKind[] = ['acknowledged', 'in-progress', 'delay-notified', 'partially-fulfilled', 'fulfilled', 'refused'];

const deny = (message: string): never => fail('ERR_ROLE_NOT_ALLOWED', message);

/**
 * Throws ERR_ROLE_NOT_ALLOWED when `next.actor` may not record `next.kind` for `request`, and
 * ERR_TRANSITION when the instrument has no such status; each message cites its provision.
 * `jurisdiction`: the signer's, from the trust store (verification); undefined when signing.
 */
export function checkParties(history: readonly PartyEvent[], next: PartyEvent, request: EvidenceRequest, jurisdiction?: string): void {
  const issuer = history[0]?.actor;
  const receiver = history.find((e) => e.kind === 'received')?.actor;
  const objector = history.find((e) => e.kind === 'objected')?.actor;
  const inst = request.instrument;
  const eu = inst === 'EPOC' || inst === 'EPOC-PR' ? '2023/1543' : inst === 'EIO' ? '2014/41' : `the treaty (${inst})`;
  if (next.kind === 'withdrawn' && next.actor !== issuer) deny(`only the issuing authority withdraws (${eu})`);
  if (RECEIVER_SIDE.includes(next.kind) && next.actor !== receiver) {
    deny(`${next.kind} must come from the party that received the request (${inst === 'EIO' ? '2014/41 Art. 16' : inst === 'EPOC' || inst === 'EPOC-PR' ? '2023/1543 Art. 10, 11' : eu})`);
  }
  if (next.kind === 'received' && next.actor === issuer) deny('the issuer cannot receive its own request');
  if (next.kind === 'validated') {
    if (request.validating?.mode !== 'ex-post') {
      fail('ERR_TRANSITION', 'validated records an ex-post validation, and the request document asks for none (2023/1543 Art. 4(5))');
    }
    if (next.actor === receiver || next.actor === objector) {
      deny('ex-post validation is the issuing side\'s act, not the addressee\'s or the enforcing authority\'s (2023/1543 Art. 4(5))');
    }
    if (jurisdiction !== undefined && jurisdiction !== request.issuing.state) {
      deny(`ex-post validation must come from an authority of the issuing state ${request.issuing.state} (2023/1543 Art. 4(5))`);
    }
  }
  if (next.kind === 'objected') {
    if (inst === 'EPOC-PR') fail('ERR_TRANSITION', 'an EPOC-PR is not notified to an enforcing authority, which therefore cannot object (2023/1543 Art. 8(1), 12)');
    if (inst === 'EIO') fail('ERR_TRANSITION', 'an EIO has no enforcing authority: the executing authority refuses (2014/41 Art. 11)');
    if (inst === 'EPOC' && request.enforcing === undefined) {
      fail('ERR_TRANSITION', 'this EPOC was not notified to an enforcing authority, which therefore cannot object (2023/1543 Art. 8(1), 12)');
    }
    if (next.actor === issuer || next.actor === receiver) {
      deny(`objections come from the enforcing authority, not the issuer or addressee (${inst === 'EPOC' ? '2023/1543 Art. 12' : eu})`);
    }
    if (inst === 'EPOC' && jurisdiction !== undefined && jurisdiction !== request.enforcing?.state) {
      deny(`objections come from the enforcing authority of ${request.enforcing?.state ?? 'the enforcing state'} (2023/1543 Art. 8, 12)`);
    }
  }
  if (next.kind === 'extended') {
    const c = next.extension?.code;
    const extensions = history.filter((e) => e.kind === 'extended').length;
    if (inst === 'EPOC') fail('ERR_TRANSITION', 'an EPOC has no extension (2023/1543 Art. 10)');
    if (inst === 'EPOC-PR') {
      if (c !== 'preservation-30-days' && c !== 'production-request-confirmed') {
        fail('ERR_TRANSITION', 'an EPOC-PR is extended by 30 days or kept for a confirmed production request only (2023/1543 Art. 11(1)–(2))');
      }
      if (next.actor !== issuer) deny('only the issuing authority extends preservation or confirms a production request (2023/1543 Art. 11(1)–(2))');
      if (extensions > 0) fail('ERR_TRANSITION', 'EPOC-PR allows one extension (2023/1543 Art. 11(1))');
    }
    if (inst === 'EIO') {
      if (c !== 'recognition-30-days') fail('ERR_TRANSITION', 'an EIO extends only the recognition period, by up to 30 days (2014/41 Art. 12(5))');
      if (next.actor !== receiver) deny('only the executing authority extends the recognition period (2014/41 Art. 12(5))');
      if (extensions > 0) fail('ERR_TRANSITION', 'EIO allows one extension (2014/41 Art. 12(5))');
    }
  }
}
