import { describe, expect, it } from 'vitest';
import * as node from '../../src/crypto/node.js';
import * as web from '../../src/crypto/web.js';

// The node backend hashes up to 1 MiB with the one-shot crypto.hash and larger inputs with
// createHash; both paths must give the same digest as noble, at and around the switch.
describe('sha256: one-shot and object paths of the node backend', () => {
  const big = node.randomBytes((1 << 20) + 2);
  it.each([0, 1, 64, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (1 << 20) + 2])('%i bytes', (n) => {
    const data = big.subarray(0, n);
    expect(node.sha256(data)).toEqual(web.sha256(data));
    expect(node.sha256(data)).toEqual(node.createSha256().update(data).digest());
  });
});
