import { domainOf, domainReport, unverifiedCounts } from '../../../src/doctor/domains';
import type { SnapshotUser } from '../../../src/model/user-state';

function user(email: string, active = true): SnapshotUser {
  const name = email.split('@')[0] ?? email;
  return {
    externalId: email,
    targetId: `t-${email}`,
    dn: `uid=${name}`,
    userName: name,
    email,
    givenName: '',
    familyName: '',
    displayName: name,
    role: 'User',
    userType: 'Viewer',
    active,
    updatedAt: '2026-01-01T00:00:00Z',
    licenses: [],
    targetGroups: [],
  };
}

describe('domain figures', () => {
  it('domainOf lower-cases and names a missing email', () => {
    expect(domainOf('A@Example.ORG')).toBe('example.org');
    expect(domainOf(undefined)).toBe('(no email)');
  });

  it('counts users of unverified domains, most first', () => {
    const counts = unverifiedCounts(['a@x.com', 'b@y.com', 'c@y.com', 'd@ok.org'], ['ok.org']);
    expect([...counts]).toEqual([
      ['y.com', 2],
      ['x.com', 1],
    ]);
  });

  it('managed, active, pending, inactive, skipped, consolidation and the rate per domain', () => {
    const rows = domainReport(
      [user('a@ok.org'), user('b@ok.org'), user('c@ok.org', false), user('d@new.com')],
      [
        { reason: 'NEEDS_CONSOLIDATION', domain: 'ok.org' },
        { reason: 'EMAIL_APOSTROPHE', domain: 'ok.org' },
        { reason: 'NEEDS_CONSOLIDATION', domain: 'new.com' },
        { reason: 'NEEDS_CONSOLIDATION', domain: 'new.com' },
      ],
      ['ok.org'],
    );
    expect(rows).toEqual([
      {
        domain: 'new.com',
        verified: false,
        managed: 1,
        active: 0,
        pending: 1,
        inactive: 0,
        skipped: 0,
        needsConsolidation: 2,
        consolidationRate: 1 / 3,
      },
      {
        domain: 'ok.org',
        verified: true,
        managed: 3,
        active: 2,
        pending: 0,
        inactive: 1,
        skipped: 1,
        needsConsolidation: 1,
        consolidationRate: 0.75,
      },
    ]);
  });
});
