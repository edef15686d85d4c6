/** The CSV formats admins already use in the product's console (DOMAIN.md). */
export type CsvFormat = 'builtin' | 'adldap' | 'saml';

export const CSV_FORMATS: readonly CsvFormat[] = ['builtin', 'adldap', 'saml'];

export type IdentityType = 'SAML' | 'OIDC';

/**
 * Column headers, in the product's order. Password is in the built-in format only because the
 * product's template has it: dirsync writes it empty and refuses a file that fills it.
 */
export function csvHeader(format: CsvFormat, identityType: boolean): string[] {
  switch (format) {
    case 'builtin':
      return ['Email', 'Role', 'User Type', 'First Name', 'Last Name', 'Username', 'Password'];
    case 'adldap':
      return ['Username', 'Role', 'User Type'];
    case 'saml':
      return ['Email', 'Role', 'User Type', 'First Name', 'Last Name', 'Username', ...(identityType ? ['Identity Type'] : [])];
  }
}
