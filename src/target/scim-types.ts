import { z } from 'zod';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Permissive: a server may add anything; we need only what we read back. */
export const ScimUser = z.looseObject({
  id: z.string().min(1),
  userName: z.string().optional(),
  externalId: z.string().optional(),
  active: z.boolean().optional(),
  emails: z.array(z.looseObject({ value: z.string().optional(), primary: z.boolean().optional() })).optional(),
  meta: z.looseObject({ version: z.string().optional() }).optional(),
});
export type ScimUser = z.infer<typeof ScimUser>;

/** A SCIM Group: only what we read back (members may be left out by the server or the request). */
export const ScimGroup = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().optional(),
  members: z.array(z.looseObject({ value: z.string() })).optional(),
});
export type ScimGroup = z.infer<typeof ScimGroup>;

/** A multi-valued complex attribute (entitlements, roles, an extension's list): the values it holds. */
export function valuesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const values: string[] = [];
  for (const item of list) {
    if (item !== null && typeof item === 'object' && 'value' in item && typeof item.value === 'string') values.push(item.value);
  }
  return values;
}

/** The address the account is known by: the one marked primary, else the only one. */
export function primaryEmail(user: ScimUser): string | undefined {
  const emails = user.emails ?? [];
  const primary = emails.find((e) => e.primary === true) ?? (emails.length === 1 ? emails[0] : undefined);
  return primary?.value;
}

/** Only what decides our behaviour; everything else a server advertises is ignored. */
export const ScimServiceProviderConfig = z.looseObject({
  etag: z.looseObject({ supported: z.boolean().optional() }).optional(),
});

export const ScimListResponse = z.looseObject({
  totalResults: z.number().int().nonnegative(),
  Resources: z.array(z.unknown()).optional(),
});

export const ScimErrorBody = z.looseObject({
  detail: z.string().optional(),
  scimType: z.string().optional(),
  status: z.union([z.string(), z.number()]).optional(),
});

export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path?: string;
  readonly value?: unknown;
}
