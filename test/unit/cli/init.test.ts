import { parse } from 'yaml';
import { answersFrom, type InitOptions } from '../../../src/cli/commands/init';
import { parseConfig } from '../../../src/config/load';
import { starterDocument, starterYaml } from '../../../src/config/starter';

const DEFAULTS: InitOptions = { role: 'User', userType: 'Viewer', out: 'connector.yaml' };

describe('dirsync init', () => {
  it('asks what the flags left out, re-asks an empty answer, and takes defaults', async () => {
    const questions: string[] = [];
    const script = [
      '',
      'ldap://dc1.example.org:389',
      'svc@example.org',
      'OU=Staff,DC=example,DC=org; OU=Contractors,DC=example,DC=org',
      'CN=App Users,OU=Groups,DC=example,DC=org',
      '',
      'https://api.example.com/scim/v2',
      'example.org;example.net',
      'it.admin',
    ];
    // The first answer is empty for a question with a default: the default is taken.
    const answers = await answersFrom({ ...DEFAULTS, directoryType: 'activedirectory' }, async (q, fallback) => {
      questions.push(q);
      const a = script.shift() ?? '';
      return a || fallback || '';
    });
    expect(questions[0]).toMatch(/^Directory URL/);
    expect(answers).toMatchObject({
      directoryType: 'activedirectory',
      url: 'ldap://dc1.example.org:389',
      baseDns: ['OU=Staff,DC=example,DC=org', 'OU=Contractors,DC=example,DC=org'],
      groups: ['CN=App Users,OU=Groups,DC=example,DC=org'],
      verifiedDomains: ['example.org', 'example.net'],
      adminUserName: 'it.admin',
    });
    expect(answers.caFile).toBeUndefined();
  });

  it('without a terminal, names every missing flag at once', async () => {
    await expect(answersFrom({ ...DEFAULTS, url: 'ldaps://x' }, undefined)).rejects.toThrow(
      '--bind-dn, --base-dn, --group, --target-url required when stdin is not a terminal',
    );
  });

  it('writes a valid config with secret references only, StartTLS for ldap://, and the schema modeline', async () => {
    const answers = await answersFrom(
      {
        ...DEFAULTS,
        url: 'ldap://dc1:389',
        bindDn: 'cn=svc',
        baseDn: ['dc=x'],
        group: ['cn=g,dc=x'],
        targetUrl: 'https://t/scim/v2',
      },
      undefined,
    );
    const text = starterYaml(
      starterDocument(answers),
      '/etc/dirsync/connector.yaml',
      '/opt/dirsync/config/connector.schema.json',
    );
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../opt/dirsync/config/connector.schema.json');
    expect(text).toContain('bindPassword: ${env:DIRSYNC_BIND_PASSWORD}');
    expect(text).toContain('token: ${env:DIRSYNC_SCIM_TOKEN}');
    const config = parseConfig(parse(text), '/etc/dirsync');
    expect(config.directory?.tls.startTls).toBe(true);
    expect(config.directory?.groups).toEqual([
      { dn: 'cn=g,dc=x', role: 'User', userType: 'Viewer', licenses: [], targetGroups: [] },
    ]);
  });
});
