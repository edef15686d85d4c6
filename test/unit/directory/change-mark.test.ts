import { Secret } from '../../../src/config/secret';
import { DirectoryClient } from '../../../src/directory/client';
import { deltaFallback, parseServerId, readInvocationId, serverIdentity } from '../../../src/directory/change-mark';
import type { RootDseInfo } from '../../../src/directory/vendor';
import { startFakeLdap, type FakeLdap } from './fake-ldap';

const NTDS = 'CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=example,DC=test';
const ID_A = '0f3c1b9e-7a2d-4c55-9d1e-2b6f8a4c3e10';
const ID_B = 'a41d2c7f-1e0b-4f93-8c2a-5d7e9b0f6a21';
const ad: RootDseInfo = { kind: 'activedirectory', dsServiceName: NTDS, highestCommittedUsn: '5000' };

describe('serverIdentity', () => {
  it('keys an AD mark on the DC and its invocationId', () => {
    const id = serverIdentity(ad, 'ldaps://dc1:636', ID_A);
    expect(id).toEqual({ serverId: `ad:${NTDS}|invocationId=${ID_A}`, invocationId: ID_A });
    expect(parseServerId(id.serverId)).toEqual({ server: `ad:${NTDS}`, invocationId: ID_A });
  });

  it('keeps the DC alone when the invocationId is unknown, and plain LDAP on its URL', () => {
    expect(serverIdentity(ad, 'ldaps://dc1:636')).toEqual({ serverId: `ad:${NTDS}` });
    expect(serverIdentity({ kind: 'openldap' }, 'ldaps://ldap1:636', ID_A)).toEqual({ serverId: 'ldap:ldaps://ldap1:636' });
    expect(parseServerId('ldap:ldaps://ldap1:636')).toEqual({ server: 'ldap:ldaps://ldap1:636' });
  });
});

describe('deltaFallback', () => {
  const current = (invocationId: string | undefined, usn = '5000') => ({
    identity: serverIdentity(ad, 'ldaps://dc1:636', invocationId),
    vendor: 'activedirectory' as const,
    highestCommittedUsn: usn,
  });
  const markOf = (invocationId: string | undefined, mark = '4000') => ({
    serverId: serverIdentity(ad, 'ldaps://dc1:636', invocationId).serverId,
    mark,
  });

  it('allows a delta on the same DC with the same invocationId', () => {
    expect(deltaFallback(markOf(ID_A), current(ID_A))).toBeUndefined();
  });

  it('reads in full when the DC was restored: same dsServiceName, new invocationId', () => {
    const reason = deltaFallback(markOf(ID_A), current(ID_B, '3000'));
    expect(reason).toMatch(/new invocationId/);
    expect(reason).toContain(`${ID_A} -> ${ID_B}`);
    expect(reason).toMatch(/restored from a backup/);
  });

  it('reads in full once after an upgrade: a mark kept without the invocationId', () => {
    expect(deltaFallback(markOf(undefined), current(ID_A))).toMatch(/without the DC's invocationId/);
  });

  it('reads in full when the invocationId cannot be read (a restore cannot be ruled out)', () => {
    expect(deltaFallback(markOf(ID_A), current(undefined))).toMatch(/invocationId .* could not be read/);
    expect(deltaFallback(markOf(undefined), current(undefined))).toMatch(/invocationId .* could not be read/);
  });

  it('reads in full when the uSN went back below the mark, even with the same invocationId', () => {
    expect(deltaFallback(markOf(ID_A, '6000'), current(ID_A, '5000'))).toMatch(/below the last mark/);
  });

  it('reads in full without a highestCommittedUSN', () => {
    const noUsn = { ...current(ID_A), highestCommittedUsn: undefined };
    expect(deltaFallback(markOf(ID_A), noUsn)).toMatch(/highestCommittedUSN/);
  });

  it('reads in full against another DC, whatever its invocationId', () => {
    const other = {
      identity: serverIdentity({ ...ad, dsServiceName: NTDS.replace('CN=DC1', 'CN=DC2') }, 'ldaps://dc2:636', ID_A),
      vendor: 'activedirectory' as const,
      highestCommittedUsn: '9000',
    };
    expect(deltaFallback(markOf(ID_A), other)).toMatch(/change marks are per server/);
  });

  it('leaves plain LDAP marks to the server URL', () => {
    const ldap = { identity: serverIdentity({ kind: 'openldap' }, 'ldaps://a:636'), vendor: 'openldap' as const };
    expect(deltaFallback({ serverId: 'ldap:ldaps://a:636', mark: 'x' }, ldap)).toBeUndefined();
    expect(deltaFallback({ serverId: 'ldap:ldaps://b:636', mark: 'x' }, ldap)).toMatch(/change marks are per server/);
  });
});

describe('readInvocationId', () => {
  let server: FakeLdap;
  let client: DirectoryClient;
  // The canonical string form of ID_A, as AD stores it (first three groups little-endian).
  const bytes = Buffer.from('9e1b3c0f2d7a554c9d1e2b6f8a4c3e10', 'hex');

  beforeAll(async () => {
    server = await startFakeLdap({ bases: { [NTDS]: [[{ dn: NTDS, attributes: { invocationId: [bytes] } }]] } });
    client = await DirectoryClient.connect({
      urls: [server.url],
      bindDn: 'cn=admin',
      bindPassword: new Secret('x'),
      startTls: false,
      allowInsecure: true,
      timeoutMs: 5_000,
    });
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it("reads the NTDS Settings object's invocationId as a GUID", async () => {
    await expect(readInvocationId(client, ad)).resolves.toBe(ID_A);
  });

  it('is undefined when the object cannot be read, or off AD', async () => {
    await expect(readInvocationId(client, { ...ad, dsServiceName: 'CN=gone,DC=example,DC=test' })).resolves.toBeUndefined();
    await expect(readInvocationId(client, { kind: 'openldap' })).resolves.toBeUndefined();
  });
});
