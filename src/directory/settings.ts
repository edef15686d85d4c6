import type { DirectoryConfig } from '../config/schema';
import { vendorFor, type Vendor, type VendorKind } from './vendor';

/** Everything the read needs, with the vendor's defaults filled in where the config is silent. */
export interface DirectorySettings {
  readonly vendor: Vendor;
  readonly baseDns: readonly string[];
  readonly userFilter: string;
  readonly idAttribute: string;
  readonly usernameTemplate: string;
  readonly attributes: DirectoryConfig['attributes'] & { readonly username?: string };
  readonly lockAttribute?: string;
  readonly memberAttribute: string;
  readonly maxNestingDepth: number;
  readonly pageSize: number;
  readonly groups: readonly { readonly dn: string; readonly nested: boolean }[];
}

export function resolveSettings(config: DirectoryConfig, kind: VendorKind): DirectorySettings {
  const vendor = vendorFor(kind);
  const nestedDefault = config.nestedGroups ?? vendor.defaultNested;
  return {
    vendor,
    baseDns: config.users.baseDns,
    userFilter: config.users.filter ?? vendor.defaultUserFilter,
    idAttribute: config.users.idAttribute ?? vendor.defaultIdAttribute,
    usernameTemplate: config.attributes.username ?? vendor.defaultUsernameTemplate,
    attributes: config.attributes,
    lockAttribute: config.lockAttribute,
    memberAttribute: config.memberAttribute,
    maxNestingDepth: config.maxNestingDepth,
    pageSize: config.pageSize,
    groups: config.groups.map((g) => ({ dn: g.dn, nested: g.nested ?? nestedDefault })),
  };
}
