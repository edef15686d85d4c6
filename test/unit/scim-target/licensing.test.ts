/**
 * The four ways the connector can represent licences on the SCIM target (issue 5): entitlements,
 * non-primary roles, the dirsync licensing extension on User, and membership of Groups (whose
 * seat count is the licensing extension on Group). Each is round-tripped with exactly the request
 * shapes the connector uses.
 */
import {
  GROUP_SCHEMA,
  LICENSING_GROUP,
  LICENSING_USER,
  LIST_SCHEMA,
  TestTarget,
  USER_SCHEMA,
  expectScimError,
  field,
  json,
  patchBody,
  resources,
  type Json,
} from './harness';

jest.setTimeout(10_000);

const LICENSES = `${LICENSING_USER}:licenses`;
const SEATS = `${LICENSING_GROUP}:seats`;

let t: TestTarget;

beforeEach(async () => {
  t = await TestTarget.start({ maxResults: 5 });
});

afterEach(async () => {
  await t.close();
});

function values(list: unknown): unknown[] {
  if (!Array.isArray(list)) throw new Error(`expected an array, got ${JSON.stringify(list)}`);
  return list.map((item) => json(item)['value']);
}

function licensesOf(resource: Json): unknown {
  const extension = resource[LICENSING_USER];
  return extension === undefined ? undefined : json(extension)['licenses'];
}

function versionOf(resource: Json): unknown {
  return json(resource['meta'])['version'];
}

async function createUser(userName: string, extra: Json = {}, schemas: string[] = [USER_SCHEMA]): Promise<string> {
  const created = await t.create('/Users', { schemas, userName, ...extra });
  return String(created['id']);
}

describe('discovery', () => {
  it('declares the licensing extensions in /Schemas and /ResourceTypes, and keeps the ServiceProviderConfig true', async () => {
    const userSchema = await t.get(`/Schemas/${LICENSING_USER}`);
    expect(userSchema).toMatchObject({
      id: LICENSING_USER,
      attributes: [
        {
          name: 'licenses',
          type: 'complex',
          multiValued: true,
          subAttributes: expect.arrayContaining([expect.objectContaining({ name: 'value', type: 'string' })]),
        },
      ],
    });
    const groupSchema = await t.get(`/Schemas/${LICENSING_GROUP}`);
    expect(groupSchema).toMatchObject({
      id: LICENSING_GROUP,
      attributes: [{ name: 'seats', type: 'integer', multiValued: false }],
    });
    const listed = resources({ status: 200, headers: {}, body: await t.get('/Schemas') }).map((s) => s['id']);
    expect(listed).toEqual(expect.arrayContaining([LICENSING_USER, LICENSING_GROUP]));

    expect(await t.get('/ResourceTypes/User')).toMatchObject({
      schema: USER_SCHEMA,
      schemaExtensions: expect.arrayContaining([{ schema: LICENSING_USER, required: false }]),
    });
    expect(await t.get('/ResourceTypes/Group')).toMatchObject({
      schema: GROUP_SCHEMA,
      schemaExtensions: [{ schema: LICENSING_GROUP, required: false }],
    });

    expect(await t.get('/ServiceProviderConfig')).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      etag: { supported: false },
      filter: { supported: true, maxResults: 5 },
    });
  });
});

