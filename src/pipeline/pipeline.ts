// Wiring: inputs push batches; each batch is decorated, run through the filter chain in order,
// handed to every output, and acked back to its input once every output has accepted it.
// Backpressure: push() waits while `maxInFlight` batches or `maxInFlightRecords` records are
// between push() and ack, whichever comes first (a tailer's batches can be large).

import type { AuditflowError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NormalizedRecord } from '../record.js';
import type { Batch, Filter, Input, InputSink, Output } from './types.js';
import { WarningLimiter } from '../inputs/warning-limit.js';
import type { EventLanes, LaneAnswer } from './workers/event-lanes.js';

export interface PipelineOptions {
  filters: Filter[];
  outputs: Output[];
  log: Logger;
  /** Adds host/static fields; runs before the filters so they can match on them. */
  decorate?: (rec: NormalizedRecord) => void;
  /** The context stage (src/context/): process table, container, pod; after decorate, before the filters. */
  context?: (rec: NormalizedRecord) => void;
  maxInFlight?: number;
  maxInFlightRecords?: number;
  /** Also ship each input error as an `event.kind: pipeline_error` record. */
  errorRecords?: boolean;
  /** How often filters' drain() runs (throttle summaries). */
  drainIntervalMs?: number;
  /**
   * Worker lanes that normalize, enrich, filter and serialize batches of audit events (Batch.events;
   * config `threads`); every output must have writeLines. The lanes run their own context stage
   * and filters: this pipeline's see only the records pushed as records.
   */
  lanes?: EventLanes;
}

export interface PipelineCounters {
  batches: number;
  recordsIn: number;
  recordsOut: number;
  dropped: number;
  inputErrors: number;
  outputErrors: number;
  inFlight: number;
  recordsInFlight: number;
}

/** An input error as a record, so it reaches the same place as the events it is about. */
export function pipelineErrorRecord(err: AuditflowError, input: string): NormalizedRecord {
  return {
    '@timestamp': new Date().toISOString(),
    event: { module: 'auditflow', kind: 'pipeline_error', action: 'pipeline-error', outcome: 'failure' },
    message: `${input}: ${err.message}`,
    error: { message: err.message, type: err.code, input: err.where ?? input },
  };
}

export class Pipeline {
  readonly counters: PipelineCounters = {
    batches: 0,
    recordsIn: 0,
    recordsOut: 0,
    dropped: 0,
    inputErrors: 0,
    outputErrors: 0,
    inFlight: 0,
    recordsInFlight: 0,
  };
  readonly inputErrors = new Map<string, number>();
  private readonly maxInFlight: number;
  private readonly maxInFlightRecords: number;
  private waiters: (() => void)[] = [];
  /** with lanes: resolves once the last pushed batch was handed to the outputs */
  private writeOrder: Promise<unknown> = Promise.resolve();
  private ackChain: Promise<void> = Promise.resolve();
  private drainTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** input warnings per file: the first few shown, the rest counted (as normalize does) */
  private readonly warnings = new WarningLimiter();

