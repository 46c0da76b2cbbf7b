/**
 * Hostile request documents against `validateRequest`: JSON text mutations and JSON-tree
 * mutations (wrong types, missing and unknown fields, impossible dates, deep nesting,
 * `__proto__`) of the example requests. Only ERR_REQUEST_INVALID (or a JSON syntax error the
 * caller sees before custos) may come out, and a failure lists at least one issue.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CustosError } from '../../src/errors.js';
import { RequestInvalidError, validateRequest } from '../../src/request/validate.js';
import { counters, fuzz, jsonTreeMutations, truncationSweep, type Target } from './harness.js';

const DIR = new URL('../../examples/requests/', import.meta.url).pathname;
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const texts = files.map((f) => readFileSync(DIR + f));
const docs = texts.map((b) => JSON.parse(new TextDecoder().decode(b)) as unknown);
const td = new TextDecoder();

const request: Target = {
  name: 'validateRequest',
  samples: texts,
  text: true,
  codes: ['ERR_REQUEST_INVALID'],
  extra: [jsonTreeMutations(docs)],
  run: (b) => {
    let json: unknown;
    try {
      json = JSON.parse(td.decode(b));
    } catch {
      return null; // not JSON: the caller's JSON.parse rejects it before custos sees it
    }
    try {
      return validateRequest(json);
    } catch (e) {
      if (e instanceof RequestInvalidError && e.issues.length === 0) throw new Error('ERR_REQUEST_INVALID without issues');
      throw e;
    }
  },
  oracle: () => (({} as Record<string, unknown>).polluted !== undefined ? 'Object.prototype polluted' : undefined),
};

describe('fuzz: requests', () => {
  afterAll(() => console.log(`[adversarial] request: ${counters.cases} cases`));
  it('the example requests validate', () => {
    expect(files.length).toBeGreaterThan(3);
    for (const d of docs) expect(() => validateRequest(d)).not.toThrow();
  });
  it('survives text, JSON-tree and arbitrary mutations', async () => {
    await fuzz(request);
  });
  it('every truncation', async () => {
    expect(await truncationSweep(request, 300)).toEqual([]);
  });
  it('non-object inputs are refused with a code', () => {
    for (const v of [null, undefined, 1, 'EPOC', [], new Uint8Array(3), Object.create(null)]) {
      expect(() => validateRequest(v)).toThrow(CustosError);
    }
  });
});
