import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { ISO_COUNTRIES } from '../../src/request/countries.js';
import { RequestInvalidError, requestIssues, validateRequest } from '../../src/request/validate.js';

const dir = new URL('../../examples/requests/', import.meta.url);
const load = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const clone = <T>(x: T): T => structuredClone(x);

function issuesOf(mutate: (r: Record<string, any>) => void, base = 'epoc-traffic.json'): string[] {
  const r = clone(load(base));
  mutate(r);
  return requestIssues(r).map((i) => i.path);
}

describe('examples', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  it('has one example per instrument', () => {
    const instruments = new Set(files.map((f) => load(f).instrument));
    expect([...instruments].sort()).toEqual(['COE-P2', 'EIO', 'EPOC', 'EPOC-PR', 'MLA']);
  });
  it.each(files)('%s validates', (f) => {
    const json = load(f);
    const r = validateRequest(json);
    expect(r.id).toBe(json.id);
    expect(r).toEqual(json);
  });
});

describe('README', () => {
  it('the request shown under "## Requests" validates', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Requests'));
    const block = /```json\n([\s\S]*?)```/.exec(section);
    expect(block).not.toBeNull();
    expect(validateRequest(JSON.parse(block![1]!)).instrument).toBe('EPOC');
  });
});

describe('validateRequest errors', () => {
  it('throws ERR_REQUEST_INVALID with structured issues', () => {
    const r = clone(load('epoc-traffic.json'));
    r.addressee.state = 'XX';
    r.extra = 1;
    let err: unknown;
    try {
      validateRequest(r);
    } catch (e) {
      err = e;
    }
    expect(isCustosError(err, 'ERR_REQUEST_INVALID')).toBe(true);
    expect(err).toBeInstanceOf(RequestInvalidError);
    const issues = (err as RequestInvalidError).issues;
    expect(issues).toContainEqual({ path: 'addressee.state', message: 'expected ISO 3166 alpha-2' });
    expect(issues).toContainEqual({ path: 'extra', message: 'unknown field' });
  });
  it('rejects non-objects and unknown instruments', () => {
    for (const bad of [null, 1, 'x', [], {}]) expect(() => validateRequest(bad)).toThrow(RequestInvalidError);
    expect(issuesOf((r) => (r.instrument = 'LETTER'))).toEqual(['instrument']);
  });
  it('rejects floating local times, -00:00 and impossible dates', () => {
    for (const t of ['2026-03-27T16:45:00', '2026-03-27', '2026-03-27T16:45:00-00:00', '2026-02-29T10:00:00Z', '2026-03-27T24:00:00Z']) {
      expect(issuesOf((r) => (r.issuedAt = t))).toEqual(['issuedAt']);
    }
    expect(issuesOf((r) => (r.issuedAt = '2028-02-29T10:00:00.5+05:45'))).not.toContain('issuedAt');
  });
  it('accepts every ISO 3166 code and rejects EL', () => {
    expect(ISO_COUNTRIES.size).toBe(249);
    expect(issuesOf((r) => (r.issuing.state = 'EL'))).toContain('issuing.state');
  });
  it('lists nested unknown keys with their path', () => {
    expect(issuesOf((r) => (r.targets[0].secret = 'x'))).toEqual(['targets[0].secret']);
  });
});

