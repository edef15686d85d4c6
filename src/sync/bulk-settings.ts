import type { TargetConfig } from '../config/schema';
import type { BulkSupport } from '../target/bulk-types';
import type { BulkLimits } from './bulk-context';

/**
 * Whether this run uses SCIM Bulk, and how large its requests may be: `target.bulk: auto` and a
 * target that advertises bulk with both limits (RFC 7644 §5 requires them; without them we could
 * not stay under them). At most target.bulkMaxOperations operations, never above the target's.
 */
export function bulkLimitsFor(
  target: Pick<TargetConfig, 'bulk' | 'bulkMaxOperations'>,
  advertised: BulkSupport | undefined,
): { readonly limits: BulkLimits } | { readonly why: string } {
  if (target.bulk === 'off') return { why: 'target.bulk is off' };
  if (!advertised) return { why: 'the target does not advertise bulk' };
  const { maxOperations, maxPayloadSize } = advertised;
  if (maxOperations === undefined || maxPayloadSize === undefined) {
    return { why: 'the target advertises bulk without a positive maxOperations and maxPayloadSize' };
  }
  return { limits: { maxOperations: Math.min(target.bulkMaxOperations, maxOperations), maxPayloadBytes: maxPayloadSize } };
}
