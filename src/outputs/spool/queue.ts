// A bounded queue in front of any output, so a sink that is down or slow never loses records and
// never grows memory without bound. By default every record is appended to a size-capped disk
// spool in state_dir before write() resolves (group commit: writers that arrive together share
// one append and one fsync), so an ack means the record survives a crash. `memory_records: N`
// lets up to N records wait in memory first (faster; write() then resolves when they are queued,
// and a crash, unlike a clean stop, loses them). When the spool is full, writers are blocked
// (backpressure up to the inputs) or the oldest records are dropped and a `lost-events` record
// says how many. A drainer hands records to the output in order, one write at a time. On close,
// whatever the output could not take before the deadline is saved to the spool, and the next run
// delivers it first.
//
// Delivery counts only when known. An output that confirms later than its write() resolves
// (syslog over TCP, see Output.onConfirmed) is handed records ahead of its confirmations; the
// spool's cursor advances only to what is confirmed, so a crash sends the unconfirmed records
// again (at-least-once; `replayed` counts those a previous run had already sent). Read-ahead costs
// no memory for spooled records (the queue keeps only their position; the output bounds what it
// holds by not resolving write()); records from memory stay held until confirmed and count
// against memory_records.
//
// Records spooled to disk keep the audit records they were made of (line.ts), so an auditlog
// output behind the spool writes them too.

import { join } from 'node:path';
import type { NormalizedRecord } from '../../record.js';
import type { BuildContext, Output } from '../../pipeline/types.js';
import type { Logger } from '../../log.js';
import { AuditflowError } from '../../errors.js';
import { resolveQueueConfig, type QueueConfig, type ResolvedQueueConfig } from './config.js';
import { DiskSpool, type SpoolPosition, type SpoolRead } from './segments.js';
import { fromSpoolLine, toSpoolLine } from './line.js';

/** at shutdown, a sink that delivered nothing for this long is taken to be down */
const STALL_MS = 2000;

interface Chunk {
  records: NormalizedRecord[];
  from: SpoolRead | null;
}

/** Handed to the output, not yet confirmed: where it is in the spool, or (from memory) the records. */
interface Unconfirmed {
  count: number;
  from: SpoolRead | null;
  records: NormalizedRecord[] | null;
}

export class QueuedOutput implements Output {
  readonly name: string;
  private readonly cfg: ResolvedQueueConfig;
  private readonly log: Logger;
  private readonly spool: DiskSpool;
  private mem: NormalizedRecord[] = [];
  private memHead = 0;
  private inflight: Chunk | null = null;
  private readonly confirms: boolean;
  private unconfirmed: Unconfirmed[] = [];
  private unconfirmedRecords = 0;
  /** of those, records from memory (held here until confirmed) */
  private unconfirmedMemory = 0;
  /** confirmations not yet matched to a whole handed-over write */
  private confirmedAhead = 0;
  /** writers going to disk, admitted one at a time in arrival order */
  private admission: Promise<void> = Promise.resolve();
  private admitting = 0;
  private roomWaiter: (() => void) | null = null;
  /** admitted records waiting for the next group commit */
  private group: {
    text: string;
    records: number;
    objs: NormalizedRecord[];
    bytes: number;
    waiters: { resolve: () => void; reject: (e: Error) => void }[];
  } | null = null;
  /**
   * In-memory copies of recently spooled groups, by spool position: while the sink keeps up the
   * drainer hands these over instead of reading and parsing the same records back from disk.
   */
  private hot: { at: SpoolPosition; bytes: number; records: NormalizedRecord[] }[] = [];
  private hotRecords = 0;
  private groupBytes = 0;
  private committing = false;
  private committer: Promise<void> = Promise.resolve();
  /** serializes every disk operation */
  private disk: Promise<unknown> = Promise.resolve();
  private wakeDrainer: (() => void) | null = null;
  private signalled = false;
  private drainer: Promise<void> | null = null;
  private stopping = false;
  private closed = false;
  /** closed and saved: late confirmations change nothing */
  private finished = false;
  private lostPending = 0;
  private readonly hostName: string;
  private readonly hotLimit: number;
  /**
   * handed: write() resolved; delivered: confirmed by the output (without onConfirmed, the same
   * as handed); replayed: handed again after a restart, having been handed before it (an upper
   * bound on the duplicates a restart makes)
   */
  private readonly counters = {
    queued: 0,
    spooled: 0,
    handed: 0,
    delivered: 0,
    replayed: 0,
    lost: 0,
    spool_corrupt: 0,
    write_failures: 0,
    blocked_writes: 0,
    group_commits: 0,
    read_back: 0,
  };

