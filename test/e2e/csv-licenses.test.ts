/** A CSV source maps its group column to licenses and target groups like directory groups do. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, SECRETS_ENV, tempDir, writeConfig } from './support/cli';
import { ScimProcess } from './support/scim';

jest.setTimeout(60_000);

describe('licenses from a CSV source', () => {
  let scim: ScimProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('csv-licenses');
    scim = new ScimProcess(path.join(dir, 'scim.db'));
    await scim.start();
  });
  afterAll(async () => scim?.stop());

  it('grants the licenses of every group a row names, role from the group with the best priority', async () => {
    writeFileSync(
      path.join(dir, 'hr.csv'),
      [
        'Email,Role,User Type,First Name,Last Name,Username,Password,Department',
        'ana.lopez@example.org,,,Ana,Lopez,ana.lopez,,Field;Office',
        'ben.short@example.org,,,Ben,Short,ben.short,,Office',
        '',
      ].join('\r\n'),
    );
    const file = writeConfig(dir, {
      source: {
        csv: {
          file: 'hr.csv',
          groupColumn: 'Department',
          groups: [
            { name: 'Office', role: 'User', userType: 'Viewer', licenses: ['crm'], priority: 5 },
            {
              name: 'Field',
              role: 'Publisher',
              userType: 'Creator',
              licenses: ['field-apps'],
              targetGroups: ['Field Staff'],
              priority: 1,
            },
          ],
        },
      },
      licensing: { licenses: [{ name: 'crm' }, { name: 'field-apps' }] },
      target: { url: scim.url, token: '${env:DIRSYNC_SCIM_TOKEN}' },
      state: { path: 'state.db' },
    });
    const res = await runCli(['sync', '--json', '--config', file], SECRETS_ENV);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const users = await scim.users();
    const ana = users.find((u) => u.userName === 'ana.lopez');
    const ben = users.find((u) => u.userName === 'ben.short');
    expect(ana?.userType).toBe('Creator');
    expect((ana?.entitlements ?? []).map((e) => e.value).sort()).toEqual(['crm', 'field-apps']);
    expect((ben?.entitlements ?? []).map((e) => e.value)).toEqual(['crm']);
    expect((await scim.group('Field Staff'))?.members).toEqual([ana?.id]);
  });
});