describe('licences as entitlements and roles', () => {
  it('creates, adds, removes and combines operations in one PATCH', async () => {
    const id = await createUser('ann', {
      entitlements: [{ value: 'L1' }, { value: 'L2' }],
      roles: [{ value: 'User', primary: true }, { value: 'L1' }],
    });
    const fetched = await t.get(`/Users/${id}`);
    expect(fetched['entitlements']).toEqual([{ value: 'L1' }, { value: 'L2' }]);
    expect(fetched['roles']).toEqual([{ value: 'User', primary: true }, { value: 'L1' }]);

    const added = await t.patch(`/Users/${id}`, { op: 'add', path: 'entitlements', value: [{ value: 'L3' }] });
    expect(added['entitlements']).toEqual([{ value: 'L1' }, { value: 'L2' }, { value: 'L3' }]);
    // Adding a value already present changes nothing: no duplicate, 204, version unchanged.
    const again = await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: 'entitlements', value: [{ value: 'L3' }] }));
    expect(again.status).toBe(204);
    expect(versionOf(await t.get(`/Users/${id}`))).toBe(versionOf(added));

    const removed = await t.patch(`/Users/${id}`, { op: 'remove', path: 'entitlements[value eq "L1"]' });
    expect(removed['entitlements']).toEqual([{ value: 'L2' }, { value: 'L3' }]);

    const roleAdded = await t.patch(`/Users/${id}`, { op: 'add', path: 'roles', value: [{ value: 'L2' }] });
    expect(roleAdded['roles']).toEqual([{ value: 'User', primary: true }, { value: 'L1' }, { value: 'L2' }]);
    const roleRemoved = await t.patch(`/Users/${id}`, { op: 'remove', path: 'roles[value eq "L1"]' });
    expect(roleRemoved['roles']).toEqual([{ value: 'User', primary: true }, { value: 'L2' }]);

    // Removing a value that is not there is a no-op, not an error.
    const absent = await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'remove', path: 'roles[value eq "L9"]' }));
    expect(absent.status).toBe(204);

    const before = Number(String(versionOf(roleRemoved)).replace(/\D/g, ''));
    const combined = await t.patch(
      `/Users/${id}`,
      { op: 'add', path: 'entitlements', value: [{ value: 'L4' }] },
      { op: 'remove', path: 'entitlements[value eq "L2"]' },
      { op: 'add', path: 'roles', value: [{ value: 'L3' }] },
      { op: 'remove', path: 'roles[value eq "L2"]' },
    );
    expect(combined['entitlements']).toEqual([{ value: 'L3' }, { value: 'L4' }]);
    expect(combined['roles']).toEqual([{ value: 'User', primary: true }, { value: 'L3' }]);
    // One request, one write.
    expect(versionOf(combined)).toBe(`W/"${before + 1}"`);

    // Removing the last non-primary role leaves the primary one; the last entitlement leaves none.
    const last = await t.patch(
      `/Users/${id}`,
      { op: 'remove', path: 'roles[value eq "L3"]' },
      { op: 'remove', path: 'entitlements[value eq "L3"]' },
      { op: 'remove', path: 'entitlements[value eq "L4"]' },
    );
    expect(last['roles']).toEqual([{ value: 'User', primary: true }]);
    expect(last['entitlements']).toBeUndefined();
    expect(await t.get(`/Users/${id}`)).toEqual(last);

    // A role change swaps the primary value and leaves the licence values alone.
    await t.patch(`/Users/${id}`, { op: 'add', path: 'roles', value: [{ value: 'L1' }] });
    const swapped = await t.patch(
      `/Users/${id}`,
      { op: 'remove', path: 'roles[value eq "User"]' },
      { op: 'add', path: 'roles', value: [{ value: 'Admin', primary: true }] },
    );
    expect(swapped['roles']).toEqual([{ value: 'L1' }, { value: 'Admin', primary: true }]);
  });
});

