/** Human-readable summaries of a bundle's evidence files, for `custos inspect` (no verification). */

export interface ItemFiles {
  readonly seal?: Uint8Array | undefined;
  readonly custody?: Uint8Array | undefined;
  readonly record?: Uint8Array | undefined;
  readonly receipts: readonly { readonly name: string; readonly bytes: Uint8Array }[];
}

/** Lines describing an item's seal, custody timeline, record and receipts. */
export function describeItemFiles(f: ItemFiles): string[] {
  const out: string[] = [];
  if (f.seal !== undefined) out.push(`seal: ${f.seal.length} bytes (COSE_Sign1)`);
  if (f.custody !== undefined) out.push(`custody chain: ${f.custody.length} bytes`);
  if (f.record !== undefined) out.push(`redacted record: ${f.record.length} bytes`);
  for (const r of f.receipts) out.push(`receipt ${r.name.split('/').pop()}: ${r.bytes.length} bytes`);
  return out;
}

/** One line for a checkpoint: origin, size, and how many signature lines it carries. */
export function describeCheckpoint(text: string): string {
  const lines = text.split('\n');
  const sigs = lines.filter((l) => l.startsWith('\u2014 ')).length;
  return `${lines[0] ?? '?'} size ${lines[1] ?? '?'}, ${sigs} signature${sigs === 1 ? '' : 's'}`;
}