  constructor(private readonly opts: PipelineOptions) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.maxInFlightRecords = opts.maxInFlightRecords ?? 2048;
  }

  async start(): Promise<void> {
    for (const o of this.opts.outputs) await o.start();
    if (this.opts.filters.some((f) => f.drain)) {
      this.drainTimer = setInterval(() => this.drainFilters(false), this.opts.drainIntervalMs ?? 1000);
      this.drainTimer.unref();
    }
  }

  /** The sink an input pushes into; errors are counted under the input's name. */
  sinkFor(input: Pick<Input, 'name'>): InputSink {
    return {
      lanes: this.opts.lanes !== undefined,
      push: (batch) => this.push(batch),
      error: (err: AuditflowError) => {
        this.counters.inputErrors++;
        this.inputErrors.set(input.name, (this.inputErrors.get(input.name) ?? 0) + 1);
        const w = this.warnings.take(err.where ?? input.name);
        if (w.summary) this.opts.log.warn(w.summary, { input: input.name });
        if (w.show) this.opts.log.warn(err.message, { input: input.name, code: err.code });
        if (this.opts.errorRecords && !this.closed) {
          this.push({ records: [pipelineErrorRecord(err, input.name)] }).catch(() => {
            /* stopped meanwhile */
          });
        }
      },
    };
  }

  /** Runs the filters over records; what survives, in order. */
  filter(records: NormalizedRecord[]): NormalizedRecord[] {
    const { filters, decorate, context } = this.opts;
    const out: NormalizedRecord[] = [];
    next: for (let i = 0; i < records.length; i++) {
      let rec: NormalizedRecord | null = records[i];
      if (decorate) decorate(rec);
      if (context) context(rec);
      for (let f = 0; f < filters.length; f++) {
        rec = filters[f].apply(rec);
        if (rec === null) continue next;
      }
      out.push(rec);
    }
    return out;
  }

  push(batch: Batch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('pipeline is stopped'));
    this.counters.batches++;
    this.counters.recordsIn += batch.records.length;
    const kept = this.filter(batch.records);
    this.counters.dropped += batch.records.length - kept.length;
    let n = kept.length;
    let delivered: Promise<boolean>;
    if (this.opts.lanes) {
      let events = 0;
      if (batch.events) for (const lines of batch.events.shape) if (lines > 0) events++;
      this.counters.recordsIn += events;
      n += events;
      delivered = this.deliverInOrder(kept, events, batch.events ? this.opts.lanes.run(batch.events) : undefined);
    } else delivered = this.deliver(kept);
    this.counters.inFlight++;
    this.counters.recordsInFlight += n;
    // Acks go back in push order even if outputs resolve out of order. The ack holds the count
    // and the callback, not the batch: records an output has already encoded are garbage while
    // its write is still in progress, instead of surviving young-generation collections.
    const ack = batch.ack;
    const prev = this.ackChain;
    this.ackChain = Promise.all([prev, delivered]).then(([, ok]) => {
      this.counters.inFlight--;
      this.counters.recordsInFlight -= n;
      this.wakeOne();
      if (ok) ack?.();
    });
    // (not an async function either: waiting here must not keep the batch)
    if (!this.full()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private deliver(records: NormalizedRecord[]): Promise<boolean> {
    const n = records.length;
    if (n === 0) return Promise.resolve(true);
    // A loop, not outputs.map((o) => o.write(records)), and not an async function: a closure, or
    // an async function's suspended frame (which keeps its parameters), would hold the records
    // until every write is done, so records outputs have already encoded would survive
    // young-generation collections. From here on only the count is kept.
    const writes: Promise<void>[] = [];
    for (const o of this.opts.outputs) writes.push(o.write(records));
    return this.settleWrites(writes, n);
  }

  /**
   * With lanes: a batch's records and its events' JSON lines are handed to the outputs once
   * every batch pushed before it has been (its lanes' answer may come first), so the outputs
   * see push order whichever lane was quicker.
   */
  private deliverInOrder(records: NormalizedRecord[], events: number, answer: Promise<LaneAnswer> | undefined): Promise<boolean> {
    const outputs = this.opts.outputs;
    const started = Promise.all([this.writeOrder, answer]).then(([, a]) => {
      const writes: Promise<void>[] = [];
      if (records.length > 0) for (const o of outputs) writes.push(o.write(records));
      if (a !== undefined) {
        this.counters.dropped += events - a.records;
        if (a.records > 0) for (const o of outputs) writes.push(o.writeLines!(a.bytes, a.records));
      }
      const n = records.length + (a?.records ?? 0);
      records = []; // not kept by this closure while the writes are in progress
      return { writes, n };
    });
    this.writeOrder = started.catch(() => {});
    return started.then(
      ({ writes, n }) => this.settleWrites(writes, n),
      (err: Error) => {
        this.counters.outputErrors++;
        this.opts.log.error(`lanes failed: ${err.message}`);
        return false;
      },
    );
  }

  private async settleWrites(writes: Promise<void>[], n: number): Promise<boolean> {
    const results = await Promise.allSettled(writes);
    let ok = true;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r.status === 'rejected') {
        ok = false;
        this.counters.outputErrors++;
        this.opts.log.error(`output failed: ${(r.reason as Error)?.message ?? r.reason}`, { output: this.opts.outputs[i].name });
      }
    }
    if (ok) this.counters.recordsOut += n;
    return ok;
  }

  private full(): boolean {
    return this.counters.inFlight >= this.maxInFlight || this.counters.recordsInFlight >= this.maxInFlightRecords;
  }

  private wakeOne(): void {
    while (this.waiters.length > 0 && !this.full()) this.waiters.shift()!();
  }

  private drainFilters(final: boolean): Promise<boolean> {
    const now = Date.now();
    const produced: NormalizedRecord[] = [];
    const { filters } = this.opts;
    for (let f = 0; f < filters.length; f++) {
      const drained = filters[f].drain?.(now, final);
      if (!drained || drained.length === 0) continue;
      // records a filter makes pass through the filters after it, not before
      next: for (let rec of drained as (NormalizedRecord | null)[]) {
        for (let g = f + 1; g < filters.length; g++) {
          rec = filters[g].apply(rec!);
          if (rec === null) continue next;
        }
        produced.push(rec!);
      }
    }
    if (produced.length === 0) return Promise.resolve(true);
    this.counters.recordsIn += produced.length;
    return this.deliver(produced);
  }

  /** Stops the lanes; what their filters held back (throttle summaries) goes out last. */
  private async closeLanes(lanes: EventLanes): Promise<void> {
    for (const bytes of await lanes.close()) {
      let lines = 0;
      for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lines++;
      this.counters.recordsIn += lines;
      this.counters.recordsOut += lines;
      await Promise.all(this.opts.outputs.map((o) => o.writeLines!(bytes, lines))).catch((err) => {
        this.counters.outputErrors++;
        this.opts.log.error(`output failed: ${(err as Error).message}`);
      });
    }
  }

  /** Waits for everything pushed to be acked (or failed). */
  async settle(): Promise<void> {
    let chain;
    do {
      chain = this.ackChain;
      await chain;
    } while (chain !== this.ackChain);
  }

  /** Flushes filters' summaries and outputs, giving up at the deadline (epoch ms). */
  async stop(deadlineMs: number): Promise<void> {
    if (this.drainTimer) clearInterval(this.drainTimer);
    const timeLeft = () => Math.max(0, deadlineMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeLeft());
    });
    // a dead sink without a queue, or a full spool set to block, must not hold shutdown forever:
    // outputs are closed at the deadline with whatever they still hold
    await Promise.race([this.drainFilters(true).then(() => this.settle()), deadline]);
    clearTimeout(timer);
    if (this.opts.lanes) await this.closeLanes(this.opts.lanes);
    this.closed = true;
    for (const line of this.warnings.flush()) this.opts.log.warn(line);
    await Promise.all(
      this.opts.outputs.map((o) =>
        o.close(deadlineMs).catch((err) => {
          this.opts.log.error(`closing output failed: ${(err as Error).message}`, { output: o.name });
        }),
      ),
    );
  }
}
