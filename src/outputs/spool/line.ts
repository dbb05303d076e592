// One spooled record per line. A record is its JSON, unless it carries the audit records it was
// made of (kRaw: what the auditlog output writes): then the line is 0x1E followed by
// `[record, raw]`, raw being the original line's text (snoopy, bash) or the audit records as
// [type, node, time, serial, body]. Without this, an auditlog output behind a spool that had to
// read its backlog from disk would have nothing to write for those events.

import { auditRecordOf } from '../../audit/record.js';
import { kRaw, type NormalizedRecord } from '../../record.js';

const RS = '\x1e';

type RawTuple = [type: string, node: string | null, time: number, serial: number, body: string];

export function toSpoolLine(rec: NormalizedRecord): string {
  const raw = rec[kRaw];
  if (raw === undefined) return JSON.stringify(rec) + '\n';
  const packed = typeof raw === 'string' ? raw : raw.map((r): RawTuple => [r.type, r.node ?? null, r.time, r.serial, r.body]);
  return RS + JSON.stringify([rec, packed]) + '\n';
}

/** The record of one spool line (without its newline); throws on a line that is not one. */
export function fromSpoolLine(line: string): NormalizedRecord {
  if (line.charCodeAt(0) !== 0x1e) return JSON.parse(line) as NormalizedRecord;
  const [rec, packed] = JSON.parse(line.slice(1)) as [NormalizedRecord, string | RawTuple[]];
  rec[kRaw] =
    typeof packed === 'string' ? packed : packed.map(([type, node, time, serial, body]) => auditRecordOf(type, node ?? undefined, time, serial, body));
  return rec;
}
