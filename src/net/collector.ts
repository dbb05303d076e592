// The receiving half every collector input shares (audit_remote, relp): lines from many senders
// (audit records, or auditflow records as JSON that pass straight through) go to the journal
// first, then to one reassembly stream per origin host (events of different hosts never merge,
// and each host's serials are its own), and come out as batches whose ack advances the journal's
// mark. The origin is the record's `node=` name when it has one, else
// what the transport says (the peer address, the syslog host): it becomes host.name.
//
// Backpressure: while a batch is with the pipeline and `highWater` records wait behind it,
// room() returns a promise and connections stop reading until it settles.

import { join } from 'node:path';
import { parseError, type AuditflowError } from '../errors.js';
import type { InputSink } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { AuditStream } from '../audit/stream.js';
import { lostEventsRecord } from '../audit/lost.js';
import { Journal } from './journal.js';

export interface CollectorOptions {
  /** the input's name, for errors */
  name: string;
  journalDir: string;
  keepOriginal: boolean;
  maxInFlight: number;
  reassemblyTimeoutMs: number;
  fsync?: boolean;
  highWater?: number;
}

interface Origin {
  stream: AuditStream;
  host: string;
  lastTime: number;
}

/** `node=NAME ` at the start of a record, or undefined. */
export function nodeOf(line: string): string | undefined {
  if (!line.startsWith('node=')) return undefined;
  const sp = line.indexOf(' ', 5);
  return sp > 5 ? line.slice(5, sp) : undefined;
}

export class Collector {
  private readonly journal: Journal;
  private readonly origins = new Map<string, Origin>();
  private sink: InputSink | null = null;
  private out: NormalizedRecord[] = [];
  private pushing: Promise<void> | null = null;
  private roomWaiter: { promise: Promise<void>; resolve: () => void } | null = null;
  private flushScheduled = false;
  private unacked = 0;
  private maintainTimer: NodeJS.Timeout | null = null;
  private errorsPending: AuditflowError[] = [];
  private readonly highWater: number;
  counters = { lines: 0, events: 0, parse_errors: 0, lost: 0, replayed: 0, origins: 0 };

  constructor(private readonly opts: CollectorOptions) {
    this.journal = new Journal(opts.journalDir, { fsync: opts.fsync });
    this.highWater = opts.highWater ?? 4096;
  }

  /** Opens the journal and reassembles what a previous run received but did not deliver. */
  start(sink: InputSink): void {
    this.sink = sink;
    const pending = this.journal.open();
    for (const e of pending) this.feed(e.origin, e.text, e.seq, `${this.opts.name} journal #${e.seq}`);
    this.counters.replayed = pending.length;
    this.maintainTimer = setInterval(() => {
      for (const o of this.origins.values()) o.stream.maintain();
      this.scheduleFlush();
    }, 250);
    this.maintainTimer.unref();
    this.scheduleFlush();
  }

  /**
   * Records from one sender, journaled before this returns (so the caller may acknowledge them).
   * `fallbackOrigin` names the sender when a record has no node=. Throws when the journal cannot
   * be written: nothing may be acknowledged then.
   */
  receive(lines: readonly string[], fallbackOrigin: string, where: string): void {
    if (lines.length === 0) return;
    const origins = lines.map((l) => nodeOf(l) ?? fallbackOrigin);
    const first = this.journal.append(origins, lines);
    for (let i = 0; i < lines.length; i++) this.feed(origins[i], lines[i], first + i, where);
    this.scheduleFlush();
  }

  /** Settles when there is room for more; null when there is room now. */
  room(): Promise<void> | null {
    if (this.out.length < this.highWater || this.pushing === null) return null;
    if (!this.roomWaiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.roomWaiter = { promise, resolve };
    }
    return this.roomWaiter.promise;
  }

  /** Emits every open event, hands the last batch over and waits (up to the deadline) for its ack. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.maintainTimer) clearInterval(this.maintainTimer);
    this.maintainTimer = null;
    for (const o of this.origins.values()) o.stream.flush();
    while ((this.out.length > 0 || this.pushing || this.unacked > 0) && Date.now() < deadlineMs) {
      if (!this.pushing && this.out.length > 0) this.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.journal.close();
  }

  stats(): Record<string, number> {
    return { ...this.counters, origins: this.origins.size, journal_pending: this.journal.nextSeq - this.journal.committed };
  }

  private feed(originName: string, text: string, seq: number, where: string): void {
    this.counters.lines++;
    if (text.charCodeAt(0) === 0x7b) {
      this.passThrough(originName, text, where);
      return;
    }
    let o = this.origins.get(originName);
    if (!o) {
      const origin: Origin = { host: originName, lastTime: NaN, stream: null as unknown as AuditStream };
      origin.stream = new AuditStream({
        includeOriginal: this.opts.keepOriginal,
        // the collector's passwd says nothing about the sender's users
        resolveNames: false,
        maxInFlight: this.opts.maxInFlight,
        timeoutMs: this.opts.reassemblyTimeoutMs,
        onParsed: (r) => {
          origin.lastTime = r.time;
        },
        onRecord: (rec) => {
          this.counters.events++;
          (rec.host ??= {}).name = origin.host;
          this.out.push(rec);
        },
        onError: (w, message) => {
          this.counters.parse_errors++;
          this.errorsPending.push(parseError(w, message));
        },
        onLost: (count, node) => {
          this.counters.lost += count;
          const rec = lostEventsRecord(count, 'sequence', origin.lastTime, node);
          (rec.host ??= {}).name = origin.host;
          this.out.push(rec);
        },
      });
      this.origins.set(originName, (o = origin));
    }
    o.stream.line(text, where, seq);
  }

  /** An auditflow record relayed as JSON (RELP from another auditflow): already normalized. */
  private passThrough(originName: string, text: string, where: string): void {
    let rec: NormalizedRecord;
    try {
      rec = JSON.parse(text);
    } catch (err) {
      this.counters.parse_errors++;
      this.errorsPending.push(parseError(where, `not a JSON record: ${(err as Error).message}`));
      return;
    }
    if (typeof rec !== 'object' || rec === null || typeof rec.event !== 'object' || rec.event === null) {
      this.counters.parse_errors++;
      this.errorsPending.push(parseError(where, 'JSON without an event object is not an auditflow record'));
      return;
    }
    this.counters.events++;
    if (typeof rec.host?.name !== 'string') (rec.host ??= {}).name = originName;
    this.out.push(rec);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** The first seq some open event or unsent record still needs. */
  private lowWater(): number {
    let low = this.journal.nextSeq;
    for (const o of this.origins.values()) {
      const h = o.stream.heldFrom();
      if (h !== undefined && h >= 0 && h < low) low = h;
    }
    return low;
  }

  private flush(): void {
    const sink = this.sink;
    if (!sink) return;
    for (const e of this.errorsPending.splice(0)) sink.error(e);
    if (this.pushing) return;
    const mark = this.lowWater();
    if (this.out.length === 0) {
      if (this.unacked === 0) this.journal.commit(mark);
      return;
    }
    const records = this.out;
    this.out = [];
    this.unacked++;
    const p = sink.push({
      records,
      ack: () => {
        this.unacked--;
        this.journal.commit(mark);
      },
    });
    this.pushing = p.then(
      () => {
        this.pushing = null;
        const w = this.roomWaiter;
        this.roomWaiter = null;
        w?.resolve();
        if (this.out.length > 0) this.scheduleFlush();
      },
      () => {
        this.pushing = null;
      },
    );
  }
}

export const journalDirFor = (stateDir: string, inputType: string, name: string) =>
  join(stateDir, 'journal', `${inputType}-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
