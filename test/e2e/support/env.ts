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
