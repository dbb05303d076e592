// Audit lines in, complete events (their records, and the lines they were read from) out:
// AuditStream's parser → reassembler half, for a caller that normalizes somewhere else (another
// thread, which gets the lines: one string crosses threads far cheaper than parsed records).
// Lines that are not records are counted and named exactly as AuditStream names them.

import { parseLine, isFailure, type AuditRecord } from './record.js';
import { Reassembler } from './reassembler.js';

export interface AuditEventsOptions {
  /** `lines[i]` is the text `records[i]` was parsed from */
  onEvent(records: AuditRecord[], lines: string[]): void;
  /** A line that is not an audit record; `where` is "file:line". */
  onError(where: string, message: string): void;
  maxInFlight?: number;
  timeoutMs?: number;
}

export class AuditEvents {
  parseErrors = 0;
  records = 0;
  private readonly reassembler: Reassembler;
  private sinceMaintain = 0;
  private readonly lineOf = new WeakMap<AuditRecord, string>();

  constructor(private readonly opts: AuditEventsOptions) {
    this.reassembler = new Reassembler({
      maxInFlight: opts.maxInFlight,
      timeoutMs: opts.timeoutMs,
      onEvent: (records) =>
        opts.onEvent(
          records,
          records.map((r) => this.lineOf.get(r)!),
        ),
    });
  }

  line(text: string, where: string): void {
    if (text.length === 0) return;
    const r = parseLine(text);
    if (isFailure(r)) {
      this.parseErrors++;
      this.opts.onError(where, `not an audit record: ${r.error} (at column ${r.offset + 1})`);
      return;
    }
    this.records++;
    this.lineOf.set(r, text);
    this.reassembler.push(r, -1);
    // as AuditStream: expiring by audit time every 256 records keeps memory flat in bursts
    if (++this.sinceMaintain >= 256) {
      this.sinceMaintain = 0;
      this.reassembler.maintain();
    }
  }

  /** End of input: emit everything still in flight. */
  flush(): void {
    this.reassembler.flush();
  }
}