// One row per cross-field rule: mutate a valid example; expect exactly this path among the issues.
const rules: Array<[string, string, (r: Record<string, any>) => void, string]> = [
  ['emergency needs a justification', 'epoc-traffic.json', (r) => (r.emergency = { flag: true }), 'emergency.justification'],
  ['duplicate data category', 'epoc-traffic.json', (r) => r.dataCategories.push('traffic'), 'dataCategories[2]'],
  ['ip-address target needs a time', 'epoc-traffic.json', (r) => r.targets.push({ type: 'ip-address', value: '192.0.2.1' }), 'targets[1].at'],
  ['time range order', 'epoc-traffic.json', (r) => (r.timeRange.to = '2025-01-01T00:00:00Z'), 'timeRange.to'],
  ['traffic needs a time range', 'epoc-traffic.json', (r) => delete r.timeRange, 'timeRange'],
  ['confidentiality needs a reason', 'epoc-traffic.json', (r) => delete r.confidentiality.reason, 'confidentiality.reason'],
  ['retention after issue', 'epoc-traffic.json', (r) => (r.retentionUntil = '2020-01-01T00:00:00Z'), 'retentionUntil'],
  ['no self-reference', 'epoc-traffic.json', (r) => (r.relatedRequest = { id: r.id, relation: 'other' }), 'relatedRequest.id'],
  ['prior validation needs a time', 'epoc-traffic.json', (r) => delete r.validating.validatedAt, 'validating.validatedAt'],
  ['prior validation not after issue', 'epoc-traffic.json', (r) => (r.validating.validatedAt = '2026-03-28T00:00:00Z'), 'validating.validatedAt'],
  ['ex-post needs an emergency', 'epoc-emergency-subscriber.json', (r) => (r.emergency = { flag: false }), 'validating.mode'],
  ['ex-post within 48 h', 'epoc-emergency-subscriber.json', (r) => (r.validating.validatedAt = '2026-10-27T01:00:00+01:00'), 'validating.validatedAt'],
  // Art. 4(2): a prosecutor may not issue a traffic-data EPOC alone …
  ['EPOC traffic: prosecutor needs validation', 'epoc-traffic.json', (r) => delete r.validating, 'validating'],
  // … and may not validate one either.
  ['EPOC traffic: prosecutor cannot validate', 'epoc-traffic.json', (r) => {
    r.issuing.authority.type = 'other';
    r.validating.authority.type = 'prosecutor';
  }, 'validating.authority.type'],
  ['EPOC traffic: no ex-post route', 'epoc-traffic.json', (r) => {
    r.emergency = { flag: true, justification: 'x' };
    r.validating.mode = 'ex-post';
    delete r.validating.validatedAt;
  }, 'validating.mode'],
  ['EPOC subscriber: police needs validation', 'epoc-emergency-subscriber.json', (r) => delete r.validating, 'validating'],
  ['EPOC subscriber: police validated by police', 'epoc-emergency-subscriber.json', (r) => (r.validating.authority.type = 'other'), 'validating.authority.type'],
  ['EPOC traffic: offence threshold', 'epoc-traffic.json', (r) => (r.offence.maxPenalty = { months: 24 }), 'offence.maxPenalty'],
  ['EPOC traffic: Art. 8 notification', 'epoc-traffic.json', (r) => delete r.enforcing, 'enforcing'],
  ['EPOC: enforcing state is the addressee state', 'epoc-traffic.json', (r) => (r.enforcing.state = 'BE'), 'enforcing.state'],
  ['EPOC subscriber: no notification', 'epoc-emergency-subscriber.json', (r) => (r.enforcing = { state: 'NL' }), 'enforcing'],
  ['EPOC: sentence of at least 4 months', 'epoc-emergency-subscriber.json', (r) => (r.custodialSentenceMonths = 3), 'custodialSentenceMonths'],
  ['EPOC-PR: sentence of at least 4 months', 'epoc-pr.json', (r) => (r.custodialSentenceMonths = 2), 'custodialSentenceMonths'],
  ['EPOC: addressee kind', 'epoc-traffic.json', (r) => (r.addressee.kind = 'central-authority'), 'addressee.kind'],
  ['EPOC: Denmark not bound', 'epoc-traffic.json', (r) => {
    r.addressee.state = 'DK';
    r.enforcing.state = 'DK';
  }, 'addressee.state'],
  ['EPOC: non-EU issuing state', 'epoc-traffic.json', (r) => (r.issuing.state = 'US'), 'issuing.state'],
  ['cross-border only', 'epoc-traffic.json', (r) => {
    r.addressee.state = 'AT';
    r.enforcing.state = 'AT';
  }, 'addressee.state'],
  ['EPOC-PR: police needs validation', 'epoc-pr.json', (r) => (r.issuing.authority.type = 'other'), 'validating'],
  ['EPOC-PR: addressee kind', 'epoc-pr.json', (r) => (r.addressee.kind = 'executing-authority'), 'addressee.kind'],
  ['EIO: Ireland not bound', 'eio.json', (r) => (r.addressee.state = 'IE'), 'addressee.state'],
  ['EIO: other authority needs validation', 'eio.json', (r) => (r.issuing.authority.type = 'other'), 'validating'],
  ['EIO: no ex-post route', 'eio.json', (r) => {
    r.issuing.authority.type = 'other';
    r.emergency = { flag: true, justification: 'x' };
    r.validating = { authority: { ...r.issuing.authority, type: 'judge' }, mode: 'ex-post' };
  }, 'validating.mode'],
  ['EIO: requested deadline needs a reason', 'eio.json', (r) => (r.requestedDeadline = '2026-02-15T00:00:00Z'), 'requestedDeadlineReason'],
  ['EIO: requested deadline after issue', 'eio.json', (r) => {
    r.requestedDeadline = '2026-01-01T00:00:00Z';
    r.requestedDeadlineReason = 'trial date';
  }, 'requestedDeadline'],
  ['EIO: addressee kind', 'eio.json', (r) => (r.addressee.kind = 'service-provider'), 'addressee.kind'],
  ['treaty: duplicate period ids', 'mla.json', (r) => r.treaty.periods.push(r.treaty.periods[0]), 'treaty.periods[2].id'],
  ['MLA: cross-border only', 'mla.json', (r) => (r.addressee.state = 'US'), 'addressee.state'],
  ['COE-P2 Art. 7: subscriber data only', 'coe-p2-art7.json', (r) => r.dataCategories.push('content'), 'dataCategories[1]'],
  ['COE-P2 Art. 9: emergency only', 'coe-p2-art7.json', (r) => {
    r.order = 'art9-emergency-disclosure';
    r.addressee.kind = 'competent-authority';
  }, 'emergency.flag'],
  ['COE-P2 Art. 7: to the provider', 'coe-p2-art7.json', (r) => (r.addressee.kind = 'central-authority'), 'addressee.kind'],
  ['COE-P2 Art. 8: to an authority', 'coe-p2-art7.json', (r) => (r.order = 'art8-giving-effect'), 'addressee.kind'],
];

