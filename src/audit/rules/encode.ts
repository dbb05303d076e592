// struct audit_rule_data ↔ bytes (little-endian u32s, then buf with the string values back to
// back, no terminators): flags, action, field_count, mask[64], fields[64], values[64],
// fieldflags[64], buflen, buf.

import { AUDIT_BITMASK_SIZE, AUDIT_FILTER_PREPEND, AUDIT_MAX_FIELDS, AUDIT_OPERATORS, isStringField } from './constants.js';
import type { AuditRule, RuleField } from './rule.js';

const HEADER = 3 * 4;
const MASK_OFF = HEADER;
const FIELDS_OFF = MASK_OFF + AUDIT_BITMASK_SIZE * 4;
const VALUES_OFF = FIELDS_OFF + AUDIT_MAX_FIELDS * 4;
const FLAGS_OFF = VALUES_OFF + AUDIT_MAX_FIELDS * 4;
const BUFLEN_OFF = FLAGS_OFF + AUDIT_MAX_FIELDS * 4;
export const RULE_DATA_SIZE = BUFLEN_OFF + 4;

export function encodeRule(rule: AuditRule): Buffer {
  const strings: Buffer[] = [];
  let buflen = 0;
  for (const f of rule.fields) {
    if (f.str !== undefined) {
      const b = Buffer.from(f.str, 'utf8');
      strings.push(b);
      buflen += b.length;
    }
  }
  const out = Buffer.alloc(RULE_DATA_SIZE + buflen);
  out.writeUInt32LE(rule.flags >>> 0, 0);
  out.writeUInt32LE(rule.action >>> 0, 4);
  out.writeUInt32LE(rule.fields.length, 8);
  for (let i = 0; i < AUDIT_BITMASK_SIZE; i++) out.writeUInt32LE(rule.mask[i] >>> 0, MASK_OFF + i * 4);
  let si = 0;
  rule.fields.forEach((f, i) => {
    out.writeUInt32LE(f.field >>> 0, FIELDS_OFF + i * 4);
    const value = f.str !== undefined ? strings[si++].length : f.value;
    out.writeUInt32LE(value >>> 0, VALUES_OFF + i * 4);
    out.writeUInt32LE(f.op >>> 0, FLAGS_OFF + i * 4);
  });
  out.writeUInt32LE(buflen, BUFLEN_OFF);
  let off = RULE_DATA_SIZE;
  for (const b of strings) {
    b.copy(out, off);
    off += b.length;
  }
  return out;
}

/** Bytes the kernel lists (AUDIT_LIST_RULES) back into a rule. Throws on a truncated struct. */
export function decodeRule(buf: Buffer): AuditRule {
  if (buf.length < RULE_DATA_SIZE) throw new RangeError(`audit_rule_data is ${buf.length} bytes, expected at least ${RULE_DATA_SIZE}`);
  const count = buf.readUInt32LE(8);
  if (count > AUDIT_MAX_FIELDS) throw new RangeError(`audit_rule_data field_count ${count} > ${AUDIT_MAX_FIELDS}`);
  const mask = new Uint32Array(AUDIT_BITMASK_SIZE);
  for (let i = 0; i < AUDIT_BITMASK_SIZE; i++) mask[i] = buf.readUInt32LE(MASK_OFF + i * 4);
  const buflen = buf.readUInt32LE(BUFLEN_OFF);
  const fields: RuleField[] = [];
  let off = RULE_DATA_SIZE;
  const end = Math.min(buf.length, RULE_DATA_SIZE + buflen);
  for (let i = 0; i < count; i++) {
    // older kernels/tools may put the operator in fields[] as well; keep the field number clean
    const raw = buf.readUInt32LE(FIELDS_OFF + i * 4);
    const field = (raw & ~AUDIT_OPERATORS) >>> 0;
    const value = buf.readUInt32LE(VALUES_OFF + i * 4);
    const op = (buf.readUInt32LE(FLAGS_OFF + i * 4) & AUDIT_OPERATORS) >>> 0;
    if (isStringField(field)) {
      const s = buf.toString('utf8', off, Math.min(off + value, end));
      off += value;
      fields.push({ field, op, value, str: s });
    } else {
      fields.push({ field, op, value });
    }
  }
  return { flags: buf.readUInt32LE(0), action: buf.readUInt32LE(4), mask, fields };
}

/**
 * A rule's bytes as the kernel lists them once it holds it: the kernel drops the prepend flag
 * (-A), so this is what to compare with AUDIT_LIST_RULES. Changes `bytes` in place.
 */
export function storedForm(bytes: Buffer): Buffer {
  bytes.writeUInt32LE(bytes.readUInt32LE(0) & ~AUDIT_FILTER_PREPEND, 0);
  return bytes;
}
