// One audit record: `type=SYSCALL msg=audit(1795395184.672:94972): arch=c000003e syscall=44 ...`.
// This is the hot path of every audit input, so it is a single left-to-right scan per line:
// no regex, no split, field values kept as the raw text slices they are and decoded on demand.

export interface AuditRecord {
  /** Record type name ("SYSCALL"); "UNKNOWN[1334]" where the number has no name. */
  type: string;
  /** Numeric record type where known (netlink, or the name's table entry), else 0. */
  typeId: number;
  /** `node=` prefix, when the log has one. */
  node: string | undefined;
  /** Event time in epoch milliseconds, from audit(SEC.MS:SERIAL). */
  time: number;
  serial: number;
  /**
   * Field values exactly as written after `=` (quotes kept, hex left as hex), by field name.
   * Later duplicates of a name do not overwrite the first (the kernel never repeats one; user
   * messages in `msg='...'` are unpacked into the same map). Use decode() for encoded fields.
   */
  fields: Record<string, string>;
  /** Interpreted values of the ENRICHED format (after 0x1D), by field name (UID="root"). */
  enriched: Record<string, string> | undefined;
  /** The record text after `): ` (the body), as received. */
  body: string;
}
