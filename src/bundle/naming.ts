/**
 * Member names of a bundle, in one place: `items/<id>.age`, `seals/<id>.cose`,
 * `custody/<id>.cbor`, `records/<id>.cbor`, `receipts/<id>/<n>.tlog-proof` and
 * `receipts/<id>/<n>.receipt.cose` (n = the custody event's index in the item's chain),
 * `checkpoints/<name>` and `checkpoints/consistency-<oldSize>.receipt.cose`.
 */
import { ITEM_ID } from './manifest.js';

/**
 * Whether `id` is a valid bundle item id (`ITEM_ID`: it becomes a member name). Callers that seal
 * an item for a bundle check it before reading the item: the id is inside the signed seal.
 *
 * @example
 * ```ts
 * isItemId('exhibit-17'); // true
 * isItemId('Exhibit 17'); // false
 * ```
 */
export function isItemId(id: unknown): id is string {
  return typeof id === 'string' && ITEM_ID.test(id);
}

/** The two receipt formats a bundle carries for a logged custody event. */
export type ReceiptKind = 'tlog-proof' | 'receipt.cose';

const RECEIPT_FILE = /^(0|[1-9][0-9]{0,8})\.(tlog-proof|receipt\.cose)$/;

/** The file name (inside `receipts/<id>/`) of the receipt of custody event `event`. */
export function receiptFileName(event: number, kind: ReceiptKind): string {
  return `${event}.${kind}`;
}

/** The member name of a receipt file of item `id`. */
export function receiptMember(id: string, file: string): string {
  return `receipts/${id}/${file}`;
}

/** The event number and kind a receipt member's name states, or undefined if it follows no rule. */
export function parseReceiptName(name: string): { event: number; kind: ReceiptKind } | undefined {
  const m = RECEIPT_FILE.exec(name.slice(name.lastIndexOf('/') + 1));
  return m === null ? undefined : { event: Number(m[1]), kind: m[2] as ReceiptKind };
}

export const itemMember = (id: string): string => `items/${id}.age`;
export const sealMember = (id: string): string => `seals/${id}.cose`;
export const custodyMember = (id: string): string => `custody/${id}.cbor`;
export const recordMember = (id: string): string => `records/${id}.cbor`;
export const checkpointMember = (name: string): string => `checkpoints/${name}`;
export const consistencyMember = (oldSize: number): string => `checkpoints/consistency-${oldSize}.receipt.cose`;
