/**
 * RFC 7512 PKCS #11 URIs: the RFC's own examples (§3) as a table, then what must be refused.
 *
 * Attacks on the parser, each tested below:
 * - an unknown or vendor attribute that would narrow the match in a way we would ignore → refused
 * - an attribute given twice (which one wins?) → refused
 * - a delimiter smuggled into a value unencoded (";" in a query value, "&" splitting a query) → refused or split as the grammar says
 * - malformed percent-encoding, invalid UTF-8 in a text value → refused
 * - a huge URI → refused before any work
 * - an error message echoing a value (a PIN in pin-value) → never
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPkcs11Uri, parsePkcs11Uri, PKCS11_URI_MAX_LENGTH, type Pkcs11Uri } from '../../src/node/index.js';
import { isCustosError } from '../../src/errors.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

// RFC 7512 §3 "Examples of PKCS #11 URIs", in the RFC's order (line breaks in the RFC removed).
const RFC_EXAMPLES: [string, Pkcs11Uri | 'ERR_PKCS11_URI'][] = [
  ['pkcs11:', {}],
  ['pkcs11:object=my-pubkey;type=public', { object: 'my-pubkey', type: 'public' }],
  ['pkcs11:object=my-key;type=private?pin-source=file:/etc/token', { object: 'my-key', type: 'private', pinSource: 'file:/etc/token' }],
  [
    'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin',
    {
      token: 'The Software PKCS#11 Softtoken',
      manufacturer: 'Snake Oil, Inc.',
      model: '1.0',
      object: 'my-certificate',
      type: 'cert',
      id: bytes(0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91),
      serial: '',
      pinSource: 'file:/etc/token_pin',
    },
  ],
  ['pkcs11:object=my-sign-key;type=private?module-name=mypkcs11', { object: 'my-sign-key', type: 'private', moduleName: 'mypkcs11' }],
  ['pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1', { object: 'my-sign-key', type: 'private', modulePath: '/mnt/libmypkcs11.so.1' }],
  ['pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin', { token: 'Software PKCS#11 softtoken', manufacturer: 'Snake Oil, Inc.', pinValue: 'the-pin' }],
  ['pkcs11:slot-description=Sun%20Metaslot', { slotDescription: 'Sun Metaslot' }],
  [
    'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23',
    { libraryManufacturer: 'Snake Oil, Inc.', libraryDescription: 'Soft Token Library', libraryVersion: { major: 1, minor: 23 } },
  ],
  ['pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06', { token: 'My token% created by Joe', libraryVersion: { major: 3, minor: 0 }, id: bytes(1, 2, 3, 0xba, 0xdd, 0xca, 0xfe, 4, 5, 6) }],
  ['pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert', { token: 'A name with a substring %;', object: 'my-certificate', type: 'cert' }],
  ['pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert', { token: 'Name with a small A with acute: á', object: 'my-certificate', type: 'cert' }],
  // The RFC's vendor-attribute example: well-formed, but custos refuses attributes it does not know.
  ['pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b', 'ERR_PKCS11_URI'],
];

describe('parsePkcs11Uri: RFC 7512 §3 examples', () => {
  for (const [uri, want] of RFC_EXAMPLES) {
    it(uri, () => {
      if (want === 'ERR_PKCS11_URI') {
        expect(() => parsePkcs11Uri(uri)).toThrowError(expect.objectContaining({ code: 'ERR_PKCS11_URI' }));
      } else {
        expect({ ...parsePkcs11Uri(uri) }).toEqual(want);
      }
    });
  }
});

describe('parsePkcs11Uri: refusals', () => {
  const refused: [string, string][] = [
    ['pkcs11', 'no colon'],
    ['pkcs12:object=x', 'other scheme'],
    [' pkcs11:object=x', 'leading space'],
    ['pkcs11:object=x;object=y', 'repeated attribute'],
    ['pkcs11:object=x?module-path=/a&module-path=/b', 'repeated query attribute'],
    ['pkcs11:objekt=x', 'unknown path attribute'],
    ['pkcs11:x-vendor=1', 'vendor path attribute'],
    ['pkcs11:object=x?x-vendor=1', 'vendor query attribute'],
    ['pkcs11:object=x?token=y', 'path attribute in the query'],
    ['pkcs11:module-path=/x', 'query attribute in the path'],
    ['pkcs11:object=x;;id=%01', 'empty attribute'],
    ['pkcs11:object', 'no "="'],
    ['pkcs11:=x', 'no name'],
    ['pkcs11:object=a b', 'unencoded space'],
    ['pkcs11:object=a/b', '"/" in a path value'],
    ['pkcs11:object=a?module-path=/x;y', '";" in a query value'],
    ['pkcs11:object=%4', 'short percent-encoding'],
    ['pkcs11:object=%zz', 'bad percent-encoding'],
    ['pkcs11:object=%C3%28', 'invalid UTF-8'],
    ['pkcs11:type=secret', 'unknown type'],
    ['pkcs11:slot-id=1a', 'slot-id not digits'],
    ['pkcs11:library-version=1.', 'library-version malformed'],
    ['pkcs11:object=x#frag', 'fragment'],
    ['pkcs11:object=ä', 'non-ASCII unencoded'],
  ];
  for (const [uri, why] of refused) {
    it(`${why}: ${uri}`, () => {
      expect(() => parsePkcs11Uri(uri)).toThrowError(expect.objectContaining({ code: 'ERR_PKCS11_URI' }));
    });
  }

  it('accepts the characters the grammar leaves unencoded, and splits only where it says', () => {
    const u = parsePkcs11Uri("pkcs11:object=:[]@!$'()*+,=&?pin-source=:[]@!$'()*+,=/?|");
    expect(u.object).toBe(":[]@!$'()*+,=&");
    expect(u.pinSource).toBe(":[]@!$'()*+,=/?|");
    expect(parsePkcs11Uri('PKCS11:object=x').object).toBe('x'); // scheme case-insensitive
    expect(parsePkcs11Uri('pkcs11:slot-id=181279395').slotId).toBe(181279395);
    expect(parsePkcs11Uri('pkcs11:type=').type).toBeUndefined();
  });

  it('refuses an overlong URI before parsing', () => {
    expect(() => parsePkcs11Uri(`pkcs11:object=${'a'.repeat(PKCS11_URI_MAX_LENGTH)}`)).toThrowError(expect.objectContaining({ code: 'ERR_PKCS11_URI' }));
  });

  it('never echoes a value in its errors', () => {
    for (const uri of ['pkcs11:object=x?pin-value=s3cret-PIN&pin-value=s3cret-PIN', 'pkcs11:object=x?pin-value=s3cret%zzPIN', 'pkcs11:object=x?pin-value=s3cret;PIN']) {
      try {
        parsePkcs11Uri(uri);
        expect.unreachable();
      } catch (e) {
        expect(isCustosError(e, 'ERR_PKCS11_URI')).toBe(true);
        expect((e as Error).message).not.toContain('s3cret');
      }
    }
  });

  it('round-trips any label and id through percent-encoding (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 20 }), (label, id) => {
        const enc = [...new TextEncoder().encode(label)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        const idEnc = [...id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        const u = parsePkcs11Uri(`pkcs11:object=${enc};id=${idEnc}`);
        expect(u.object).toBe(label);
        expect(u.id).toEqual(id);
      }),
      { numRuns: Number(process.env['CUSTOS_FC_RUNS'] ?? 50) },
    );
  });

  it('isPkcs11Uri tells a token URI from a key file path', () => {
    expect(isPkcs11Uri('pkcs11:object=x')).toBe(true);
    expect(isPkcs11Uri('./executor.key')).toBe(false);
    expect(isPkcs11Uri(undefined)).toBe(false);
  });
});
