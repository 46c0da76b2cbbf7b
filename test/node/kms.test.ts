/**
 * An asynchronous signer through the whole exchange: a stub KMS over loopback HTTP (127.0.0.1
 * only, an ephemeral port, closed after the tests) holding the executing authority's key and the
 * log key; the client is an AsyncSigner whose sign() is a fetch.
 *
 * Attacks on the signing path with a remote signer, each tested below:
 * - the KMS answers with an error status → ERR_SIGNER, nothing signed
 * - the KMS answers with another key's signature (misconfigured key id) → ERR_SIGNER
 * - the KMS answers with a truncated body → ERR_SIGNER
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, bytes, createChain, isCustosError, SigningKey, type AsyncSigner } from '../../src/index.js';
import { runExchange } from './pkcs11/exchange.js';

const keys = new Map<string, SigningKey>([
  ['exec', SigningKey.generate('ES256')],
  ['log', SigningKey.generate('EdDSA')],
  ['other', SigningKey.generate('ES256')],
]);
let server: Server;
let base: string;
let requests = 0;
let mode: 'ok' | 'error' | 'wrong-key' | 'truncated' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/keys\/([a-z]+)\/sign$/.exec(req.url ?? '');
    const key = m === null ? undefined : keys.get(m[1]!);
    if (req.method !== 'POST' || key === undefined) {
      res.writeHead(404).end();
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      requests++;
      const msg = new Uint8Array(Buffer.concat(parts));
      if (mode === 'error') return void res.writeHead(503).end('unavailable');
      const signer = mode === 'wrong-key' ? keys.get('other')! : key;
      const sig = signer.sign(msg);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(mode === 'truncated' ? sig.subarray(0, 40) : sig));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The client side: what an agency's KMS adapter looks like. */
function kmsSigner(name: string): AsyncSigner {
  const k = keys.get(name)!;
  return {
    alg: k.alg,
    publicKey: k.publicKey,
    kid: k.kid,
    async sign(message) {
      const res = await fetch(`${base}/keys/${name}/sign`, { method: 'POST', body: Buffer.from(message), signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`KMS answered ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

describe('an asynchronous KMS signer over loopback HTTP', () => {
  it('runs the whole exchange: every signature made by the KMS, the bundle verifies', async () => {
    mode = 'ok';
    const before = requests;
    const r = await runExchange(kmsSigner('exec'), { logSigner: kmsSigner('log') });
    expect(r.failed).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.plaintextMatches).toBe(true);
    expect(bytes.toHex(r.manifestKid)).toBe(bytes.toHex(keys.get('exec')!.kid));
    // commit + presentation + seal + 3 events + manifest by exec; 3 checkpoints + 6 receipts by the log key
    expect(requests - before).toBeGreaterThanOrEqual(7 + 3 + 6);
  });

  it('an error status, another key\'s signature, a truncated body: ERR_SIGNER, nothing appended', async () => {
    const chain = createChain('kms/1');
    const input = { type: 'collected' as const, actor: { authority: 'x', role: 'collector' } };
    for (const m of ['error', 'wrong-key', 'truncated'] as const) {
      mode = m;
      let err: unknown;
      try {
        await appendEvent(chain, input, kmsSigner('exec'));
      } catch (e) {
        err = e;
      }
      expect(isCustosError(err, 'ERR_SIGNER')).toBe(true);
    }
    mode = 'ok';
    expect(chain.events.length).toBe(0);
  });
});
