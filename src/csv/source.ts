import type { DirectoryUser } from '../model/directory-user';
import { parseCsv } from '../report/csv';
import { normalizeEmail } from '../rules/email';
import type { GroupMapping } from '../rules/mapping';
import { normalizeUsername, type UsernameOptions } from '../rules/username';
import { csvHeader } from './formats';

export interface CsvSourceOptions {
  readonly format: 'builtin' | 'saml';
  readonly idColumn?: string | undefined;
  readonly groupColumn?: string | undefined;
  readonly groups?:
    | readonly {
        readonly name: string;
        readonly role: string;
        readonly userType: string;
        readonly licenses?: readonly string[];
        readonly targetGroups?: readonly string[];
        readonly priority?: number | undefined;
      }[]
    | undefined;
  readonly username: UsernameOptions;
}

/** One bad row: its number as a spreadsheet shows it (the header is row 1) and every reason. */
export interface RowError {
  readonly row: number;
  readonly reasons: readonly string[];
}

export type CsvSourceResult =
  | {
      readonly ok: true;
      /** Rows in a mapped group (all rows when role and user type come from columns). */
      readonly users: DirectoryUser[];
      /** What buildDesiredState maps groups with: one entry per group name, or per role/user type pair. */
      readonly mapping: GroupMapping[];
      readonly rows: number;
      /** Rows whose group column names no mapped group: out of scope, like a directory user in no mapped group. */
      readonly outOfScope: number;
    }
  | { readonly ok: false; readonly errors: readonly RowError[]; readonly rows: number };

/** How the rules read a CSV row: the attribute names dirsync gives each column. */
export const CSV_ATTRIBUTES = {
  email: 'email',
  givenName: 'givenname',
  familyName: 'familyname',
  displayName: 'displayname',
} as const;
export const CSV_USERNAME_TEMPLATE = '{username}';

const key = (header: string): string => header.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * csvCell guards formula characters with a leading apostrophe; reading our own export must give
 * the value back, so the guard is taken off again.
 */
function unguard(cell: string): string {
  const trimmed = cell.trim();
  return /^'[=+\-@\t\r]/.test(trimmed) ? trimmed.slice(1) : trimmed;
}

function accessKey(role: string, userType: string): string {
  return `role=${role};userType=${userType}`;
}

/**
 * Reads a CSV export into directory users. Pure. Every row is checked before anything is
 * returned, and any bad row fails the whole file: skipping rows would make their people look
 * absent, and absence deactivates.
 */
export function parseCsvSource(text: string, options: CsvSourceOptions): CsvSourceResult {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = (records[0] ?? []).map(key);
  const errors: RowError[] = [];
  const required = csvHeader(options.format, false).filter((h) => {
    if (h === 'Password') return false; // optional: dirsync only checks it is empty
    if (options.groupColumn && (h === 'Role' || h === 'User Type')) return false;
    return true;
  });
  if (options.idColumn) required.push(options.idColumn);
  if (options.groupColumn) required.push(options.groupColumn);
  const missing = required.filter((h) => !header.includes(key(h)));
  if (missing.length > 0) {
    return {
      ok: false,
      rows: Math.max(0, records.length - 1),
      errors: [{ row: 1, reasons: [`missing column(s): ${missing.join(', ')}`] }],
    };
  }
  const col = (name: string): number => header.indexOf(key(name));
  const groupsByName = new Map((options.groups ?? []).map((g) => [g.name.toLowerCase(), g]));
  const users: DirectoryUser[] = [];
  const seen = { id: new Map<string, number>(), email: new Map<string, number>(), userName: new Map<string, number>() };
  const pairs = new Map<string, GroupMapping>();
  let rows = 0;
  let outOfScope = 0;

  records.slice(1).forEach((cells, index) => {
    const row = index + 2;
    if (cells.every((c) => c.trim() === '')) return; // a blank line, often at the end of a file
    rows += 1;
    const reasons: string[] = [];
    if (cells.length !== header.length) reasons.push(`has ${cells.length} cells, the header has ${header.length}`);
    const get = (name: string): string => {
      const i = col(name);
      return i < 0 ? '' : unguard(cells[i] ?? '');
    };
    const email = normalizeEmail(get('Email'));
    if (!email.ok) reasons.push(email.detail);
    const rawUserName = get('Username');
    const userName = rawUserName ? normalizeUsername(rawUserName, options.username) : undefined;
    if (!userName) reasons.push('Username is empty');
    else if (!userName.ok) reasons.push(`Username "${rawUserName}" becomes "${userName.userName}", outside 6..128 characters`);
    if (get('Password') !== '') reasons.push('Password must be empty: dirsync never reads or sends passwords');
    const identity = get('Identity Type');
    if (identity && !/^(saml|oidc)$/i.test(identity)) reasons.push(`Identity Type "${identity}" is not SAML or OIDC`);

    let groups: string[] = [];
    if (options.groupColumn) {
      groups = get(options.groupColumn)
        .split(';')
        .map((g) => groupsByName.get(g.trim().toLowerCase())?.name)
        .filter((g): g is string => g !== undefined);
    } else {
      const role = get('Role');
      const userType = get('User Type');
      if (!role) reasons.push('Role is empty');
      if (!userType) reasons.push('User Type is empty');
      if (role && userType) {
        const k = accessKey(role, userType);
        pairs.set(k, { dn: k, role, userType });
        groups = [k];
      }
    }
    const id = options.idColumn ? get(options.idColumn) : email.ok ? email.email.toLowerCase() : '';
    if (options.idColumn && !id) reasons.push(`${options.idColumn} is empty`);
    const duplicate = (map: Map<string, number>, value: string, what: string): void => {
      if (!value) return;
      const other = map.get(value);
      if (other !== undefined) reasons.push(`same ${what} as row ${other}`);
      else map.set(value, row);
    };
    duplicate(seen.id, id, options.idColumn ?? 'Email');
    if (email.ok && options.idColumn) duplicate(seen.email, email.email.toLowerCase(), 'Email');
    if (userName?.ok) duplicate(seen.userName, userName.userName.toLowerCase(), 'Username');

    if (reasons.length > 0) {
      errors.push({ row, reasons });
      return;
    }
    if (groups.length === 0) {
      outOfScope += 1;
      return;
    }
    users.push({
      dn: `csv:${id}`,
      externalId: id,
      attributes: {
        username: [rawUserName],
        email: [get('Email')],
        givenname: [get('First Name')],
        familyname: [get('Last Name')],
      },
      groups,
      disabled: false,
    });
  });

  if (errors.length > 0) return { ok: false, errors, rows };
  const mapping = options.groups
    ? options.groups.map((g) => ({
        dn: g.name,
        role: g.role,
        userType: g.userType,
        licenses: g.licenses,
        targetGroups: g.targetGroups,
        priority: g.priority,
      }))
    : [...pairs.values()].sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
  users.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
  return { ok: true, users, mapping, rows, outOfScope };
}

/** "row 4: no email address; Role is empty", one line per bad row. */
export function describeRowErrors(errors: readonly RowError[]): string[] {
  return errors.map((e) => `row ${e.row}: ${e.reasons.join('; ')}`);
}
