import { describe, expect, it } from 'vitest';
import * as custos from '../../src/index.js';
import * as node from '../../src/node/index.js';

describe('public exports', () => {
  it('exposes the log API from custos and openLog from custos/node', () => {
    for (const name of ['verifyReceipt', 'verifyCheckpoint', 'verifyConsistency', 'verifyInclusion', 'cosign', 'verifyTlogProof', 'formatTlogProof', 'issueInclusionReceipt', 'verifyTiledLog', 'parseVerifierKey', 'generateNoteKey']) {
      expect(typeof (custos as Record<string, unknown>)[name]).toBe('function');
    }
    expect(typeof node.openLog).toBe('function');
    expect(typeof node.dirTileFetcher).toBe('function');
  });
});
