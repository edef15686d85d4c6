import { escapeFilterValue, normalizeDn, normalizeDnGeneral } from '../../../src/directory/dn';

describe('normalizeDn', () => {
  it('ignores case and spaces around separators', () => {
    expect(normalizeDn('CN=Alice Smith , OU=People,DC=Example,DC=org')).toBe('cn=alice smith,ou=people,dc=example,dc=org');
  });

  it('treats hex and character escapes as the same value', () => {
    expect(normalizeDn('uid=tom\\2Bjerry,dc=x')).toBe(normalizeDn('uid=tom\\+jerry,dc=x'));
    expect(normalizeDn('cn=Smith\\2C John,dc=x')).toBe('cn=smith\\, john,dc=x');
  });

  it('decodes UTF-8 hex escapes', () => {
    expect(normalizeDn('uid=zo\\C3\\AB,dc=x')).toBe('uid=zoë,dc=x');
  });

  it('keeps escaped commas inside one RDN', () => {
    expect(normalizeDn('cn=a\\,b,dc=x').split(',').length).toBe(3);
    expect(normalizeDn('cn=a\\,b,dc=x')).not.toBe(normalizeDn('cn=a,cn=b,dc=x'));
  });
});

describe('normalizeDn fast path for plain DNs', () => {
  it('gives exactly what the general normalization gives', () => {
    // Deterministic pseudo-random DNs over the plain alphabet plus the characters that must
    // send a DN down the general path.
    const alphabet = 'aZ09 =,._@-\\+#"<>;é';
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const samples = ['', ' ', ' , ', 'cn=a=b,dc=x', 'CN = Given1 Family1 , OU=People', 'dc=x,', ',dc=x', 'a,b'];
    for (let i = 0; i < 5_000; i += 1) {
      let dn = '';
      const length = next(30);
      for (let k = 0; k < length; k += 1) dn += alphabet[next(alphabet.length)];
      samples.push(dn);
    }
    for (const dn of samples) expect([dn, normalizeDn(dn)]).toEqual([dn, normalizeDnGeneral(dn)]);
  });
});

describe('escapeFilterValue (RFC 4515)', () => {
  it('escapes the filter metacharacters and NUL', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0')).toBe('a\\2ab\\28c\\29d\\5ce\\00');
  });

  it('escapes non-ASCII bytes', () => {
    expect(escapeFilterValue('é')).toBe('\\c3\\a9');
  });
});
