/**
 * The dirsync licensing schema extensions (issue 5): one on User carrying the licences assigned
 * to a user, and one on Group carrying a licence's seat count. Declared by the SCIM target so
 * the connector can round-trip the "extension attribute" and "group membership" ways of
 * representing licences end to end.
 */
import SCIMMY from 'scimmy';

export const LICENSING_USER_SCHEMA = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:User';
export const LICENSING_GROUP_SCHEMA = 'urn:dirsync:params:scim:schemas:extension:licensing:2.0:Group';

/**
 * scimmy's SchemaDefinition constructor accepts only ids under `urn:ietf:params:scim:schemas:`,
 * although RFC 7643 §3 lets a schema be any URI (§10.2 reserves the IETF namespace for
 * registered schemas, so a private extension must live elsewhere). The definition is built under
 * a placeholder id and then given its real one; nothing else in scimmy checks the prefix.
 */
function definitionWithId(
  name: string,
  id: string,
  description: string,
  attributes: SCIMMY.Types.Attribute[],
): SCIMMY.Types.SchemaDefinition {
  const definition = new SCIMMY.Types.SchemaDefinition(name, 'urn:ietf:params:scim:schemas:placeholder', description, attributes);
  definition.id = id;
  return definition;
}

/** `licenses` has the shape of core `entitlements`: multi-valued complex with value/display/type/primary. */
function licensesAttribute(): SCIMMY.Types.Attribute {
  return new SCIMMY.Types.Attribute(
    'complex',
    'licenses',
    { multiValued: true, uniqueness: false, description: 'Licences assigned to the User.' },
    [
      new SCIMMY.Types.Attribute('string', 'value', { description: 'The licence identifier.' }),
      new SCIMMY.Types.Attribute('string', 'display', {
        description: 'A human-readable name, primarily used for display purposes.',
      }),
      new SCIMMY.Types.Attribute('string', 'type', { description: "A label indicating the licence's function." }),
      new SCIMMY.Types.Attribute('boolean', 'primary', {
        description: "A Boolean value indicating the 'primary' or preferred licence.",
      }),
    ],
  );
}

export const licensingUserDefinition = definitionWithId(
  'LicensingUser',
  LICENSING_USER_SCHEMA,
  'dirsync licensing extension for Users',
  [licensesAttribute()],
);

export const licensingGroupDefinition = definitionWithId(
  'LicensingGroup',
  LICENSING_GROUP_SCHEMA,
  'dirsync licensing extension for Groups',
  [new SCIMMY.Types.Attribute('integer', 'seats', { description: 'Number of seats of the licence the Group represents.' })],
);
