// Audit lines (or netlink payloads) in, normalized records out: parser → reassembler →
// normalizer, with every unparseable line counted and named instead of thrown.
// RecordStream is the first two alone, for a caller that normalizes somewhere else: with
// parseHeader it reads only each line's header (all the reassembler needs) and hands complete
// events on as their records' lines (the lanes: other threads parse them whole).

import type { NormalizedRecord } from '../record.js';
import { parseLine, parseNetlink, isFailure, type AuditRecord, type ParseFailure, type RecordKey } from './record.js';
import { Reassembler } from './reassembler.js';
import { createNormalizer } from './normalize/index.js';

type NormalizerOptions = NonNullable<Parameters<typeof createNormalizer>[0]>;

export interface RecordStreamOptions<R extends RecordKey> {
  /** How a line becomes a record: parseLine, or parseHeader where the lines go on to be parsed elsewhere. */
  parse(line: string): R | ParseFailure;
  /** A line that is not an audit record; `where` is "file:line" or "netlink". */
  onError(where: string, message: string): void;
  /** Sequence gap: serials the kernel numbered but nobody saw (see Reassembler's onLost). */
  onLost?(count: number, node: string | undefined, origin: number, fresh: boolean): void;
  /** Each parsed record, just before the reassembler takes it (checkpoint bookkeeping). */
  onParsed?(rec: R): void;
  /** Each complete event's records, in arrival order. */
  onEvent?(records: R[]): void;
  maxInFlight?: number;
  timeoutMs?: number;
}

export class RecordStream<R extends RecordKey> {
  parseErrors = 0;
  records = 0;
  events = 0;
  private readonly reassembler: Reassembler<R>;
  private sinceMaintain = 0;
  /** Wall time of the last record, so a quiet source still closes what it has open. */
  private lastRecordAt = Date.now();

  constructor(private readonly opts: RecordStreamOptions<R>) {
    this.reassembler = new Reassembler<R>({
      maxInFlight: opts.maxInFlight,
      timeoutMs: opts.timeoutMs,
      onEvent: (records) => {
        this.events++;
        this.event(records);
      },
      onLost: opts.onLost,
    });
  }

  /** A complete event (AuditStream normalizes it too). */
  protected event(records: R[]): void {
    this.opts.onEvent?.(records);
  }

  /**
   * One audit.log line; `where` names it in errors ("audit.log:17"); `offset`, where the line
   * starts in its file, is what heldFrom() reports.
   */
  line(text: string, where: string, offset = -1): void {
    if (text.length === 0) return;
    this.take(this.opts.parse(text), where, offset);
  }

  /**
   * One line of `file` (1-based `lineNo`): as line(), with the "file:line" name made only for
   * an error, not a string per line for nothing.
   */
  fileLine(text: string, file: string, lineNo: number): void {
    if (text.length === 0) return;
    const r = this.opts.parse(text);
    if (isFailure(r)) this.take(r, `${file}:${lineNo}`, -1);
    else this.take(r, '', -1);
  }

  protected take(r: R | ParseFailure, where: string, offset: number): void {
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
  release(): R[][] {
    return this.reassembler.release();
  }
}

export interface AuditStreamOptions extends NormalizerOptions, Omit<RecordStreamOptions<AuditRecord>, 'parse'> {
  onRecord(rec: NormalizedRecord): void;
}

export class AuditStream extends RecordStream<AuditRecord> {
  private readonly normalizer: ReturnType<typeof createNormalizer>;
  private readonly onRecord: (rec: NormalizedRecord) => void;

  constructor(opts: AuditStreamOptions) {
    super({ ...opts, parse: parseLine });
    this.normalizer = createNormalizer(opts);
    this.onRecord = opts.onRecord;
  }

  protected override event(records: AuditRecord[]): void {
    super.event(records);
    this.onRecord(this.normalizer.normalize(records));
  }

  /** One netlink message: the record type from the netlink header, the text payload. */
  netlink(typeId: number, payload: string): void {
    this.take(parseNetlink(typeId, payload), `netlink type ${typeId}`, -1);
  }

  /** Events the normalizer could only turn into a generic record with an error. */
  get normalizeErrors(): number {
    return this.normalizer.errors;
  }
}