describe('licences in the licensing extension on User', () => {
  it('creates a user with the extension and reads it back', async () => {
    const created = await t.create('/Users', {
      schemas: [USER_SCHEMA, LICENSING_USER],
      userName: 'bea',
      [LICENSING_USER]: { licenses: [{ value: 'L1' }, { value: 'L2' }, { value: 'L1' }] },
    });
    expect(created['schemas']).toEqual([USER_SCHEMA, LICENSING_USER]);
    expect(licensesOf(created)).toEqual([{ value: 'L1' }, { value: 'L2' }]);
    expect(await t.get(`/Users/${String(created['id'])}`)).toEqual(created);

    // Like any extension, it must be listed in "schemas" when used.
    expectScimError(
      await t.scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: 'unlisted',
        [LICENSING_USER]: { licenses: [{ value: 'L1' }] },
      }),
      400,
      'invalidSyntax',
    );
    expectScimError(
      await t.scim('POST', '/Users', {
        schemas: [USER_SCHEMA, LICENSING_USER],
        userName: 'not-a-list',
        [LICENSING_USER]: { licenses: 'L1' },
      }),
      400,
      'invalidValue',
    );
  });

  it('adds and removes licences with PATCH, down to none and back', async () => {
    const id = await createUser('cy');
    const added = await t.patch(`/Users/${id}`, { op: 'add', path: LICENSES, value: [{ value: 'L1' }] });
    expect(added['schemas']).toEqual([USER_SCHEMA, LICENSING_USER]);
    expect(licensesOf(added)).toEqual([{ value: 'L1' }]);

    // Already present: no duplicate, 204.
    const duplicate = await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: LICENSES, value: [{ value: 'L1' }] }));
    expect(duplicate.status).toBe(204);

    const more = await t.patch(
      `/Users/${id}`,
      { op: 'add', path: LICENSES, value: [{ value: 'L2' }] },
      { op: 'add', path: LICENSES, value: [{ value: 'L3' }, { value: 'L1' }] },
    );
    expect(licensesOf(more)).toEqual([{ value: 'L1' }, { value: 'L2' }, { value: 'L3' }]);

    const removed = await t.patch(`/Users/${id}`, { op: 'remove', path: `${LICENSES}[value eq "L1"]` });
    expect(licensesOf(removed)).toEqual([{ value: 'L2' }, { value: 'L3' }]);

    // Several removes in one request, emptying the attribute: the extension disappears.
    const emptied = await t.patch(
      `/Users/${id}`,
      { op: 'remove', path: `${LICENSES}[value eq "L2"]` },
      { op: 'remove', path: `${LICENSES}[value eq "L3"]` },
    );
    expect(emptied[LICENSING_USER]).toBeUndefined();
    expect(emptied['schemas']).toEqual([USER_SCHEMA]);

    // Removing from a user without the extension changes nothing.
    const absent = await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'remove', path: `${LICENSES}[value eq "L1"]` }));
    expect(absent.status).toBe(204);

    // Emptied and refilled within one request.
    await t.patch(`/Users/${id}`, { op: 'add', path: LICENSES, value: [{ value: 'L5' }] });
    const swapped = await t.patch(
      `/Users/${id}`,
      { op: 'remove', path: `${LICENSES}[value eq "L5"]` },
      { op: 'add', path: LICENSES, value: [{ value: 'L6' }] },
      { op: 'replace', path: 'displayName', value: 'Cy' },
    );
    expect(licensesOf(swapped)).toEqual([{ value: 'L6' }]);
    expect(swapped['displayName']).toBe('Cy');
    expect(await t.get(`/Users/${id}`)).toEqual(swapped);
  });

  it('applies add and replace to the extension object as to its attributes, and removes it whole', async () => {
    const id = await createUser('dee', { [LICENSING_USER]: { licenses: [{ value: 'L1' }] } }, [USER_SCHEMA, LICENSING_USER]);

    // A path-less add adds to the multi-valued attribute (it does not replace it).
    const pathless = await t.patch(`/Users/${id}`, { op: 'add', value: { [LICENSING_USER]: { licenses: [{ value: 'L2' }] } } });
    expect(licensesOf(pathless)).toEqual([{ value: 'L1' }, { value: 'L2' }]);
    const byExtension = await t.patch(`/Users/${id}`, {
      op: 'add',
      path: LICENSING_USER,
      value: { licenses: [{ value: 'L3' }] },
    });
    expect(licensesOf(byExtension)).toEqual([{ value: 'L1' }, { value: 'L2' }, { value: 'L3' }]);

    // replace sets the whole list, whichever way it is addressed.
    const replaced = await t.patch(`/Users/${id}`, { op: 'replace', path: LICENSES, value: [{ value: 'L4' }] });
    expect(licensesOf(replaced)).toEqual([{ value: 'L4' }]);
    const replacedByExtension = await t.patch(`/Users/${id}`, {
      op: 'replace',
      path: LICENSING_USER,
      value: { licenses: [{ value: 'L5' }] },
    });
    expect(licensesOf(replacedByExtension)).toEqual([{ value: 'L5' }]);
    const replacedPathless = await t.patch(`/Users/${id}`, {
      op: 'replace',
      value: { [LICENSING_USER]: { licenses: [{ value: 'L6' }, { value: 'L7' }] } },
    });
    expect(licensesOf(replacedPathless)).toEqual([{ value: 'L6' }, { value: 'L7' }]);

    // Sub-attributes of one licence.
    const displayed = await t.patch(`/Users/${id}`, { op: 'replace', path: `${LICENSES}[value eq "L6"].display`, value: 'Six' });
    expect(licensesOf(displayed)).toEqual([{ value: 'L6', display: 'Six' }, { value: 'L7' }]);
    const undisplayed = await t.patch(`/Users/${id}`, { op: 'remove', path: `${LICENSES}[value eq "L6"].display` });
    expect(licensesOf(undisplayed)).toEqual([{ value: 'L6' }, { value: 'L7' }]);

    const whole = await t.patch(`/Users/${id}`, { op: 'remove', path: LICENSING_USER });
    expect(whole[LICENSING_USER]).toBeUndefined();
    expect(whole['schemas']).toEqual([USER_SCHEMA]);

    expectScimError(
      await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: `${LICENSING_USER}:nosuch`, value: 1 })),
      400,
      'invalidPath',
    );
    expectScimError(
      await t.scim('PATCH', `/Users/${id}`, patchBody({ op: 'remove', path: `${LICENSES}[value eq L1]` })),
      400,
      'invalidFilter',
    );
  });

  it('finds users by licence with a filter', async () => {
    await createUser('eve', { [LICENSING_USER]: { licenses: [{ value: 'L1' }] } }, [USER_SCHEMA, LICENSING_USER]);
    await createUser('fay', { [LICENSING_USER]: { licenses: [{ value: 'L2' }] } }, [USER_SCHEMA, LICENSING_USER]);
    await createUser('gus');
    for (const filter of [`${LICENSES}[value eq "L1"]`, `${LICENSES}.value eq "L1"`, `${LICENSES} eq "L1"`]) {
      const found = resources(await t.scim('GET', `/Users?filter=${encodeURIComponent(filter)}`));
      expect(found.map((u) => u['userName'])).toEqual(['eve']);
    }
    const none = resources(await t.scim('GET', `/Users?filter=${encodeURIComponent(`not (${LICENSES} pr)`)}`));
    expect(none.map((u) => u['userName'])).toEqual(['gus']);
  });
});

