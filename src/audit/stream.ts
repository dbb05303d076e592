// Audit lines (or netlink payloads) in, normalized records out: parser → reassembler →
// normalizer, with every unparseable line counted and named instead of thrown.

import type { NormalizedRecord } from '../record.js';
import { parseLine, parseNetlink, isFailure, type AuditRecord, type ParseResult } from './record.js';
import { Reassembler } from './reassembler.js';
import { createNormalizer } from './normalize/index.js';

type NormalizerOptions = NonNullable<Parameters<typeof createNormalizer>[0]>;

export interface AuditStreamOptions extends NormalizerOptions {
  onRecord(rec: NormalizedRecord): void;
  /** A line that is not an audit record; `where` is "file:line" or "netlink". */
  onError(where: string, message: string): void;
  /** Sequence gap: serials the kernel numbered but nobody saw (see Reassembler's onLost). */
  onLost?(count: number, node: string | undefined, origin: number, fresh: boolean): void;
  /** Each parsed record, just before the reassembler takes it (checkpoint bookkeeping). */
  onParsed?(rec: AuditRecord): void;
  /** Each complete event's records, just before they are normalized. */
  onEvent?(records: AuditRecord[]): void;
  /** false: complete events only go to onEvent (normalized elsewhere: the daemon's lanes). */
  normalize?: boolean;
  maxInFlight?: number;
  timeoutMs?: number;
}

export class AuditStream {
  parseErrors = 0;
  records = 0;
  events = 0;
  private readonly reassembler: Reassembler;
  private readonly normalizer: ReturnType<typeof createNormalizer>;
  private sinceMaintain = 0;
  /** Wall time of the last record, so a quiet source still closes what it has open. */
  private lastRecordAt = Date.now();

  constructor(private readonly opts: AuditStreamOptions) {
    const normalizer = (this.normalizer = createNormalizer(opts));
    this.reassembler = new Reassembler({
      maxInFlight: opts.maxInFlight,
      timeoutMs: opts.timeoutMs,
      onEvent: (records: AuditRecord[]) => {
        this.events++;
        opts.onEvent?.(records);
        if (opts.normalize !== false) opts.onRecord(normalizer.normalize(records));
      },
      onLost: opts.onLost,
    });
  }

  /**
   * One audit.log line; `where` names it in errors ("audit.log:17"); `offset`, where the line
   * starts in its file, is what heldFrom() reports.
   */
  line(text: string, where: string, offset = -1): void {
    if (text.length === 0) return;
    this.take(parseLine(text), where, offset);
  }

  /**
   * One line of `file` (1-based `lineNo`): as line(), with the "file:line" name made only for
   * an error, not a string per line for nothing.
   */
  fileLine(text: string, file: string, lineNo: number): void {
    if (text.length === 0) return;
    const r = parseLine(text);
    if (isFailure(r)) this.take(r, `${file}:${lineNo}`, -1);
    else this.take(r, '', -1);
  }

  /** One netlink message: the record type from the netlink header, the text payload. */
  netlink(typeId: number, payload: string): void {
    this.take(parseNetlink(typeId, payload), `netlink type ${typeId}`, -1);
  }

  private take(r: ParseResult, where: string, offset: number): void {
    if (isFailure(r)) {
      this.parseErrors++;
      this.opts.onError(where, `not an audit record: ${r.error} (at column ${r.offset + 1})`);
      return;
    }
    this.records++;
    this.lastRecordAt = Date.now();
    this.opts.onParsed?.(r);
    this.reassembler.push(r, offset);
    // the reassembler expires by audit time; asking every 256 records keeps memory flat in bursts
    if (++this.sinceMaintain >= 256) {
      this.sinceMaintain = 0;
      this.reassembler.maintain();
    }
  }

  /**
   * Expire events whose time is up (call on a timer for live sources). The audit clock only
   * moves with new records, so the wall time since the last one is passed on: on a quiet host a
   * lone kernel record without EOE (ANOM_ABEND, CONFIG_CHANGE) still comes out.
   */
  maintain(idleMs = Date.now() - this.lastRecordAt): void {
    this.reassembler.maintain(idleMs);
  }

  /** Events the normalizer could only turn into a generic record with an error. */
  get normalizeErrors(): number {
    return this.normalizer.errors;
  }

  /** The serial that would continue `node`'s sequence now (Reassembler.nextSerial). */
  nextSerial(node: string | undefined): number | undefined {
    return this.reassembler.nextSerial(node);
  }

  get reassembly() {
    return this.reassembler.counters;
  }

  /** End of input: emit everything still in flight. */
  flush(): void {
    this.reassembler.flush();
  }

  /** Offset of the first line of the oldest event still held (see line()), or undefined. */
  heldFrom(): number | undefined {
    return this.reassembler.heldFrom();
  }

  /**
   * End of input that will be read again from heldFrom() (a file input stopping): the events in
   * flight are handed back, not emitted, so none goes out half.
   */
  release(): AuditRecord[][] {
    return this.reassembler.release();
  }
}
