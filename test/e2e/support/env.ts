import path from 'node:path';

/** Values fixed by scripts/openldap.sh, scripts/samba.sh and scripts/scim-target.sh. */
export const RUN_DIR = process.env.DIRSYNC_RUN_DIR ?? '/tmp/dirsync-run';
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export const OPENLDAP = {
  ldapUrl: 'ldap://127.0.0.1:3389',
  ldapsUrl: 'ldaps://127.0.0.1:3636',
  suffix: 'dc=example,dc=org',
  adminDn: 'cn=admin,dc=example,dc=org',
  adminPassword: 'admin-secret',
  caFile: path.join(RUN_DIR, 'openldap/tls/cert.pem'),
} as const;

export const SCIM_TOKEN = 'e2e-scim-token-3f9a';

export const SAMBA = {
  ldapUrl: 'ldap://127.0.0.1:389',
  ldapsUrl: 'ldaps://127.0.0.1:636',
  baseDn: 'DC=example,DC=test',
  testsOu: 'OU=dirsync-tests,DC=example,DC=test',
  adminUpn: 'Administrator@EXAMPLE.TEST',
  adminPassword: 'Passw0rd!Passw0rd',
  caFile: path.join(RUN_DIR, 'samba/tls/cert.pem'),
  samLdb: path.join(RUN_DIR, 'samba/private/sam.ldb'),
} as const;
