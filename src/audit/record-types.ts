// Facts about audit record types that decide how records group into events, in one place:
// the reassembler, the audit inputs and the netlink layer all ask these questions and must
// agree on the answers. Names of the numbers live in tables/record-types.ts (generated).

export { recordTypeNames } from './tables/record-types.js';

/** Old user-space message (before the 1100 range), one record per event. */
export const AUDIT_USER = 1005;
export const AUDIT_LOGIN = 1006;
export const AUDIT_SYSCALL = 1300;
/** End of a multi-record kernel event; only the netlink stream carries it. */
export const AUDIT_EOE = 1320;
/** The last record the kernel writes for a syscall event (only EOE follows). */
export const AUDIT_PROCTITLE = 1327;
/** io_uring's counterpart of SYSCALL. */
export const AUDIT_URINGOP = 1336;

/**
 * A message sent by a user-space program (PAM, login, auditctl...): the 1100-1199 and
 * 2100-2999 ranges plus the old AUDIT_USER. Each is a whole event in one record, and the
 * kernel passes its text through unescaped (so it need not be valid UTF-8).
 */
export function isUserMessage(typeId: number): boolean {
  return typeId === AUDIT_USER || (typeId >= 1100 && typeId <= 1199) || (typeId >= 2100 && typeId <= 2999);
}

/**
 * auditd's own records (1200-1299: DAEMON_START, DAEMON_ROTATE...), written to audit.log by
 * auditd itself and numbered by auditd's own serial counter, not the kernel's.
 */
export function isDaemonRecord(typeId: number): boolean {
  return typeId >= 1200 && typeId <= 1299;
}
