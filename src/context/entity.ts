// process.entity_id: one value for one process, whichever source reports it, and a new one when
// the pid is reused. Like Auditbeat's, a hash of what makes a process unique on a host: the host,
// the pid and the process's start (ticks since boot, from /proc). A process known only from
// events (another host's log, or one gone before /proc was read) is seeded with the time it was
// first seen instead: unique within what auditflow saw, never confusable with a live id.
import { createHash } from 'node:crypto';

export function entityId(host: string, pid: number, start: number | string): string {
  return createHash('sha256').update(`${host}:${pid}:${start}`).digest('base64url').slice(0, 16);
}
