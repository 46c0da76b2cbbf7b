/**
 * In-memory encryption of one buffer (64 MiB by default): custos `encrypt`/`decrypt` (with
 * whichever backend `#crypto` resolved to in this child) or the `age-encryption` package (the
 * TypeScript reference implementation of age, pure JS on noble). Each child warms up on 1 MiB,
 * then times one encryption and one decryption and checks the round trip.
 */
import { randomFillSync } from 'node:crypto';
import { Decrypter, Encrypter } from 'age-encryption';
import { decrypt, encrypt } from '../../src/envelope/index.js';
import { measure, type Metric } from './measure.js';

export interface MemCaseArgs {
  readonly sizeBytes: number;
  readonly recipient: string;
  readonly identity: string;
}

interface Impl {
  enc(data: Uint8Array): Promise<Uint8Array>;
  dec(file: Uint8Array): Promise<Uint8Array>;
}

function custos(a: MemCaseArgs): Impl {
  return { enc: (d) => encrypt(d, [a.recipient]), dec: (f) => decrypt(f, [a.identity]) };
}

function typage(a: MemCaseArgs): Impl {
  return {
    async enc(d) {
      const e = new Encrypter();
      e.addRecipient(a.recipient);
      return e.encrypt(d);
    },
    async dec(f) {
      const d = new Decrypter();
      d.addIdentity(a.identity);
      return d.decrypt(f);
    },
  };
}

async function run(impl: Impl, a: MemCaseArgs): Promise<{ metrics: Record<string, Metric> }> {
  const warm = randomFillSync(new Uint8Array(1 << 20));
  await impl.dec(await impl.enc(warm));
  const data = randomFillSync(new Uint8Array(a.sizeBytes));
  let file: Uint8Array = new Uint8Array(0);
  let back: Uint8Array = new Uint8Array(0);
  const enc = await measure(data.length, 'B', async () => {
    file = await impl.enc(data);
  });
  const dec = await measure(data.length, 'B', async () => {
    back = await impl.dec(file);
  });
  if (!Buffer.from(back.buffer, back.byteOffset, back.length).equals(data)) throw new Error('round trip mismatch');
  return { metrics: { encrypt: enc, decrypt: dec } };
}

export const memCases = {
  memCustos: (a: MemCaseArgs) => run(custos(a), a),
  memTypage: (a: MemCaseArgs) => run(typage(a), a),
};
