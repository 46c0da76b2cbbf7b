/**
 * The event → log → receipt glue: each custody event of an item is appended to the sender's
 * transparency log as it happens, and its receipts (an RFC 9942 COSE receipt and a C2SP
 * tlog-proof) are issued under the bundle's names `receipts/<id>/<n>.receipt.cose` and
 * `receipts/<id>/<n>.tlog-proof` (n = the event's index in the item's chain, see
 * bundle/naming.ts). At hand-over, consistency receipts link every tree a receipt was issued
 * against to the newest checkpoint.
 *
 * RFC 9942's CDDL has `inclusion-path: [ + bstr ]`: a one-entry tree's empty path is outside it.
 * So a receipt is issued against a tree of size ≥ 2: an event logged while the log has one entry
 * gets its receipts when the next entry is appended (or at hand-over, which refuses a log that
 * still has a single entry).
 */
import { utf8 } from '../bytes.js';
import { receiptFileName } from '../bundle/naming.js';
import { fail } from '../errors.js';
import type { LogStore } from './logtypes.js';

/** A receipt file for a bundle item, as `createBundle` takes it. */
export interface ReceiptFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * @example
 * ```ts
 * const custodyLog = new CustodyLog(await openLog('log', { signer, origin }));
 * await custodyLog.record('disk', 0, acquiredEvent);
 * await custodyLog.record('disk', 1, sealedEvent);
 * const { checkpoint, consistency } = await custodyLog.handOver();
 * await createBundle('bundle.tar', { …, items: [{ id: 'disk', …, receipts: custodyLog.receiptsFor('disk') }], checkpoints: [{ name: 'checkpoint', text: checkpoint }], consistency });
 * ```
 */
export class CustodyLog {
  readonly log: LogStore;
  readonly #receipts = new Map<string, ReceiptFile[]>();
  readonly #sizes = new Set<number>();
  #pending: { item: string; event: number; index: number }[] = [];
  /** Entries appended through this object. */
  count = 0;

  constructor(log: LogStore) {
    this.log = log;
  }

  /** Appends event `event` (its index in item `item`'s chain) and issues its receipts when the tree allows. */
  async record(item: string, event: number, bytes: Uint8Array): Promise<{ index: number }> {
    if (!Number.isSafeInteger(event) || event < 0) fail('ERR_INVALID_ARGUMENT', '"event" expected the event index in its chain');
    const { index } = await this.log.append(bytes);
    this.count++;
    this.#pending.push({ item, event, index });
    if (this.log.size >= 2) await this.#issue();
    return { index };
  }

  async #issue(): Promise<void> {
    for (const p of this.#pending) {
      const r = await this.log.receipt(p.index);
      const list = this.#receipts.get(p.item) ?? [];
      list.push({ name: receiptFileName(p.event, 'tlog-proof'), bytes: utf8(r.tlogProof) });
      list.push({ name: receiptFileName(p.event, 'receipt.cose'), bytes: r.cose });
      this.#receipts.set(p.item, list);
      this.#sizes.add(r.size);
    }
    this.#pending = [];
  }

  /** The receipt files issued so far for `item`, named as the bundle expects. */
  receiptsFor(item: string): ReceiptFile[] {
    return [...(this.#receipts.get(item) ?? [])];
  }

  /**
   * The newest checkpoint and the consistency receipts from every older tree a receipt was issued
   * against to it: what a bundle carries besides the receipts.
   */
  async handOver(): Promise<{ checkpoint: string; size: number; consistency: { oldSize: number; receipt: Uint8Array }[] }> {
    if (this.#pending.length > 0) {
      if (this.log.size < 2) fail('ERR_INVALID_ARGUMENT', 'the log has one entry: an RFC 9942 inclusion receipt needs a tree of size >= 2');
      await this.#issue();
    }
    const checkpoint = await this.log.checkpoint();
    const size = this.log.size;
    const consistency: { oldSize: number; receipt: Uint8Array }[] = [];
    for (const oldSize of [...this.#sizes].sort((a, b) => a - b)) {
      if (oldSize < size) consistency.push({ oldSize, receipt: await this.log.consistencyReceipt(oldSize, size) });
    }
    return { checkpoint, size, consistency };
  }
}
