// What lost audit events become: a record, so the loss is visible downstream, not only in a
// counter. `kernel`: the kernel's own lost counter grew (backlog overflow, rate limit);
// `sequence`: serials that never arrived.
import { isoTime, type NormalizedRecord } from '../record.js';

export function lostEventsRecord(count: number, source: 'kernel' | 'sequence', timeMs: number, node?: string): NormalizedRecord {
  const message =
    source === 'kernel'
      ? `kernel audit lost ${count} event${count === 1 ? '' : 's'} (backlog overflow or rate limit)`
      : `${count} audit event${count === 1 ? '' : 's'} never arrived (serial gap)`;
  const rec: NormalizedRecord = {
    '@timestamp': isoTime(Number.isFinite(timeMs) ? timeMs : Date.now()),
    event: { module: 'auditd', kind: 'event', category: ['host'], type: ['info'], action: 'lost-events', outcome: 'failure' },
    message,
    audit: { lost: count, data: { source } },
  };
  if (node) rec.audit!.node = node;
  return rec;
}
