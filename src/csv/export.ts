import { csvLine } from '../report/csv';
import type { SnapshotUser } from '../model/user-state';
import { csvHeader, type CsvFormat, type IdentityType } from './formats';

export interface ExportOptions {
  readonly format: CsvFormat;
  /** SAML/OIDC format: the Identity Type column, only when both are configured in the product. */
  readonly identityType?: IdentityType;
  /** Inactive accounts too. Off by default: a CSV has no status, so importing one would reactivate it. */
  readonly includeInactive?: boolean;
}

function cellsOf(user: SnapshotUser, options: ExportOptions): string[] {
  switch (options.format) {
    case 'builtin':
      // Password stays empty: dirsync never reads, stores or writes a password.
      return [user.email, user.role, user.userType, user.givenName, user.familyName, user.userName, ''];
    case 'adldap':
      return [user.userName, user.role, user.userType];
    case 'saml':
      return [
        user.email,
        user.role,
        user.userType,
        user.givenName,
        user.familyName,
        user.userName,
        ...(options.identityType ? [options.identityType] : []),
      ];
  }
}

/** The managed accounts (the snapshot: what the target confirmed) in one of the product's formats, sorted by username. */
export function exportCsv(users: readonly SnapshotUser[], options: ExportOptions): string {
  const rows = users
    .filter((u) => u.active || options.includeInactive === true)
    .sort((a, b) => (a.userName < b.userName ? -1 : a.userName > b.userName ? 1 : 0))
    .map((u) => csvLine(cellsOf(u, options)));
  // CRLF: what spreadsheet programs and the product's own templates use.
  return [csvLine(csvHeader(options.format, options.identityType !== undefined)), ...rows].map((l) => `${l}\r\n`).join('');
}
