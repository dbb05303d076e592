// Audit lines in, complete events (the lines of their records) out: the reassembler alone, for a
// caller that parses and normalizes somewhere else (normalize's lanes, other threads, which get
// the lines: one string crosses threads far cheaper than parsed records). Only each line's header
// is read here, which is all the reassembler needs; lines that are not records are counted and
// named exactly as AuditStream names them (a body never makes a line unparseable).

import { parseHeader, isFailure, type RecordHeader } from './record.js';
import { Reassembler } from './reassembler.js';

export interface AuditEventsOptions {
  /** A complete event: its records' headers, each with its line, in arrival order. */
  onEvent(records: RecordHeader[]): void;
  /** A line that is not an audit record; `where` is "file:line". */
  onError(where: string, message: string): void;
  maxInFlight?: number;
  timeoutMs?: number;
}

export class AuditEvents {
  parseErrors = 0;
  records = 0;
  private readonly reassembler: Reassembler<RecordHeader>;
  private sinceMaintain = 0;

  constructor(private readonly opts: AuditEventsOptions) {
    this.reassembler = new Reassembler<RecordHeader>({ maxInFlight: opts.maxInFlight, timeoutMs: opts.timeoutMs, onEvent: opts.onEvent });
  }

  line(text: string, where: string): void {
    if (text.length === 0) return;
    const r = parseHeader(text);
    if (isFailure(r)) {
      this.parseErrors++;
      this.opts.onError(where, `not an audit record: ${r.error} (at column ${r.offset + 1})`);
      return;
    }
    this.records++;
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
