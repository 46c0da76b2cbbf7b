/**
 * `#crypto` resolves to the backend the run asked for (vitest.config.ts: node by default,
 * web with CUSTOS_BACKEND=web), and both backends expose the same function set.
 */
import { describe, expect, it } from 'vitest';
import * as selected from '#crypto';
import * as nodeB from '../../src/crypto/node.js';
import * as webB from '../../src/crypto/web.js';

describe('#crypto backend selection', () => {
  it('is the backend named by CUSTOS_BACKEND (default node)', () => {
    expect(selected.backendName).toBe(process.env.CUSTOS_BACKEND === 'web' ? 'web' : 'node');
  });

  it('both backends export the same functions, and `backend` lists every one of them', () => {
    const fns = (m: object) => Object.entries(m).filter(([, v]) => typeof v === 'function').map(([k]) => k).sort();
    expect(fns(nodeB)).toEqual(fns(webB));
    expect(Object.keys(nodeB.backend).sort()).toEqual(Object.keys(webB.backend).sort());
    expect(Object.keys(nodeB.backend).filter((k) => k !== 'backendName').sort()).toEqual(fns(nodeB));
  });
});