describe('cross-field rules', () => {
  it.each(rules)('%s', (_name, base, mutate, path) => {
    const paths = issuesOf(mutate, base);
    expect(paths).toContain(path);
  });
  it('each rule fires only for its own change (others stay valid)', () => {
    for (const [, base] of rules) expect(requestIssues(load(base))).toEqual([]);
  });
  it('the judicial issuer needs no validation for traffic data', () => {
    expect(issuesOf((r) => {
      r.issuing.authority.type = 'investigating-judge';
      delete r.validating;
    })).toEqual([]);
  });
  it('listed offences meet the Art. 5(4) threshold; a sentence alone does not', () => {
    expect(issuesOf((r) => {
      r.offence.maxPenalty = { months: 12 };
      r.offence.listed = 'child-sexual-abuse-2011/93';
    })).toEqual([]);
    expect(issuesOf((r) => {
      r.offence.maxPenalty = { months: 12 };
      r.custodialSentenceMonths = 24;
    })).toEqual(['offence.maxPenalty']);
    expect(issuesOf((r) => (r.custodialSentenceMonths = 4))).toEqual([]);
    expect(issuesOf((r) => (r.offence.maxPenalty = 'life'))).toEqual([]);
  });
  it('Art. 8(2) exemption removes the notification requirement', () => {
    expect(issuesOf((r) => {
      delete r.enforcing;
      r.art8Exemption = true;
    })).toEqual([]);
  });
});
