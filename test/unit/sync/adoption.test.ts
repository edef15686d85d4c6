import type { CreateOperation } from '../../../src/model/plan';
import { decideAdoption } from '../../../src/sync/adoption';
import type { ScimUser } from '../../../src/target/scim-types';
import { desiredUser } from '../builders';

const desired = desiredUser('alice.smith');
const op: CreateOperation = {
  kind: 'create',
  externalId: desired.externalId,
  userName: desired.userName,
  dn: desired.dn,
  desired,
};
const none = { byExternalId: [], byUserName: [], byEmail: [] };
const account = (id: string, extra: Partial<ScimUser> = {}): ScimUser => ({ id, ...extra });

describe('the adoption rule (provably the same person, or consolidation)', () => {
  it.each<[string, Parameters<typeof decideAdoption>[1], string]>([
    ['nothing there', none, 'none'],
    [
      'one account with our externalId',
      { ...none, byExternalId: [account('a', { externalId: op.externalId })] },
      'adopt:same-externalId',
    ],
    [
      'our externalId on the userName holder (a server without externalId filtering)',
      { ...none, byUserName: [account('a', { externalId: op.externalId })] },
      'adopt:same-externalId',
    ],
    ['two accounts with our externalId', { ...none, byExternalId: [account('a'), account('b')] }, 'consolidate'],
    [
      'unmanaged, same primary email (other case)',
      { ...none, byUserName: [account('a', { emails: [{ value: 'ALICE.SMITH@example.org', primary: true }] })] },
      'adopt:same-email-unmanaged',
    ],
    [
      'unmanaged, same email found by email under another userName',
      { ...none, byEmail: [account('a', { userName: 'asmith', emails: [{ value: 'alice.smith@example.org' }] })] },
      'adopt:same-email-unmanaged',
    ],
    ['unmanaged, no email', { ...none, byUserName: [account('a')] }, 'consolidate'],
    ['unmanaged, other email', { ...none, byUserName: [account('a', { emails: [{ value: 'x@example.org' }] })] }, 'consolidate'],
    [
      'unmanaged, our email only as a secondary address',
      {
        ...none,
        byUserName: [account('a', { emails: [{ value: 'x@example.org', primary: true }, { value: 'alice.smith@example.org' }] })],
      },
      'consolidate',
    ],
    [
      'managed by another source, same email',
      { ...none, byUserName: [account('a', { externalId: 'other', emails: [{ value: 'alice.smith@example.org' }] })] },
      'consolidate',
    ],
    [
      'userName and email held by two accounts',
      { ...none, byUserName: [account('a', { emails: [{ value: 'alice.smith@example.org' }] })], byEmail: [account('b')] },
      'consolidate',
    ],
  ])('%s -> %s', (_label, found, expected) => {
    const d = decideAdoption(op, found);
    expect(d.kind === 'adopt' ? `adopt:${d.why}` : d.kind).toBe(expected);
    if (d.kind === 'consolidate') expect(d.message.length).toBeGreaterThan(20);
  });
});