  constructor(
    readonly inner: Output,
    cfg: QueueConfig,
    ctx: BuildContext,
  ) {
    this.name = inner.name;
    this.cfg = resolveQueueConfig(cfg);
    this.log = ctx.log;
    this.hostName = ctx.hostName;
    this.hotLimit = Math.max(10000, this.cfg.batchRecords * 4);
    this.spool = new DiskSpool(join(ctx.stateDir, 'spool', inner.name.replace(/[^A-Za-z0-9_.-]+/g, '_')), this.cfg.segmentBytes, this.cfg.fsync, ctx.log);
    this.confirms = typeof inner.onConfirmed === 'function';
    inner.onConfirmed?.((n) => this.confirm(n));
  }

  async start(): Promise<void> {
    await this.spool.open();
    await this.inner.start();
    this.drainer = this.drain();
  }

  get memoryRecords(): number {
    return this.mem.length - this.memHead;
  }

  /** Records held in memory: waiting, being written, or written and not yet confirmed. */
  private get heldRecords(): number {
    return this.memoryRecords + (this.inflight && !this.inflight.from ? this.inflight.records.length : 0) + this.unconfirmedMemory;
  }

  write(records: readonly NormalizedRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditflowError('AF_ERR_OUTPUT', 'output is closed', this.name));
    if (records.length === 0) return Promise.resolve();
    // memory only while nothing older sits on disk (unconfirmed included) or waits: that keeps
    // delivery, and what close() saves, in order
    if (this.admitting === 0 && this.groupBytes === 0 && this.spool.empty && this.heldRecords + records.length <= this.cfg.memoryRecords) {
      for (let i = 0; i < records.length; i++) this.mem.push(records[i]);
      this.counters.queued += records.length;
      this.signal();
      return Promise.resolve();
    }
    this.admitting++;
    const admitted = this.admission.then(() => this.admit(records));
    this.admission = admitted.then(
      () => {},
      () => {},
    );
    return admitted
      .then((a) => a.onDisk)
      .finally(() => {
        this.admitting--;
      });
  }

  private signal(): void {
    this.signalled = true;
    this.wakeDrainer?.();
  }

  /**
   * Waits (in arrival order) for room, then adds the records to the next group commit; returns
   * the promise of their being on disk. Writers that arrive while a commit runs share the next
   * one: one append and one fsync for all of them.
   */
  // (the promise is wrapped: an async function returning a promise would wait for it)
  private async admit(records: readonly NormalizedRecord[]): Promise<{ onDisk: Promise<void> }> {
    let text = '';
    for (let i = 0; i < records.length; i++) text += toSpoolLine(records[i]);
    const bytes = Buffer.byteLength(text);
    let waited = false;
    // at shutdown a waiting writer goes in regardless: the cap is overshot by what was in flight
    while (!this.stopping && !this.roomFor(bytes)) {
      if (this.cfg.whenFull === 'drop_oldest' && this.groupBytes === 0) {
        await this.serial(() => this.dropOldest(bytes));
        if (this.roomFor(bytes)) break;
      }
      if (!waited) {
        this.counters.blocked_writes++;
        waited = true;
      }
      await new Promise<void>((resolve) => {
        this.roomWaiter = resolve;
      });
      this.roomWaiter = null;
    }
    const g = (this.group ??= { text: '', records: 0, objs: [], bytes: 0, waiters: [] });
    g.text += text;
    g.records += records.length;
    for (let i = 0; i < records.length; i++) g.objs.push(records[i]);
    g.bytes += bytes;
    this.groupBytes += bytes;
    const onDisk = new Promise<void>((resolve, reject) => g.waiters.push({ resolve, reject }));
    if (!this.committing) this.committer = this.commitGroups();
    return { onDisk };
  }

  private async commitGroups(): Promise<void> {
    this.committing = true;
    try {
      while (this.group) {
        const g = this.group;
        this.group = null;
        try {
          const at = await this.serial(() => this.spool.append(g.text, g.records));
          if (this.hotRecords + g.records <= this.hotLimit) {
            this.hot.push({ at, bytes: g.bytes, records: g.objs });
            this.hotRecords += g.records;
          }
        } catch (err) {
          this.groupBytes -= g.bytes;
          const e = new AuditflowError('AF_ERR_SPOOL', `cannot append to the spool: ${(err as Error).message}`, this.spool.dir, { cause: err });
          for (const w of g.waiters) w.reject(e);
          continue;
        }
        this.groupBytes -= g.bytes;
        this.counters.queued += g.records;
        this.counters.spooled += g.records;
        this.counters.group_commits++;
        this.signal();
        for (const w of g.waiters) w.resolve();
      }
    } finally {
      this.committing = false;
    }
  }

  /**
   * Room in the spool. A spool whose every record was handed to the output takes any one batch: a
   * huge batch cannot wait forever, and an output that confirms only after more traffic (syslog)
   * gets it. The cap is overshot by at most what the output holds unconfirmed plus one batch.
   */
  private roomFor(bytes: number): boolean {
    return (!this.spool.unread && this.groupBytes === 0) || this.spool.bytes + this.groupBytes + bytes <= this.cfg.diskBytes;
  }

  private async dropOldest(bytes: number): Promise<void> {
    // the spool's oldest segment makes the room; memory holds older records still, but dropping
    // them would not free a byte of disk
    while (!this.roomFor(bytes)) {
      const lost = await this.spool.dropOldest();
      if (lost === 0 && this.spool.empty) break;
      this.lostPending += lost;
      this.counters.lost += lost;
      this.signal();
      this.log.error('queue full, oldest spooled records dropped', { output: this.name, lost, when_full: 'drop_oldest' });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.disk.then(fn, fn);
    this.disk = next.catch(() => {});
    return next;
  }

  private lossRecord(n: number): NormalizedRecord {
    return {
      '@timestamp': new Date().toISOString(),
      event: { module: 'auditflow', kind: 'pipeline_error', action: 'lost-events', outcome: 'failure', category: ['host'], type: ['info'] },
      message: `${n} records dropped because the queue of output ${this.name} was full (when_full: drop_oldest)`,
      error: { message: `queue full: ${n} records dropped`, type: 'queue_full' },
      audit: { lost: n },
      host: { name: this.hostName },
    };
  }

  /** Next records to hand over, oldest first: memory, then the spool. */
  private async next(): Promise<Chunk | null> {
    if (this.memoryRecords > 0) {
      const end = Math.min(this.mem.length, this.memHead + this.cfg.batchRecords);
      const records = this.mem.slice(this.memHead, end);
      this.memHead = end;
      if (this.memHead === this.mem.length) {
        this.mem = [];
        this.memHead = 0;
      } else if (this.memHead > 65536) {
        this.mem = this.mem.slice(this.memHead);
        this.memHead = 0;
      }
      return { records, from: null };
    }
    if (!this.spool.unread) {
      this.hot.length = 0;
      this.hotRecords = 0;
      return null;
    }
    const cached = this.fromHot();
    if (cached) return cached;
    const r = await this.serial(() => this.spool.read(this.cfg.batchRecords));
    if (!r) return null;
    this.counters.read_back += r.count;
    const records: NormalizedRecord[] = [];
    for (const line of r.lines) {
      try {
        records.push(fromSpoolLine(line));
      } catch {
        this.counters.spool_corrupt++;
        this.log.error('unreadable record in spool skipped', { output: this.name, dir: this.spool.dir, segment: r.segment });
      }
    }
    return { records, from: r };
  }

  /**
   * The in-memory copies of the records at the spool's read position, if still held: consecutive
   * groups of one segment are handed over together, up to batch_records.
   */
  private fromHot(): Chunk | null {
    const head = this.spool.head();
    if (!head) return null;
    // drop copies behind the read position (read from disk meanwhile, or dropped)
    while (this.hot.length) {
      const h = this.hot[0];
      if (h.at.segment > head.segment || (h.at.segment === head.segment && h.at.offset >= head.offset)) break;
      this.hot.shift();
      this.hotRecords -= h.records.length;
    }
    const first = this.hot[0];
    if (!first || first.at.segment !== head.segment || first.at.offset !== head.offset) return null;
    let records = first.records;
    let bytes = first.bytes;
    let n = 1;
    while (n < this.hot.length) {
      const h = this.hot[n];
      if (h.at.segment !== head.segment || h.at.offset !== head.offset + bytes) break;
      if (records.length + h.records.length > this.cfg.batchRecords) break;
      records = n === 1 ? records.concat(h.records) : (records.push(...h.records), records);
      bytes += h.bytes;
      n++;
    }
    this.hot.splice(0, n);
    this.hotRecords -= records.length;
    const from = { lines: [], count: records.length, bytes, segment: head.segment };
    this.spool.markRead(from);
    return { records, from };
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.signalled = false;
      try {
        if (this.lostPending > 0) {
          // the loss is reported before the records that came after it
          const n = this.lostPending;
          const loss = [this.lossRecord(n)];
          await this.inner.write(loss);
          this.lostPending -= n;
          await this.written({ records: loss, from: null });
        }
        let chunk = this.inflight;
        if (!chunk) {
          chunk = await this.next();
          if (!chunk) {
            if (this.signalled || this.stopping) continue;
            await new Promise<void>((resolve) => {
              this.wakeDrainer = resolve;
            });
            this.wakeDrainer = null;
            continue;
          }
          this.inflight = chunk;
          if (chunk.from) {
            const again = Math.min(this.spool.replay, chunk.from.count);
            this.spool.replay -= again;
            this.counters.replayed += again;
            // the cursor says how far reads got before the records leave: after a crash the next
            // run knows which of them it sends a second time
            await this.serial(() => this.spool.saveCursor());
          }
        }
        if (chunk.records.length) await this.inner.write(chunk.records);
        this.inflight = null;
        await this.written(chunk);
        failures = 0;
        // room was made
        this.roomWaiter?.();
      } catch (err) {
        if (this.stopping) break; // `inflight` is saved by close()
        this.counters.write_failures++;
        const ms = Math.min(30000, 100 * 2 ** Math.min(failures++, 9));
        this.log.error(`delivery failed, retrying in ${ms} ms: ${(err as Error).message}`, { output: this.name });
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  /** After write() resolved: delivered, or (output confirming later) held until confirmed. */
  private async written(chunk: Chunk): Promise<void> {
    const n = chunk.records.length;
    this.counters.handed += n;
    if (!this.confirms) {
      if (chunk.from) await this.serial(() => this.spool.commit(chunk.from!, chunk.from!.count));
      this.counters.delivered += n;
      return;
    }
    // a spooled chunk keeps only its place (its lines would hold the output's whole window in memory)
    const from = chunk.from && { ...chunk.from, lines: [] };
    this.unconfirmed.push({ count: n, from, records: from ? null : chunk.records });
    this.unconfirmedRecords += n;
    if (!chunk.from) this.unconfirmedMemory += n;
    this.settle();
  }

  /** The output's confirmation of the next `n` records it was handed, in order. */
  private confirm(n: number): void {
    if (this.finished) return;
    this.confirmedAhead += n;
    this.settle();
  }

  /** Releases every handed-over write now wholly confirmed; the spool cursor follows. */
  private settle(): void {
    while (this.unconfirmed.length && this.unconfirmed[0].count <= this.confirmedAhead) {
      const u = this.unconfirmed.shift()!;
      this.confirmedAhead -= u.count;
      this.unconfirmedRecords -= u.count;
      this.counters.delivered += u.count;
      const from = u.from;
      if (!from) {
        this.unconfirmedMemory -= u.count;
        continue;
      }
      this.serial(() => this.spool.commit(from, from.count)).then(
        () => this.roomWaiter?.(),
        // the cursor stays behind: a restart sends these again, which is allowed
        (err) => this.log.error(`cannot save the spool cursor: ${(err as Error).message}`, { output: this.name, dir: this.spool.dir }),
      );
    }
  }

  async close(deadlineMs: number): Promise<void> {
    this.closed = true;
    // keep delivering while there is time, leaving a share of it to save what is left
    const saveBy = deadlineMs - Math.min(2000, Math.max(0, (deadlineMs - Date.now()) / 4));
    // a sink that has stopped taking records (it is down) is not waited for: what is left goes
    // to the spool now instead of holding up the shutdown until the deadline
    // (records handed over and waiting for confirmation are the output's to confirm in its close)
    let progress = this.counters.handed;
    let progressAt = Date.now();
    while ((this.inflight || this.memoryRecords > 0 || this.spool.unread || this.admitting > 0 || this.groupBytes > 0) && Date.now() < saveBy) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.counters.handed !== progress) {
        progress = this.counters.handed;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > STALL_MS) break;
    }
    this.stopping = true;
    this.roomWaiter?.();
    this.wakeDrainer?.();
    await this.inner.close(saveBy).catch((err) => this.log.error(`closing output failed: ${(err as Error).message}`, { output: this.name }));
    await this.drainer;
    await this.admission;
    await this.committer;
    await this.disk;
    this.finished = true;
    // what memory still holds is older than the spool: it goes in front. First the records from
    // memory the output took but did not confirm (a receiver that never read them); those read
    // from the spool stay there, as does a chunk being written (cursor not advanced)
    const left: NormalizedRecord[] = [];
    for (const u of this.unconfirmed) if (u.records) left.push(...u.records);
    let text = '';
    for (const r of left) text += toSpoolLine(r);
    const sent = [Buffer.byteLength(text), left.length] as const;
    if (this.lostPending > 0) left.push(this.lossRecord(this.lostPending));
    if (this.inflight && !this.inflight.from) left.push(...this.inflight.records);
    for (let i = this.memHead; i < this.mem.length; i++) left.push(this.mem[i]);
    for (let i = sent[1]; i < left.length; i++) text += toSpoolLine(left[i]);
    await this.spool.prepend(text, left.length, sent[0], sent[1]);
    await this.spool.close();
    if (left.length || !this.spool.empty) {
      this.log.warn('output closed with records undelivered, kept in the spool for the next run', {
        output: this.name,
        records: this.spool.records,
        dir: this.spool.dir,
      });
    }
    this.mem = [];
    this.memHead = 0;
    this.unconfirmed = [];
    this.unconfirmedRecords = 0;
    this.unconfirmedMemory = 0;
  }

  async reopen(): Promise<void> {
    await this.inner.reopen?.();
  }

  stats(): Record<string, number> {
    return {
      ...this.inner.stats?.(),
      ...this.counters,
      spool_corrupt: this.counters.spool_corrupt + this.spool.corrupt,
      // records held in memory (a chunk read back from the spool is counted there, not here)
      queue_records: this.heldRecords,
      // handed to the output, delivery not known yet (in memory or in the spool)
      unconfirmed_records: this.unconfirmedRecords,
      // not known delivered, unconfirmed ones included
      spool_records: this.spool.records,
      spool_bytes: this.spool.bytes,
    };
  }
}

/** Wraps an output in its queue and spool. */
export function withQueue(output: Output, cfg: QueueConfig, ctx: BuildContext): Output {
  return new QueuedOutput(output, cfg, ctx);
}

/** Outputs that talk to a remote sink get a queue unless their config says `queue: {enabled: false}`. */
const QUEUED_BY_DEFAULT = new Set(['syslog', 'elasticsearch']);

/**
 * What the daemon calls for every output it builds: wraps it in a queue when its config has a
 * `queue` section (or by default for syslog and elasticsearch), returns it unchanged otherwise.
 */
export function applyQueue(output: Output, config: { type: string; queue?: QueueConfig }, ctx: BuildContext): Output {
  const q = config.queue;
  if (q?.enabled === false) return output;
  if (!q && !QUEUED_BY_DEFAULT.has(config.type)) return output;
  return withQueue(output, q ?? {}, ctx);
}
