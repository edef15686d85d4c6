import type { ReadEntry } from './client';
import { escapeFilterValue } from './dn';

export type VendorKind = 'activedirectory' | 'openldap' | 'ldap';

/** supportedCapabilities value that every Active Directory (and Samba AD) DC announces. */
const AD_CAPABILITY = '1.2.840.113556.1.4.800';
/** LDAP_MATCHING_RULE_IN_CHAIN: server-side transitive group membership (AD only). */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';
const UAC_ACCOUNTDISABLE = 0x2;

export interface RootDseInfo {
  readonly kind: VendorKind;
  readonly vendorName?: string;
  readonly vendorVersion?: string;
  readonly defaultNamingContext?: string;
  readonly dnsHostName?: string;
  readonly highestCommittedUsn?: string;
  /** AD: the DN of the DC's NTDS Settings object; identifies the DC whose uSNs we count. */
  readonly dsServiceName?: string;
}

export const ROOT_DSE_ATTRIBUTES = [
  'objectClass',
  'supportedCapabilities',
  'vendorName',
  'vendorVersion',
  'defaultNamingContext',
  'dnsHostName',
  'highestCommittedUSN',
  'dsServiceName',
] as const;

export function classifyRootDse(entry: ReadEntry | undefined): RootDseInfo {
  const a = entry?.attributes ?? {};
  const first = (name: string): string | undefined => a[name.toLowerCase()]?.[0];
  const caps = a['supportedcapabilities'] ?? [];
  const classes = (a['objectclass'] ?? []).map((c) => c.toLowerCase());
  const kind: VendorKind = caps.includes(AD_CAPABILITY)
    ? 'activedirectory'
    : classes.includes('openldaprootdse')
      ? 'openldap'
      : 'ldap';
  return {
    kind,
    vendorName: first('vendorName'),
    vendorVersion: first('vendorVersion'),
    defaultNamingContext: first('defaultNamingContext'),
    dnsHostName: first('dnsHostName'),
    highestCommittedUsn: first('highestCommittedUSN'),
    dsServiceName: first('dsServiceName'),
  };
}

/** What differs between directory products; everything else is plain LDAP. */
export interface Vendor {
  readonly kind: VendorKind;
  readonly defaultIdAttribute: string;
  readonly defaultUserFilter: string;
  readonly defaultUsernameTemplate: string;
  /** AD resolves nesting server-side; plain LDAP groups are not nested by default (DOMAIN.md). */
  readonly defaultNested: boolean;
  readonly inChain: boolean;
  /** AD caps multi-valued attributes per answer and expects `member;range=` requests. */
  readonly rangeRetrieval: boolean;
  /** Attributes read as bytes. */
  readonly binaryAttributes: readonly string[];
  /** Attributes needed to tell a disabled account. */
  readonly disabledAttributes: (lockAttribute?: string) => readonly string[];
  readonly isDisabled: (entry: ReadEntry, lockAttribute?: string) => boolean;
  readonly decodeId: (entry: ReadEntry, idAttribute: string) => string;
  /** The attribute that moves forward when an entry changes (for delta syncs). */
  readonly changeAttribute: 'uSNChanged' | 'entryCSN' | 'modifyTimestamp';
  /** Filter for entries changed at or after a mark; marks compare as the attribute does. */
  readonly changedSince: (mark: string) => string;
  /** Whether `value` (the change attribute of an entry) is at or after `mark`. */
  readonly changedAtOrAfter: (value: string, mark: string) => boolean;
}

/**
 * objectGUID bytes -> the canonical string form AD tools print: the first three groups are
 * little-endian, the last two big-endian.
 */
export function formatGuid(bytes: Buffer): string {
  if (bytes.length !== 16) return '';
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

function textId(entry: ReadEntry, idAttribute: string): string {
  const key = idAttribute.toLowerCase();
  return (entry.attributes[key]?.[0] ?? '').trim();
}

/** A lock attribute marks the account locked when present, unless its value says "false". */
function lockedByAttribute(entry: ReadEntry, lockAttribute?: string): boolean {
  if (!lockAttribute) return false;
  const values = entry.attributes[lockAttribute.toLowerCase()] ?? [];
  return values.some((v) => !['false', '0', ''].includes(v.trim().toLowerCase()));
}

const activeDirectory: Vendor = {
  kind: 'activedirectory',
  defaultIdAttribute: 'objectGUID',
  defaultUserFilter: '(&(objectCategory=person)(objectClass=user))',
  defaultUsernameTemplate: '{sAMAccountName}',
  defaultNested: true,
  inChain: true,
  rangeRetrieval: true,
  binaryAttributes: ['objectGUID'],
  disabledAttributes: () => ['userAccountControl'],
  isDisabled: (entry) => {
    const uac = Number.parseInt(entry.attributes['useraccountcontrol']?.[0] ?? '', 10);
    return Number.isFinite(uac) && (uac & UAC_ACCOUNTDISABLE) !== 0;
  },
  decodeId: (entry, idAttribute) => {
    const key = idAttribute.toLowerCase();
    const bytes = entry.binary[key]?.[0];
    return bytes ? formatGuid(bytes) : textId(entry, idAttribute);
  },
  changeAttribute: 'uSNChanged',
  // The mark is the highestCommittedUSN seen before the last read: what changed after is above it.
  changedSince: (mark) => `(uSNChanged>=${BigInt(mark) + 1n})`,
  changedAtOrAfter: (value, mark) => /^\d+$/.test(value) && BigInt(value) > BigInt(mark),
};

type ChangeTracking = Pick<Vendor, 'changeAttribute' | 'changedSince' | 'changedAtOrAfter'>;

/**
 * OpenLDAP's entryCSN has microsecond resolution and an ordering rule, so "strictly after the
 * newest change seen" can be asked exactly: a change made during the last read is never missed
 * and nothing already read is read again.
 */
const entryCsnTracking: ChangeTracking = {
  changeAttribute: 'entryCSN',
  changedSince: (mark) => `(&(entryCSN>=${escapeFilterValue(mark)})(!(entryCSN=${escapeFilterValue(mark)})))`,
  changedAtOrAfter: (value, mark) => value > mark,
};

/** Other servers: generalized time has one-second resolution, so >= re-reads the last second (harmless). */
const modifyTimestampTracking: ChangeTracking = {
  changeAttribute: 'modifyTimestamp',
  changedSince: (mark) => `(modifyTimestamp>=${escapeFilterValue(mark)})`,
  changedAtOrAfter: (value, mark) => value >= mark,
};

const plainLdap = (kind: 'openldap' | 'ldap'): Vendor => ({
  kind,
  defaultIdAttribute: 'entryUUID',
  defaultUserFilter: '(objectClass=inetOrgPerson)',
  defaultUsernameTemplate: '{uid}',
  defaultNested: false,
  inChain: false,
  rangeRetrieval: false,
  binaryAttributes: [],
  disabledAttributes: (lock) => (lock ? [lock] : []),
  isDisabled: lockedByAttribute,
  decodeId: textId,
  ...(kind === 'openldap' ? entryCsnTracking : modifyTimestampTracking),
});

export function vendorFor(kind: VendorKind): Vendor {
  return kind === 'activedirectory' ? activeDirectory : plainLdap(kind);
}