describe('licences as group membership', () => {
  it('finds the group by exact displayName, adds and removes members, and derives user.groups', async () => {
    const u1 = await createUser('hal');
    const u2 = await createUser('ida');
    const staff = String((await t.create('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Field Staff' }))['id']);
    const other = String((await t.create('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Field Staff 2' }))['id']);
    await t.create('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'field staff' });

    const found = resources(await t.scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Field Staff"')}`));
    expect(found.map((g) => g['id'])).toEqual([staff]);

    const added = await t.patch(`/Groups/${staff}`, { op: 'add', path: 'members', value: [{ value: u1 }] });
    expect(added['members']).toEqual([{ value: u1, type: 'User', display: 'hal', $ref: `${t.url}/Users/${u1}` }]);
    await t.patch(`/Groups/${staff}`, { op: 'add', path: 'members', value: [{ value: u2 }] });
    await t.patch(`/Groups/${other}`, { op: 'add', path: 'members', value: [{ value: u1 }] });
    // Already a member: nothing changes.
    const again = await t.scim('PATCH', `/Groups/${staff}`, patchBody({ op: 'add', path: 'members', value: [{ value: u1 }] }));
    expect(again.status).toBe(204);

    expect(values((await t.get(`/Groups/${staff}`))['members'])).toEqual([u1, u2]);
    expect((await t.get(`/Users/${u1}`))['groups']).toEqual([
      { value: staff, $ref: `${t.url}/Groups/${staff}`, display: 'Field Staff', type: 'direct' },
      { value: other, $ref: `${t.url}/Groups/${other}`, display: 'Field Staff 2', type: 'direct' },
    ]);
    // groups is readOnly: derived from the groups' members; a PATCH of it is refused.
    expectScimError(
      await t.scim('PATCH', `/Users/${u2}`, patchBody({ op: 'add', path: 'groups', value: [{ value: other }] })),
      400,
      'mutability',
    );
    expectScimError(
      await t.scim('PATCH', `/Users/${u2}`, patchBody({ op: 'replace', value: { groups: [{ value: other }] } })),
      400,
      'mutability',
    );

    const removed = await t.patch(`/Groups/${staff}`, { op: 'remove', path: `members[value eq "${u2}"]` });
    expect(values(removed['members'])).toEqual([u1]);
    expect((await t.get(`/Users/${u2}`))['groups']).toBeUndefined();

    // Deleting a user removes it from every group.
    expect((await t.scim('DELETE', `/Users/${u1}`)).status).toBe(204);
    expect((await t.get(`/Groups/${staff}`))['members']).toBeUndefined();
    expect((await t.get(`/Groups/${other}`))['members']).toBeUndefined();
  });

  it('stores a seat count in the licensing extension on Group', async () => {
    const created = await t.create('/Groups', {
      schemas: [GROUP_SCHEMA, LICENSING_GROUP],
      displayName: 'L1',
      [LICENSING_GROUP]: { seats: 5 },
    });
    const id = String(created['id']);
    expect(created).toMatchObject({ schemas: [GROUP_SCHEMA, LICENSING_GROUP], [LICENSING_GROUP]: { seats: 5 } });
    expect(await t.get(`/Groups/${id}`)).toEqual(created);

    const replaced = await t.patch(`/Groups/${id}`, { op: 'replace', path: SEATS, value: 7 });
    expect(replaced[LICENSING_GROUP]).toEqual({ seats: 7 });
    const pathless = await t.patch(`/Groups/${id}`, { op: 'replace', value: { [LICENSING_GROUP]: { seats: 8 } } });
    expect(pathless[LICENSING_GROUP]).toEqual({ seats: 8 });
    const same = await t.scim('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: SEATS, value: 8 }));
    expect(same.status).toBe(204);

    // A seat count is a JSON integer: not a string, not a fraction.
    for (const seats of ['9', 1.5]) {
      expectScimError(
        await t.scim('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: SEATS, value: seats })),
        400,
        'invalidValue',
      );
      expectScimError(
        await t.scim('POST', '/Groups', {
          schemas: [GROUP_SCHEMA, LICENSING_GROUP],
          displayName: 'bad',
          [LICENSING_GROUP]: { seats },
        }),
        400,
        'invalidValue',
      );
    }
    expect((await t.get(`/Groups/${id}`))[LICENSING_GROUP]).toEqual({ seats: 8 });
    // How the connector reads a licence's seats: the group named like the licence.
    const named = `filter=${encodeURIComponent('displayName eq "L1"')}&attributes=${encodeURIComponent(`displayName,${SEATS}`)}`;
    expect((await t.get(`/Groups?${named}`))['Resources']).toEqual([
      { schemas: [GROUP_SCHEMA, LICENSING_GROUP], id, displayName: 'L1', [LICENSING_GROUP]: { seats: 8 } },
    ]);

    // Added to a group created without it; found by filter; removed again.
    const plain = String((await t.create('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'L2' }))['id']);
    const seated = await t.patch(`/Groups/${plain}`, { op: 'add', path: SEATS, value: 3 });
    expect(seated).toMatchObject({ schemas: [GROUP_SCHEMA, LICENSING_GROUP], [LICENSING_GROUP]: { seats: 3 } });
    const large = resources(await t.scim('GET', `/Groups?filter=${encodeURIComponent(`${SEATS} gt 3`)}`));
    expect(large.map((g) => g['displayName'])).toEqual(['L1']);
    const unseated = await t.patch(`/Groups/${plain}`, { op: 'remove', path: SEATS });
    expect(unseated[LICENSING_GROUP]).toBeUndefined();
    expect(unseated['schemas']).toEqual([GROUP_SCHEMA]);
  });
});

describe('listing with attribute selection', () => {
  it('pages through every user with only the licence attributes, and still filters by externalId', async () => {
    const requested = ['externalId', 'entitlements', 'roles', LICENSES].join(',');
    const expected = new Map<string, Json>();
    for (let i = 1; i <= 7; i += 1) {
      const extra: Json = { externalId: `x${i}`, displayName: `User ${i}` };
      if (i % 2 === 0) extra['entitlements'] = [{ value: `E${i}` }];
      if (i % 3 === 0) extra['roles'] = [{ value: 'User', primary: true }, { value: `R${i}` }];
      const schemas = [USER_SCHEMA];
      if (i % 4 === 0) {
        extra[LICENSING_USER] = { licenses: [{ value: `X${i}` }] };
        schemas.push(LICENSING_USER);
      }
      const id = await createUser(`user${i}`, extra, schemas);
      const { displayName: _unrequested, ...selected } = extra;
      expected.set(id, { schemas, id, ...selected });
    }

    const seen: Json[] = [];
    for (let startIndex = 1; ; startIndex += 3) {
      const page = await t.get(`/Users?startIndex=${startIndex}&count=3&attributes=${encodeURIComponent(requested)}`);
      expect(page).toMatchObject({ schemas: [LIST_SCHEMA], totalResults: 7, startIndex });
      const items = resources({ status: 200, headers: {}, body: page });
      expect(page['itemsPerPage']).toBe(items.length);
      seen.push(...items);
      if (items.length < 3) break;
    }
    expect(seen).toEqual([...expected.values()]);

    const one = resources(await t.scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "x4"')}`));
    expect(one.map((u) => u['userName'])).toEqual(['user4']);
    const selected = await t.get(
      `/Users?filter=${encodeURIComponent('externalId eq "x4"')}&attributes=${encodeURIComponent(requested)}`,
    );
    expect(selected['Resources']).toEqual([[...expected.values()][3]]);

    // excludedAttributes of the extension, and of "schemas" (always returned).
    const excluded = await t.get(
      `/Users?filter=${encodeURIComponent('externalId eq "x4"')}&excludedAttributes=${encodeURIComponent(`${LICENSES},schemas`)}`,
    );
    const [user4] = resources({ status: 200, headers: {}, body: excluded });
    expect(user4).toMatchObject({ schemas: [USER_SCHEMA, LICENSING_USER], userName: 'user4' });
    expect(field(user4, LICENSING_USER)).toBeUndefined();
  });
});

describe('persistence', () => {
  it('keeps every representation of licences across a restart', async () => {
    const userId = await createUser(
      'kim',
      {
        entitlements: [{ value: 'L1' }],
        roles: [{ value: 'User', primary: true }, { value: 'L2' }],
        [LICENSING_USER]: { licenses: [{ value: 'L3' }] },
      },
      [USER_SCHEMA, LICENSING_USER],
    );
    await t.patch(`/Users/${userId}`, { op: 'add', path: LICENSES, value: [{ value: 'L4' }] });
    const group = await t.create('/Groups', {
      schemas: [GROUP_SCHEMA, LICENSING_GROUP],
      displayName: 'L5',
      members: [{ value: userId }],
      [LICENSING_GROUP]: { seats: 10 },
    });
    const groupId = String(group['id']);
    const userBefore = await t.get(`/Users/${userId}`);
    const groupBefore = await t.get(`/Groups/${groupId}`);

    await t.restart();

    const userAfter = await t.get(`/Users/${userId}`);
    const groupAfter = await t.get(`/Groups/${groupId}`);
    // Only the port (in meta.location and $ref) differs.
    const portless = (value: Json): string => JSON.stringify(value).replace(/127\.0\.0\.1:\d+/g, 'host');
    expect(portless(userAfter)).toBe(portless(userBefore));
    expect(portless(groupAfter)).toBe(portless(groupBefore));
    expect(licensesOf(userAfter)).toEqual([{ value: 'L3' }, { value: 'L4' }]);
    expect(groupAfter[LICENSING_GROUP]).toEqual({ seats: 10 });
    expect(values(userAfter['groups'])).toEqual([groupId]);
  });
});
