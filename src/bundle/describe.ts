/**
 * Human-readable summaries of a bundle's evidence files, for `custos inspect`. Nothing here
 * verifies: a file that does not parse is described as such, and `custos verify` decides.
 */
import { toHex } from '../bytes.js';
import { openCustodyEvent, splitChain } from '../custody/chain.js';
import { decodeSeal } from '../seal/verify.js';

export interface ItemFiles {
  readonly seal?: Uint8Array | undefined;
  readonly custody?: Uint8Array | undefined;
  readonly record?: Uint8Array | undefined;
  readonly receipts: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Lines describing an item's seal, custody timeline, record and receipts. */
export function describeItemFiles(f: ItemFiles): string[] {
  const out: string[] = [];
  if (f.seal !== undefined) {
    try {
      const m = decodeSeal(f.seal).manifest;
      out.push(`seal: by ${m.authority} at ${iso(m.created)}, ${m.size} bytes, SHA-256 ${toHex(m.sha256)}`);
      const c = m.context;
      out.push(`      case ${c.caseId}${c.requestId ? `, request ${c.requestId}` : ''}, purpose "${c.purpose}", basis "${c.legalBasis}"${c.restrictions?.length ? `, restrictions ${c.restrictions.join(', ')}` : ''}`);
    } catch {
      out.push(`seal: ${f.seal.length} bytes, not a readable custos seal`);
    }
  }
  if (f.custody !== undefined) {
    const { events, error } = splitChain(f.custody);
    out.push(`custody: ${events.length} events${error !== undefined ? ' (then unreadable bytes)' : ''}`);
    for (const [i, bytes] of events.entries()) {
      try {
        const e = openCustodyEvent(bytes).event;
        const to = e.counterparty !== undefined ? ` → ${e.counterparty.authority}` : '';
        out.push(`  #${i} ${iso(e.time)} ${e.type.padEnd(11)} ${e.actor.authority} (${e.actor.role})${to}${e.note !== undefined ? `: ${e.note.slice(0, 60)}` : ''}`);
      } catch {
        out.push(`  #${i} unreadable event`);
      }
    }
  }
  if (f.record !== undefined) out.push(`redacted record: ${f.record.length} bytes (presentation)`);
  if (f.receipts.length > 0) out.push(`receipts: ${f.receipts.length} (${f.receipts.filter((r) => r.name.endsWith('.tlog-proof')).length} tlog-proof, ${f.receipts.filter((r) => r.name.endsWith('.receipt.cose')).length} COSE)`);
  return out;
}

/** One line for a checkpoint: origin, size, and how many signature lines it carries. */
export function describeCheckpoint(text: string): string {
  const lines = text.split('\n');
  const sigs = lines.filter((l) => l.startsWith('\u2014 ')).length;
  return `${lines[0] ?? '?'} size ${lines[1] ?? '?'}, ${sigs} signature${sigs === 1 ? '' : 's'}`;
}
