import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../../../src/errors/codes';
import { loadConfig, parseConfig } from '../../../src/config/load';

function valid(): Record<string, unknown> {
  return {
    directory: {
      url: 'ldaps://dc1.example.org:636',
      bindDn: 'cn=svc,dc=example,dc=org',
      bindPassword: '${env:BIND_PW}',
      users: { baseDns: ['ou=people,dc=example,dc=org'] },
      groups: [{ dn: 'cn=staff,dc=example,dc=org', role: 'User', userType: 'Viewer' }],
    },
    target: { url: 'https://api.example.com/scim/v2', token: 'file:token.txt' },
  };
}

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, '/etc/dirsync');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('config validation', () => {
  it('accepts a minimal config and fills the defaults', () => {
    const config = parseConfig(valid(), '/etc/dirsync');
    expect(config.directory?.pageSize).toBe(500);
    expect(config.state.path).toBe('/etc/dirsync/dirsync-state.db');
    // Left unset: the vendor decides (see settings.test.ts).
    expect(config.directory?.attributes.username).toBeUndefined();
    expect(config.directory?.nestedGroups).toBeUndefined();
  });

  it('names the path of a missing setting', () => {
    const raw = valid();
    (raw.directory as { groups: unknown[] }).groups.push({ role: 'User', userType: 'Viewer' });
    expect(problems(raw)).toEqual(['directory.groups[1].dn: required']);
  });

  it('refuses a secret written in clear text', () => {
    const raw = valid();
    (raw.directory as Record<string, unknown>).bindPassword = 'hunter2';
    expect(problems(raw)).toEqual([expect.stringMatching(/^directory\.bindPassword: must be a reference/)]);
  });

  it('reports unknown settings and several problems at once', () => {
    const raw = valid();
    (raw.directory as Record<string, unknown>).pageSise = 10;
    (raw.target as Record<string, unknown>).url = 'ftp://x';
    expect(problems(raw)).toEqual(
      expect.arrayContaining([
        'directory.pageSise: unknown setting (did you mean pageSize?)',
        expect.stringMatching(/^target\.url: /),
      ]),
    );
  });
});

describe('secret references', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dirsync-config-'));
  const file = path.join(dir, 'connector.yaml');
  writeFileSync(path.join(dir, 'token.txt'), 's3cr3t-token\n');

  it('resolves env and file references, and never prints them', () => {
    writeFileSync(file, JSON.stringify(valid()));
    const loaded = loadConfig(file, { BIND_PW: 'p@ss' });
    expect(loaded.bindPassword?.reveal()).toBe('p@ss');
    expect(loaded.token.reveal()).toBe('s3cr3t-token');
    expect(JSON.stringify(loaded)).not.toMatch(/p@ss|s3cr3t/);
    expect(inspect(loaded, { depth: 10 })).not.toMatch(/p@ss|s3cr3t/);
    expect(`${String(loaded.token)}`).toBe('[redacted]');
  });

  it('names the setting and variable of an unresolved reference', () => {
    writeFileSync(file, JSON.stringify(valid()));
    expect(() => loadConfig(file, {})).toThrow('directory.bindPassword: environment variable BIND_PW is not set');
  });

  it('reports YAML syntax errors and a missing file', () => {
    writeFileSync(file, 'directory: [unclosed\n');
    expect(() => loadConfig(file, {})).toThrow(/YAML/);
    expect(() => loadConfig(path.join(dir, 'nope.yaml'), {})).toThrow(/config file not found/);
  });
});
