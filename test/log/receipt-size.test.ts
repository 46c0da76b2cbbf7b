import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { decode, encode } from '../../src/cbor.js';
import { decodeSign1 } from '../../src/cose/sign1.js';
import { SigningKey } from '../../src/keys/signing.js';
import { HashTree } from '../../src/log/hashtree.js';
import { leafHash } from '../../src/log/merkle.js';
import { issueInclusionReceipt, verifyReceipt } from '../../src/log/receipt.js';
import { encode as enc } from '../../src/cbor.js';

// RFC 9942 signs only the root; the tree size in the unprotected proof is not covered. A
// receipt whose size was changed so that the same path still hashes to the signed root must not
// be reported as authenticated for that size (adversarial finding F-3).
describe('COSE receipt tree size', () => {
  const key = SigningKey.generate();
  const entries = Array.from({ length: 7 }, (_, i) => utf8(`entry ${i}`));
  const tree = new HashTree();
  for (const e of entries) tree.appendLeafHash(leafHash(e));

  function receiptFor(size: number, index: number, proof: readonly Uint8Array[], root: Uint8Array): Uint8Array {
    return issueInclusionReceipt({ size, index, proof, root }, key);
  }

  /** Rewrites the unprotected proof's tree size without touching the signature. */
  function withSize(receipt: Uint8Array, size: number): Uint8Array {
    const m = decodeSign1(receipt);
    const vdp = m.unprotectedHeaders.get(396) as Map<number, unknown[]>;
    const [, index, path] = decode(vdp.get(-1)![0] as Uint8Array) as [number, number, Uint8Array[]];
    const tagged = decode(receipt, { allowedTags: [18] }) as { value: unknown[] };
    const arr = tagged.value;
    arr[1] = new Map([[396, new Map([[-1, [enc([size, index, path])]]])]]);
    return encode(tagged, { allowedTags: [18] });
  }

  it('a size change is detected against the checkpoint, and never reported as authenticated', () => {
    const root = tree.root(7);
    const proof = tree.inclusionProof(3, 7);
    const good = receiptFor(7, 3, proof, root);
    const opts = { key: { alg: 'EdDSA' as const, publicKey: key.publicKey }, entry: entries[3]! };
    const ok = verifyReceipt(good, { ...opts, checkpoint: { size: 7, root } });
    expect(ok.ok).toBe(true);
    expect(ok.sizeAuthenticated).toBe(true);

    const forged = withSize(good, 6);
    const noCp = verifyReceipt(forged, opts);
    // Inclusion under the signed root still holds, but the size is flagged as unauthenticated.
    if (noCp.ok) expect(noCp.sizeAuthenticated).toBe(false);
    const withCp = verifyReceipt(forged, { ...opts, checkpoint: { size: 7, root } });
    expect(withCp.ok).toBe(false);
    expect(withCp.sizeAuthenticated).toBe(false);
  });
});
