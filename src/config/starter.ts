import path from 'node:path';
import { Document } from 'yaml';

/** What `dirsync init` asks; everything else keeps its default. */
export interface StarterAnswers {
  readonly directoryType: 'auto' | 'activedirectory' | 'openldap' | 'ldap';
  readonly url: string;
  readonly bindDn: string;
  readonly baseDns: readonly string[];
  readonly groups: readonly string[];
  readonly role: string;
  readonly userType: string;
  readonly caFile?: string | undefined;
  readonly targetUrl: string;
  readonly verifiedDomains: readonly string[];
  readonly adminUserName?: string | undefined;
}

/** The environment variables the starter config refers to: init never writes a secret. */
export const STARTER_SECRETS = { bindPassword: 'DIRSYNC_BIND_PASSWORD', token: 'DIRSYNC_SCIM_TOKEN' } as const;

export function starterDocument(a: StarterAnswers): Record<string, unknown> {
  const startTls = a.url.toLowerCase().startsWith('ldap://');
  return {
    directory: {
      type: a.directoryType,
      url: a.url,
      bindDn: a.bindDn,
      bindPassword: `\${env:${STARTER_SECRETS.bindPassword}}`,
      // ldap:// gets StartTLS: dirsync refuses a clear-text bind unless told otherwise.
      tls: { ...(a.caFile ? { caFile: a.caFile } : {}), startTls },
      users: { baseDns: [...a.baseDns] },
      groups: a.groups.map((dn) => ({ dn, role: a.role, userType: a.userType })),
    },
    target: { url: a.targetUrl, token: `\${env:${STARTER_SECRETS.token}}` },
    product: {
      verifiedDomains: [...a.verifiedDomains],
      ...(a.adminUserName ? { adminUserName: a.adminUserName } : {}),
    },
  };
}

/** YAML with the modeline that makes editors (yaml-language-server) complete and check the file. */
export function starterYaml(doc: Record<string, unknown>, outFile: string, schemaFile: string): string {
  const yaml = new Document(doc);
  const schema = path
    .relative(path.dirname(path.resolve(outFile)), schemaFile)
    .split(path.sep)
    .join('/');
  yaml.commentBefore = [
    ` yaml-language-server: $schema=${schema.startsWith('.') ? schema : `./${schema}`}`,
    ' Written by `dirsync init`. Secrets are never written here: set the environment variables',
    ` ${STARTER_SECRETS.bindPassword} and ${STARTER_SECRETS.token}. Every setting: connector.example.yaml.`,
  ].join('\n');
  return yaml.toString({ lineWidth: 0 });
}
