import { classifyRootDse, formatGuid, vendorFor } from '../../../src/directory/vendor';
import type { ReadEntry } from '../../../src/directory/client';

function entry(attributes: Record<string, string[]>, binary: Record<string, Buffer[]> = {}): ReadEntry {
  return { dn: 'cn=x', attributes, binary };
}

describe('vendor detection from the RootDSE', () => {
  it('recognises Active Directory by its capability OID', () => {
    const info = classifyRootDse(
      entry({ supportedcapabilities: ['1.2.840.113556.1.4.800', '1.2.840.113556.1.4.1670'], dnshostname: ['dc1.example.test'] }),
    );
    expect(info).toMatchObject({ kind: 'activedirectory', dnsHostName: 'dc1.example.test' });
  });

  it('recognises OpenLDAP by its RootDSE object class, and falls back to plain LDAP', () => {
    expect(classifyRootDse(entry({ objectclass: ['top', 'OpenLDAProotDSE'] })).kind).toBe('openldap');
    expect(classifyRootDse(entry({ vendorname: ['Example Corp'] })).kind).toBe('ldap');
    expect(classifyRootDse(undefined).kind).toBe('ldap');
  });
});

describe('objectGUID', () => {
  it('formats the bytes in the canonical (mixed-endian) form', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(formatGuid(bytes)).toBe('33221100-5544-7766-8899-aabbccddeeff');
  });

  it('refuses anything that is not 16 bytes', () => {
    expect(formatGuid(Buffer.from('0011', 'hex'))).toBe('');
  });
});

describe('disabled accounts', () => {
  const ad = vendorFor('activedirectory');
  const ldap = vendorFor('openldap');

  it('AD: userAccountControl bit 0x2', () => {
    expect(ad.isDisabled(entry({ useraccountcontrol: ['512'] }))).toBe(false);
    expect(ad.isDisabled(entry({ useraccountcontrol: ['514'] }))).toBe(true);
    expect(ad.isDisabled(entry({ useraccountcontrol: ['66050'] }))).toBe(true);
    expect(ad.isDisabled(entry({}))).toBe(false);
  });

  it('plain LDAP: a configured lock attribute, present and not "false"', () => {
    expect(ldap.isDisabled(entry({ pwdaccountlockedtime: ['000001010000Z'] }), 'pwdAccountLockedTime')).toBe(true);
    expect(ldap.isDisabled(entry({ nsaccountlock: ['TRUE'] }), 'nsAccountLock')).toBe(true);
    expect(ldap.isDisabled(entry({ nsaccountlock: ['false'] }), 'nsAccountLock')).toBe(false);
    expect(ldap.isDisabled(entry({}), 'nsAccountLock')).toBe(false);
    expect(ldap.isDisabled(entry({ nsaccountlock: ['TRUE'] }))).toBe(false);
  });
});
