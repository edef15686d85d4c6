import { ConfigError } from '../../../src/errors/codes';
import { parseConfig } from '../../../src/config/load';
import { levenshtein, suggest } from '../../../src/config/suggest';

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, '/etc/dirsync');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const base = (): Record<string, unknown> => ({
  directory: {
    url: 'ldaps://dc1:636',
    bindDn: 'cn=svc',
    bindPassword: '${env:X}',
    users: { baseDns: ['dc=x'] },
    groups: [{ dn: 'cn=a,dc=x', role: 'User', userType: 'Viewer' }],
  },
  target: { url: 'https://t/scim/v2', token: '${env:T}' },
});

describe('did you mean', () => {
  it('levenshtein counts edits', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
  });

  it('suggests a close name, a wrong case, and nothing for a wild guess', () => {
    expect(suggest('basedn', ['baseDns', 'filter'])).toBe('baseDns');
    expect(suggest('BASEDNS', ['baseDns'])).toBe('baseDns');
    expect(suggest('colour', ['url', 'bindDn'])).toBeUndefined();
  });

  it('names the setting that was meant, at every level of the config', () => {
    const raw = base();
    const directory = raw.directory as Record<string, unknown>;
    directory.bindDN = 'cn=x';
    directory.users = { baseDn: ['dc=x'] };
    directory.groups = [{ dn: 'cn=a,dc=x', role: 'User', usertype: 'Viewer' }];
    raw.targt = {};
    raw.produkt = { verifiedDomain: ['x.com'] };
    expect(problems(raw)).toEqual(
      expect.arrayContaining([
        'directory.bindDN: unknown setting (did you mean bindDn?)',
        'directory.users.baseDn: unknown setting (did you mean baseDns?)',
        'directory.groups[0].usertype: unknown setting (did you mean userType?)',
        'targt: unknown setting (did you mean target?)',
        'produkt: unknown setting (did you mean product?)',
      ]),
    );
  });

  it('a CSV source instead of a directory; never both, never neither', () => {
    const csv = { ...base(), source: { csv: { file: 'hr.csv' } } };
    delete (csv as Record<string, unknown>).directory;
    expect(parseConfig(csv, '/etc/dirsync').source?.csv).toMatchObject({ file: '/etc/dirsync/hr.csv', format: 'builtin' });
    expect(problems({ ...base(), source: { csv: { file: 'hr.csv' } } })).toEqual([
      'source: set either directory or source.csv, not both',
    ]);
    const none = base();
    delete none.directory;
    expect(problems(none)).toEqual(['directory: required (or source.csv to read a CSV file instead)']);
    expect(problems({ ...csv, source: { csv: { file: 'hr.csv', groupColumn: 'Dept' } } })).toEqual([
      expect.stringMatching(/^source\.csv\.groups: groupColumn and groups go together/),
    ]);
  });
});
