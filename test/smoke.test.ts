import { describe, expect, it } from 'vitest';
import * as c from '#crypto';
import { decode, encode } from '../src/cbor.js';
import { toHex } from '../src/bytes.js';

describe('smoke', () => {
  it('uses node backend and cbor roundtrips', () => {
    expect(c.backendName).toBe('node');
    const b = encode({ b: 1, a: [1, 2n, 'x'], m: new Map<unknown, unknown>([[1, -8], ['k', new Uint8Array([1])]]) });
    expect(toHex(b)).toBe('a36161830102617861620161 6da20127616b4101'.replace(' ', ''));
    expect(decode(b)).toBeInstanceOf(Map);
  });
});
