/**
 * The smallest valid config, as YAML text, for tests of commands that read a config file: an AD
 * over LDAPS, one mapped group, an https target, secrets as ${env:} references.
 */
export function minimalConfigText(statePath: string): string {
  return `directory:
  url: ldaps://dc1.example.org:636
  bindDn: cn=svc,dc=example,dc=org
  bindPassword: \${env:DIRSYNC_BIND_PASSWORD}
  users: { baseDns: [ "ou=people,dc=example,dc=org" ] }
  groups: [ { dn: "cn=staff,dc=example,dc=org", role: User, userType: Viewer } ]
target:
  url: https://api.example.com/scim/v2
  token: \${env:DIRSYNC_SCIM_TOKEN}
state: { path: ${statePath} }
`;
}
