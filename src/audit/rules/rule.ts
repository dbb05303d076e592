// A rule as struct audit_rule_data holds it, before it becomes bytes.

import { AUDIT_BITMASK_SIZE } from './constants.js';

export interface RuleField {
  field: number;
  /** operator bits (AUDIT_EQUAL...) as they go in fieldflags[] */
  op: number;
  /** numeric value (u32); for string fields, ignored: the string's byte length is sent */
  value: number;
  /** string fields (path, dir, key, exe, the subj_ and obj_ labels) */
  str?: string;
}

export interface AuditRule {
  /** filter list, plus AUDIT_FILTER_PREPEND for -A */
  flags: number;
  action: number;
  /** syscall bitmap, AUDIT_BITMASK_SIZE words */
  mask: Uint32Array;
  fields: RuleField[];
}

export function emptyRule(): AuditRule {
  return { flags: 0, action: 0, mask: new Uint32Array(AUDIT_BITMASK_SIZE), fields: [] };
}
