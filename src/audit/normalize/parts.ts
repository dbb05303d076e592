// One pass over an event's records, sorting them by role. The event's "primary" record is the
// first one that is not a syscall's auxiliary record: it names events like LOGIN (written
// during cron's write(2)) or CONFIG_CHANGE (during auditctl's sendto(2)).

import type { AuditRecord } from '../record.js';
import { auxiliaryTypes } from './actions.js';

export class EventParts {
  syscall: AuditRecord | undefined;
  cwd: AuditRecord | undefined;
  proctitle: AuditRecord | undefined;
  primary: AuditRecord | undefined;
  readonly execve: AuditRecord[] = [];
  readonly paths: AuditRecord[] = [];
  readonly others: AuditRecord[] = [];
  readonly types: string[] = [];

  constructor(readonly records: readonly AuditRecord[]) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const t = r.type;
      if (t === 'EOE') continue; // only ends the event; says nothing about it
      if (!this.types.includes(t)) this.types.push(t);
      switch (t) {
        case 'SYSCALL':
          this.syscall ??= r;
          break;
        case 'EXECVE':
          this.execve.push(r);
          break;
        case 'PATH':
          this.paths.push(r);
          break;
        case 'CWD':
          this.cwd ??= r;
          break;
        case 'PROCTITLE':
          this.proctitle ??= r;
          break;
        default:
          this.others.push(r);
          if (this.primary === undefined && !auxiliaryTypes.has(t)) this.primary = r;
      }
    }
  }

  /** First record of a type among the ones not sorted into a slot above. */
  byType(type: string): AuditRecord | undefined {
    for (let i = 0; i < this.others.length; i++) if (this.others[i].type === type) return this.others[i];
    return undefined;
  }
}
