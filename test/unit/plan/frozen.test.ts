import { createHash } from 'node:crypto';
import type { Operation } from '../../../src/model/plan';
import { canonicalJson, freezePlan, parseFrozenPlan, snapshotFingerprint, summarizeSnapshot } from '../../../src/plan/frozen';
import { desiredUser, snapshotOf } from '../builders';

const alice = snapshotOf(desiredUser('alice.smith'));
const bob = snapshotOf(desiredUser('bob.jones'));

function ops(): Operation[] {
  const d = desiredUser('carol.white');
  return [
    { kind: 'create', externalId: d.externalId, userName: d.userName, dn: d.dn, desired: d },
    {
      kind: 'deactivate',
      externalId: bob.externalId,
      userName: bob.userName,
      dn: bob.dn,
      targetId: bob.targetId,
      previous: bob,
      why: 'left-scope',
      revoke: { licenses: [], targetGroups: [] },
    },
  ];
}

function frozenText(): string {
  return JSON.stringify(
    freezePlan({
      operations: ops(),
      snapshot: summarizeSnapshot([alice, bob]),
      target: 'https://scim.example.com/v2',
      planRunId: 'run-1',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      guardExceeded: [],
    }),
  );
}

describe('snapshot fingerprint', () => {
  it('depends on content, not on order or on when values were last confirmed', () => {
    const base = snapshotFingerprint([alice, bob]);
    expect(snapshotFingerprint([bob, alice])).toBe(base);
    expect(snapshotFingerprint([{ ...alice, updatedAt: '2030-01-01T00:00:00Z' }, bob])).toBe(base);
    expect(snapshotFingerprint([{ ...alice, active: false }, bob])).not.toBe(base);
    expect(snapshotFingerprint([alice])).not.toBe(base);
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('frozen plan files', () => {
  it('round-trip exactly', () => {
    const parsed = parseFrozenPlan(frozenText());
    expect(parsed.ok && parsed.plan.operations).toEqual(ops());
  });

  it('refuse an edit anywhere in the operations, the target or the fingerprint', () => {
    const text = frozenText();
    for (const [from, to] of [
      ['carol.white@example.org', 'mallory@example.org'],
      ['https://scim.example.com/v2', 'https://evil.example.com/v2'],
      ['"left-scope"', '"disabled-in-directory"'],
    ] as const) {
      const parsed = parseFrozenPlan(text.replace(from, to));
      expect(parsed).toEqual({ ok: false, problem: expect.stringContaining('digest does not match') });
    }
  });

  it('refuse what is not a plan, naming the problem', () => {
    expect(parseFrozenPlan('not json')).toMatchObject({ ok: false, problem: expect.stringMatching(/^not JSON/) });
    expect(parseFrozenPlan('{"format":"x"}')).toMatchObject({ ok: false, problem: expect.stringContaining('format') });
    const extra = JSON.parse(frozenText()) as { operations: Record<string, unknown>[] };
    (extra.operations[0] as Record<string, unknown>).password = 'x';
    expect(parseFrozenPlan(JSON.stringify(extra))).toMatchObject({ ok: false, problem: expect.stringContaining('operations.0') });
  });
});

describe('snapshotFingerprint, hashed row by row', () => {
  it('equals the hash of the canonical JSON of the sorted rows without updatedAt', () => {
    const rows = ['b', 'a', 'c'].map((id) => ({
      externalId: id,
      targetId: `t-${id}`,
      dn: `uid=${id}`,
      userName: `user.${id}`,
      email: `${id}@example.org`,
      givenName: 'G',
      familyName: 'F',
      displayName: 'G F',
      role: 'User',
      userType: 'Viewer',
      active: id !== 'c',
      updatedAt: `2026-01-0${id === 'a' ? 1 : 2}T00:00:00.000Z`,
      licenses: [],
      targetGroups: [],
    }));
    const expected = createHash('sha256')
      .update(
        canonicalJson([...rows].sort((x, y) => x.externalId.localeCompare(y.externalId)).map(({ updatedAt: _u, ...r }) => r)),
      )
      .digest('hex');
    expect(snapshotFingerprint(rows)).toBe(`sha256:${expected}`);
    expect(snapshotFingerprint([])).toBe(`sha256:${createHash('sha256').update('[]').digest('hex')}`);
  });
});
