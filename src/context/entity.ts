// process.entity_id: one value for one process, whichever source reports it, and a new one when
// the pid is reused. Like Auditbeat's, a hash of what makes a process unique on a host: the host,
// the pid and the process's start (ticks since boot, from /proc). A process known only from
// events (another host's log, or one gone before /proc was read) is seeded with the time it was
// first seen instead: unique within what auditflow saw, never confusable with a live id.
import { hash } from 'node:crypto';

/** 16 base64url characters: the first 12 bytes of the digest, made as a string of its own (not a slice of a longer one). */
export function entityId(host: string, pid: number, start: number | string): string {
  return hash('sha256', `${host}:${pid}:${start}`, 'buffer').toString('base64url', 0, 12);
}
