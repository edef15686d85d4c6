import type { FieldChange } from '../model/plan';
import { MANAGED_FIELDS, type ManagedAttributes } from '../model/user-state';

/** Field-by-field differences, `active` excluded: it has operations of its own. */
export function diffAttributes(from: ManagedAttributes, to: ManagedAttributes): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of MANAGED_FIELDS) {
    if (field === 'active') continue;
    if (from[field] !== to[field]) changes.push({ field, from: from[field], to: to[field] });
  }
  return changes;
}
