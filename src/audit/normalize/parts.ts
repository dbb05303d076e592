// One pass over an event's records, sorting them by role. The event's "primary" record is the
// first one that is not a syscall's auxiliary record: it names events like LOGIN (written
// during cron's write(2)) or CONFIG_CHANGE (during auditctl's sendto(2)).

import type { AuditRecord } from '../record.js';
import { auxiliaryTypes } from './actions.js';

const NONE: readonly AuditRecord[] = [];

function add(list: readonly AuditRecord[], r: AuditRecord): readonly AuditRecord[] {
  if (list === NONE) return [r];
  (list as AuditRecord[]).push(r);
  return list;
}

export class EventParts {
  syscall: AuditRecord | undefined;
  cwd: AuditRecord | undefined;
  proctitle: AuditRecord | undefined;
  primary: AuditRecord | undefined;
  // most events have no EXECVE or PATH record, and a user-space message only itself: the lists
  // start as the one shared empty list and are made when a record needs them
  execve: readonly AuditRecord[] = NONE;
  paths: readonly AuditRecord[] = NONE;
  others: readonly AuditRecord[] = NONE;
  /** the event's record types, in order of first appearance (audit.record_types) */
  readonly types: string[];

  constructor(readonly records: readonly AuditRecord[]) {
    let types: string[] | undefined;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const t = r.type;
      if (t === 'EOE') continue; // only ends the event; says nothing about it
      if (types === undefined) types = [t];
      else if (!types.includes(t)) types.push(t);
      switch (t) {
        case 'SYSCALL':
          this.syscall ??= r;
          break;
        case 'EXECVE':
          this.execve = add(this.execve, r);
          break;
        case 'PATH':
          this.paths = add(this.paths, r);
          break;
        case 'CWD':
          this.cwd ??= r;
          break;
        case 'PROCTITLE':
          this.proctitle ??= r;
          break;
        default:
          this.others = add(this.others, r);
          if (this.primary === undefined && !auxiliaryTypes.has(t)) this.primary = r;
      }
    }
    this.types = types ?? [];
  }

  /** First record of a type among the ones not sorted into a slot above. */
  byType(type: string): AuditRecord | undefined {
    for (let i = 0; i < this.others.length; i++) if (this.others[i].type === type) return this.others[i];
    return undefined;
  }
}
