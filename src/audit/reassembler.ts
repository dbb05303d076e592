// Groups audit records into events: every record the kernel emits for one action shares
// `audit(TIME:SERIAL)`, and one node's serials count up by one per event (uint32, rolling over).
//
// When is an event complete? The netlink stream ends each kernel event with an EOE record; an
// audit.log written by auditd has none, so completion is also read from the record types:
//   - user-space messages (USER 1005, 1100-1299, 2100-2999) are one record each;
//   - PROCTITLE is the last record the kernel writes for a syscall event (only EOE follows),
//     after the SYSCALL (URINGOP for io_uring) record, so it closes an event holding one
//     (a PROCTITLE that arrives first, out of order, closes nothing);
//   - a kernel event still open once a later event of its node has completed at least
//     `windowSerials` serials past it is done (interleaving comes from concurrent CPUs writing
//     at once, which spans a few serials, not dozens);
//   - an event older than `timeoutMs` by the AUDIT clock (newest event time seen, so replaying
//     an old file behaves like the live stream) is done;
//   - past `maxInFlight` open events the oldest is emitted as it stands (bounded memory in
//     floods: the real capture has 19,000 events in one second).
// An event is its node, serial AND timestamp: a serial seen again with another time is a new
// event (the counter restarted at a reboot, or logs of two boots were concatenated), never more
// records of the old one. Records arriving for an event already emitted (counted `late`) are
// gathered into one late event of their own, closed like any other, rather than dropped or
// emitted one by one. auditd's DAEMON_* records (1200-1299) carry auditd's own serial counter,
// not the kernel's, so they are emitted at once and kept out of grouping and gap counting.
//
// Lost events are serials never seen. A gap is only declared lost once it can no longer be an
// out-of-order arrival: `maxInFlight` serials or `timeoutMs` of audit time later, or at flush().
// Whether a lost serial is a lost event is the caller's to say: on the kernel's netlink stream
// it is, in an audit.log it is mostly an event auditd had no rule to write.
//
// A serial more than `windowSerials` ahead of the newest (or more than `maxGap` behind it), and a
// node's very first serial, is a jump, and one record is not enough to believe it: a corrupted
// line (a digit lost or flipped) looks exactly like that. Such a record waits apart from the real
// events as a stray (at most STRAY_LIMIT of them, so a run of garbage cannot push real events out
// of maxInFlight); it moves neither the node's sequence nor the audit clock, and closes no other
// event. A later record within `windowSerials` of one of the last CANDIDATES such serials (the
// next record of the same event, normally) confirms the jump, and the stray becomes a real open
// event. A confirmed jump of up to `maxGap` serials counts its missing serials as lost; a bigger
// one (either way) is a restart — reboot, or logs of two boots concatenated — counted as
// `resyncs`, not as billions of lost events. A jump never confirmed is counted in `outliers`.

import type { AuditRecord, RecordKey } from './record.js';
import { EventTable, type TableEntry } from './event-table.js';
import { AUDIT_EOE, AUDIT_PROCTITLE, AUDIT_SYSCALL, AUDIT_URINGOP, isDaemonRecord, isUserMessage } from './record-types.js';

export interface ReassemblerOptions<R extends RecordKey = AuditRecord> {
  /** Open events kept before the oldest is emitted as it stands. Default 1000. */
  maxInFlight?: number;
  /** Audit-clock milliseconds an event may stay open. Default 2000. */
  timeoutMs?: number;
  /** Serials a later completed event must be past an open one to close it. Default 64. */
  windowSerials?: number;
  /** Largest serial jump still counted as lost events rather than a restart. Default 1,000,000. */
  maxGap?: number;
  /** A complete event: records in arrival order (EOE records are not included). */
  onEvent(records: R[]): void;
  /**
   * `count` serials of `node` that never arrived. `origin`: the first missing serial when the
   * gap was noticed (a gap settled in parts, or split by a late arrival, keeps it), so a caller
   * can tell which gap a count belongs to; `fresh`: the first count of a gap (a late arrival
   * splits one into two, each fresh once).
   */
  onLost?(count: number, node: string | undefined, origin: number, fresh: boolean): void;
}

export interface ReassemblerCounters {
  /** Records pushed. */
  records: number;
  /** Events emitted (including late records emitted on their own). */
  events: number;
  /** Serials never seen (declared lost). */
  lost: number;
  /** Events emitted because maxInFlight was exceeded. */
  evicted: number;
  /** Events emitted because they timed out on the audit clock. */
  expired: number;
  /** Records that arrived after their event had been emitted (gathered into late events). */
  late: number;
  /** Serial jumps larger than maxGap confirmed as a restart. */
  resyncs: number;
  /** Records whose serial jumped away from their node's sequence and were never confirmed. */
  outliers: number;
}

interface OpenEvent<R extends RecordKey> extends TableEntry<OpenEvent<R>> {
  /** The table holding it: `open`, or `strays` for an outlier's event (kept once it is out). */
  table: EventTable<OpenEvent<R>>;
  ns: NodeState;
  serial: number;
  /** The records' own timestamp: with node and serial, what names the event. */
  stamp: number;
  /** Audit clock when the event opened. */
  time: number;
  /** Caller's position of the first record (a file offset), or -1. */
  from: number;
  records: R[];
  /** Holds the SYSCALL (or URINGOP) record, after which PROCTITLE is the last one. */
  hasSyscall: boolean;
  /** More records of an event already emitted. */
  late: boolean;
}

const NO_RECORDS: never[] = [];
/** Emitted events' objects kept for reuse (see Reassembler.emit()). */
const SPARE_EVENTS = 64;

// Jump candidates kept per node (see NodeState.candidates).
const CANDIDATES = 16;

/** A run of `len` serials from `start` (mod 2^32) not seen yet, noticed at audit time `at`. */
interface Gap {
  start: number;
  len: number;
  at: number;
  /** `start` when the gap was noticed, and whether any of it was reported yet (see onLost). */
  origin: number;
  reported: boolean;
}

/** An emitted event's serial and timestamp (see NodeState.remember()). */
interface RecentEvent extends TableEntry<RecentEvent> {
  stamp: number;
}

/** Per-node sequence state. */
class NodeState {
  readonly name: string | undefined;
  hasHi = false;
  /** Highest serial seen (uint32, rollover-aware). */
  hi = 0;
  /**
   * Serials that jumped away from the sequence, each waiting for a second record to confirm it;
   * CANDIDATES of them, so that garbage lines between a real jump's first and second record do
   * not push the real one out (one pushed out is counted in `outliers`, its serial as lost).
   * `confirmed`: the candidate the last confirmed jump started from.
   */
  readonly candidates = new Uint32Array(CANDIDATES);
  candidateCount = 0;
  private candidatePos = 0;
  confirmed = 0;
  /** Open gaps, oldest (lowest serial) first. */
  gaps: Gap[] = [];
  /**
   * Serials of recently emitted events and their timestamps, to tell late records from new
   * events: a ring of entries, oldest reused first, found by serial through an EventTable (a Map
   * churned once per event cost more than the rest of the reassembler's work on a user message;
   * the entries are made once and reused, so remembering makes no garbage).
   */
  private readonly recent: EventTable<RecentEvent>;
  private readonly recentRing: RecentEvent[] = [];
  private readonly recentSize: number;
  private recentPos = 0;

  constructor(name: string | undefined, recentSize: number) {
    this.name = name;
    this.recentSize = recentSize;
    this.recent = new EventTable<RecentEvent>(recentSize);
  }

  wasEmitted(serial: number, stamp: number): boolean {
    return this.recent.get(this, serial)?.stamp === stamp;
  }

  remember(serial: number, stamp: number): void {
    const known = this.recent.get(this, serial);
    if (known !== undefined) {
      known.stamp = stamp; // a reused serial: the newer event is the one records can be late for
      return;
    }
    let r = this.recentRing[this.recentPos];
    if (r === undefined) this.recentRing.push((r = { ns: this, serial, stamp, prev: undefined, next: undefined, slot: -1 }));
    else {
      this.recent.remove(r);
      r.serial = serial;
      r.stamp = stamp;
    }
    this.recent.add(r);
    this.recentPos = this.recentPos + 1 === this.recentSize ? 0 : this.recentPos + 1;
  }

  /** The candidate within `window` of serial, removed from the list; -1 if none. */
  takeCandidate(serial: number, window: number): number {
    const c = this.candidates;
    for (let i = 0; i < this.candidateCount; i++) {
      const d = serialDiff(c[i], serial);
      if (d > window || d < -window) continue;
      const found = c[i];
      // order among candidates does not matter: fill the hole with the last one
      this.candidateCount--;
      c[i] = c[this.candidateCount];
      this.candidatePos = this.candidateCount;
      return found;
    }
    return -1;
  }

  /** Adds a candidate; returns true when that pushed an older one (never confirmed) out. */
  addCandidate(serial: number): boolean {
    if (this.candidateCount < CANDIDATES) {
      this.candidates[this.candidateCount++] = serial;
      this.candidatePos = this.candidateCount % CANDIDATES;
      return false;
    }
    this.candidates[this.candidatePos] = serial;
    this.candidatePos = (this.candidatePos + 1) % CANDIDATES;
    return true;
  }
}

function newGap(start: number, len: number, at: number): Gap {
  return { start, len, at, origin: start, reported: false };
}

/** Signed distance from a to b on the uint32 serial circle (b - a), in [-2^31, 2^31). */
function serialDiff(a: number, b: number): number {
  return (b - a) | 0;
}

// How a serial relates to its node's sequence (track()).
const IN_SEQUENCE = 0,
  OUTLIER = 1,
  CONFIRMED_JUMP = 2;

// Open events of outlier serials kept apart from the real ones; past this the oldest goes out.
const STRAY_LIMIT = 256;

// Closing older events on a completion scans the oldest open events; this bounds that scan so a
// flood of another node's open events cannot make every completion O(maxInFlight).
const WINDOW_SCAN_LIMIT = 64;

export class Reassembler<R extends RecordKey = AuditRecord> {
  readonly counters: ReassemblerCounters = { records: 0, events: 0, lost: 0, evicted: 0, expired: 0, late: 0, resyncs: 0, outliers: 0 };

  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly window: number;
  private readonly maxGap: number;
  private readonly onEvent: (records: R[]) => void;
  private readonly onLost: ReassemblerOptions<R>['onLost'];

  /** Emitted events' objects, for open1() to reuse (see emit()). */
  private readonly spare: OpenEvent<R>[] = [];
  /** Open events in arrival order of their first record. */
  private readonly open: EventTable<OpenEvent<R>>;
  /** Open events of outlier serials, in arrival order. */
  private readonly strays = new EventTable<OpenEvent<R>>(STRAY_LIMIT + 1);
  private readonly nodes = new Map<string | undefined, NodeState>();
  private lastNodeName: string | undefined = undefined;
  private lastNode: NodeState | undefined;
  /** The audit clock: newest event time seen, epoch ms. */
  private clock = -Infinity;
  /** No open event opened before this audit time: while clock - floor <= timeout, none expired. */
  private floor = Infinity;

  constructor(opts: ReassemblerOptions<NoInfer<R>>) {
    this.maxInFlight = Math.max(1, Math.floor(opts.maxInFlight ?? 1000));
    this.timeoutMs = Math.max(0, opts.timeoutMs ?? 2000);
    this.window = Math.max(1, Math.floor(opts.windowSerials ?? 64));
    this.maxGap = Math.max(1, Math.min(0x3fffffff, Math.floor(opts.maxGap ?? 1_000_000)));
    this.onEvent = opts.onEvent;
    this.onLost = opts.onLost;
    this.open = new EventTable<OpenEvent<R>>(Math.min(this.maxInFlight + 1, 4096));
  }

  /** Open events right now. */
  get inFlight(): number {
    return this.open.size + this.strays.size;
  }

  /**
   * The serial that would continue `node`'s sequence now (its newest plus one), or undefined
   * before the node has one: a gap noticed later whose origin is this serial began here.
   */
  nextSerial(node: string | undefined): number | undefined {
    const ns = this.nodes.get(node);
    return ns?.hasHi ? (ns.hi + 1) >>> 0 : undefined;
  }

  /** The audit clock (newest event time seen, epoch ms), or -Infinity before any record. */
  get auditClock(): number {
    return this.clock;
  }

  /**
   * One record. `from`: where the caller read it (a file offset), so that heldFrom() can say
   * where the oldest event still held began; -1 when there is no such place (netlink).
   */
  push(rec: R, from = -1): void {
    this.counters.records++;
    const typeId = rec.typeId;

    // auditd's own records: own serial counter; their time does not drive the clock either
    if (isDaemonRecord(typeId)) {
      this.deliver([rec]);
      this.expireOldest();
      return;
    }

    const serial = rec.serial >>> 0;
    const stamp = rec.time;
    const ns = this.nodeState(rec.node);
    const seq = this.track(ns, serial, stamp > this.clock ? stamp : this.clock);
    if (seq !== OUTLIER && stamp > this.clock) this.clock = stamp;
    if (ns.gaps.length > 0) this.settleGaps(ns, this.clock, false);

    // the jump's first record was held as a stray: its event is a real one after all
    if (seq === CONFIRMED_JUMP && this.strays.size > 0) this.promote(ns, ns.confirmed);
    let ev = this.open.get(ns, serial);
    if (ev === undefined && this.strays.size > 0) ev = this.strays.get(ns, serial);
    if (ev !== undefined && ev.stamp !== stamp) {
      // the same serial at another time is another event (the counter restarted): the held one
      // has seen its last record
      ev.table.remove(ev);
      this.emit(ev);
      ev = undefined;
    }

    if (typeId === AUDIT_EOE) {
      // EOE after PROCTITLE already closed the event is the normal netlink case, not lateness.
      if (ev !== undefined) this.complete(ev);
      else if (!ns.wasEmitted(serial, stamp)) {
        // an EOE alone: every other record of the event was dropped (a multicast reader's full
        // buffer), or they are still to come (a garbled stream). Its serial was seen, so no gap
        // counts it: it waits as an empty event, and one that closes still empty is counted lost.
        this.open1(seq === OUTLIER ? this.strays : this.open, ns, serial, stamp, from, undefined, false);
      }
      this.expireOldest();
      return;
    }

    if (ev === undefined) {
      if (ns.wasEmitted(serial, stamp)) {
        // more of an event already out: these records become one late event, which closes like
        // any other (PROCTITLE still ends it: its SYSCALL came with the part already emitted)
        this.counters.late++;
        ev = this.open1(this.open, ns, serial, stamp, from, rec, true);
      } else if (isUserMessage(typeId)) {
        // one record, one event: no need to open it
        if (seq !== OUTLIER) {
          this.closeOlder(ns, serial);
          ns.remember(serial, stamp);
        }
        this.deliver([rec]);
        this.expireOldest();
        return;
      } else {
        ev = this.open1(seq === OUTLIER ? this.strays : this.open, ns, serial, stamp, from, rec, false);
      }
    } else {
      if (ev.late) this.counters.late++;
      ev.records.push(rec);
    }

    if (typeId === AUDIT_SYSCALL || typeId === AUDIT_URINGOP) ev.hasSyscall = true;
    else if ((typeId === AUDIT_PROCTITLE && ev.hasSyscall) || isUserMessage(typeId)) this.complete(ev);
    this.expireOldest();
  }

  /** Opens an event in `table` (open, or strays for an outlier's serial); `rec` undefined for a lone EOE. */
  private open1(table: EventTable<OpenEvent<R>>, ns: NodeState, serial: number, stamp: number, from: number, rec: R | undefined, late: boolean): OpenEvent<R> {
    // opened at the audit clock, not the record's own time: an outlier's wild time must not
    // keep it open forever or expire it at once (before the clock starts there is only that)
    const time = this.clock === -Infinity ? stamp : this.clock;
    const records = rec === undefined ? [] : [rec];
    let ev = this.spare.pop();
    if (ev === undefined) ev = { table, ns, serial, stamp, time, from, records, hasSyscall: late, late, prev: undefined, next: undefined, slot: -1 };
    else {
      ev.table = table;
      ev.ns = ns;
      ev.serial = serial;
      ev.stamp = stamp;
      ev.time = time;
      ev.from = from;
      ev.records = records;
      ev.hasSyscall = late;
      ev.late = late;
    }
    table.add(ev);
    if (time < this.floor) this.floor = time;
    if (this.open.size > this.maxInFlight) this.evictOldest();
    if (this.strays.size > STRAY_LIMIT) this.emitOldest(this.strays);
    return ev;
  }

  /**
   * Where the oldest event still held began (the smallest `from` given to push() among open
   * events), or undefined when nothing is held: a file input keeps its checkpoint there, so a
   * restart reads the held events whole.
   */
  heldFrom(): number | undefined {
    // open events are in arrival order but for promoted strays, so all are looked at (callers
    // ask once per batch of lines, not per line)
    let min = Infinity;
    for (const table of [this.open, this.strays]) {
      for (let ev = table.first; ev !== undefined; ev = ev.next) if (ev.from >= 0 && ev.from < min) min = ev.from;
    }
    return min === Infinity ? undefined : min;
  }

  /**
   * End of input for a source that will be read again from heldFrom() (a file input at
   * shutdown): the open events are handed back instead of emitted, and no gap is declared
   * lost, so the next run sees them whole and decides then.
   */
  release(): R[][] {
    const held: R[][] = [];
    for (const table of [this.open, this.strays]) {
      for (let ev = table.first; ev !== undefined; ev = ev.next) if (ev.records.length > 0) held.push(ev.records);
      table.clear();
    }
    for (const ns of this.nodes.values()) ns.gaps = [];
    return held;
  }

  /**
   * Emits events that have timed out on the audit clock and declares timed-out gaps lost.
   * `idleMs`: how long the input has had nothing new (wall time, known to the caller); it moves
   * the audit clock forward so the last events of a quiet stream still come out.
   */
  maintain(idleMs = 0): void {
    // idle longer than the timeout: every open event has had its chance, whatever the clock says
    const now = idleMs > this.timeoutMs ? Infinity : this.clock + Math.max(0, idleMs);
    this.expireUpTo(now);
    for (const ns of this.nodes.values()) this.settleGaps(ns, now, false);
  }

  /**
   * End of input: emits every open event (per node, in serial order), then the strays, and
   * settles all gaps.
   */
  flush(): void {
    for (const table of [this.open, this.strays]) {
      const byNode = new Map<NodeState, OpenEvent<R>[]>();
      for (let ev = table.first; ev !== undefined; ev = ev.next) {
        let list = byNode.get(ev.ns);
        if (list === undefined) byNode.set(ev.ns, (list = []));
        list.push(ev);
      }
      table.clear();
      for (const list of byNode.values()) {
        // rollover-aware: 4294967295 sorts before 0
        list.sort((a, b) => serialDiff(b.serial, a.serial));
        for (const ev of list) this.emit(ev);
      }
    }
    for (const ns of this.nodes.values()) {
      this.counters.outliers += ns.candidateCount;
      ns.candidateCount = 0;
      this.settleGaps(ns, this.clock, true);
    }
  }

  private nodeState(name: string | undefined): NodeState {
    if (this.lastNode !== undefined && name === this.lastNodeName) return this.lastNode;
    let ns = this.nodes.get(name);
    if (ns === undefined) {
      ns = new NodeState(name, Math.max(4096, 2 * this.maxInFlight));
      this.nodes.set(name, ns);
    }
    this.lastNodeName = name;
    this.lastNode = ns;
    return ns;
  }

  /**
   * Sequence bookkeeping for one serial seen on a node: IN_SEQUENCE, OUTLIER (a jump not
   * confirmed yet) or CONFIRMED_JUMP (ns.confirmed then holds the jump's first serial).
   * `now`: the audit clock this record will set if it is believed (gaps are dated with it).
   */
  private track(ns: NodeState, serial: number, now: number): number {
    // a node's first serial is a jump from nowhere: it too needs a second record to agree
    const d = ns.hasHi ? serialDiff(ns.hi, serial) : this.window + 1;
    if (d > this.window || d < -this.maxGap) {
      const first = ns.candidateCount > 0 ? ns.takeCandidate(serial, this.window) : -1;
      if (first >= 0) {
        ns.confirmed = first;
        const p = serialDiff(first, serial);
        this.jump(ns, p >= 0 ? first : serial, p >= 0 ? serial : first, now);
        return CONFIRMED_JUMP;
      }
      if (ns.addCandidate(serial)) this.counters.outliers++;
      return OUTLIER;
    }
    if (d === 1) {
      ns.hi = serial;
    } else if (d > 1) {
      ns.gaps.push(newGap((ns.hi + 1) >>> 0, d - 1, now));
      ns.hi = serial;
    } else if (d < 0 && ns.gaps.length > 0) {
      this.fillGap(ns, serial);
    }
    return IN_SEQUENCE;
  }

  /** Moves the sequence to a confirmed jump whose two records have serials lo <= hi. */
  private jump(ns: NodeState, lo: number, hi: number, now: number): void {
    const d = serialDiff(ns.hi, lo);
    if (!ns.hasHi) {
      ns.hasHi = true;
    } else if (d > 0 && d - 1 <= this.maxGap) {
      if (d > 1) ns.gaps.push(newGap((ns.hi + 1) >>> 0, d - 1, now));
    } else {
      this.counters.resyncs++;
      // gaps before the restart were real losses of the old sequence
      this.settleGaps(ns, this.clock, true);
    }
    const between = serialDiff(lo, hi);
    if (between > 1) ns.gaps.push(newGap((lo + 1) >>> 0, between - 1, now));
    ns.hi = hi;
  }

  /** The stray event of a serial whose jump was confirmed joins the real open events. */
  private promote(ns: NodeState, serial: number): void {
    const ev = this.strays.get(ns, serial);
    if (ev === undefined) return;
    this.strays.remove(ev);
    ev.table = this.open;
    // a stray may have opened before the clock started; it is as fresh as the confirmation
    ev.time = this.clock;
    if (ev.time < this.floor) this.floor = ev.time;
    this.open.add(ev);
  }

  /** A serial behind the newest arrived: if it was in a gap, it was out of order, not lost. */
  private fillGap(ns: NodeState, serial: number): void {
    const gaps = ns.gaps;
    for (let i = 0; i < gaps.length; i++) {
      const g = gaps[i];
      const off = (serial - g.start) >>> 0;
      if (off >= g.len) continue;
      if (g.len === 1) gaps.splice(i, 1);
      else if (off === 0) {
        g.start = (g.start + 1) >>> 0;
        g.len--;
      } else if (off === g.len - 1) g.len--;
      else {
        gaps.splice(i + 1, 0, { start: (serial + 1) >>> 0, len: g.len - off - 1, at: g.at, origin: g.origin, reported: false });
        g.len = off;
      }
      return;
    }
  }

  /**
   * Declares missing serials lost once they are too old to arrive out of order: `maxInFlight`
   * serials behind the newest, or a gap older than the timeout on the audit clock.
   */
  private settleGaps(ns: NodeState, now: number, all: boolean): void {
    const gaps = ns.gaps;
    let n = 0;
    while (n < gaps.length) {
      const g = gaps[n];
      if (all || now - g.at > this.timeoutMs) {
        this.lost(g, g.len, ns);
        n++;
        continue;
      }
      // serials of the gap at least maxInFlight behind the newest
      const settled = Math.min(g.len, serialDiff(g.start, ns.hi) - this.maxInFlight + 1);
      if (settled <= 0) break;
      this.lost(g, settled, ns);
      if (settled < g.len) {
        g.start = (g.start + settled) >>> 0;
        g.len -= settled;
        break;
      }
      n++;
    }
    if (n > 0) gaps.splice(0, n);
  }

  private lost(g: Gap, count: number, ns: NodeState): void {
    this.counters.lost += count;
    const fresh = !g.reported;
    g.reported = true;
    this.onLost?.(count, ns.name, g.origin, fresh);
  }

  private complete(ev: OpenEvent<R>): void {
    ev.table.remove(ev);
    if (ev.table === this.open) this.closeOlder(ev.ns, ev.serial);
    this.emit(ev);
  }

  /** Closes open events of the node `window` serials or more behind a completed serial. */
  private closeOlder(ns: NodeState, serial: number): void {
    let scanned = 0;
    let next: OpenEvent<R> | undefined;
    for (let ev = this.open.first; ev !== undefined; ev = next) {
      next = ev.next;
      if (++scanned > WINDOW_SCAN_LIMIT) break;
      if (ev.ns !== ns) continue;
      const d = serialDiff(ev.serial, serial);
      // arrival order follows serial order closely: the first recent one ends the scan; one
      // ahead of the completed serial (interleaved) or too far from it to compare is passed over
      if (d < 0 || d > this.maxGap) continue;
      if (d < this.window) break;
      this.open.remove(ev);
      this.emit(ev);
    }
  }

  private evictOldest(): void {
    this.counters.evicted++;
    this.emitOldest(this.open);
  }

  private emitOldest(table: EventTable<OpenEvent<R>>): void {
    const ev = table.first;
    if (ev === undefined) return;
    table.remove(ev);
    this.emit(ev);
  }

  /** Emits the events that have timed out; on most records one comparison says there are none. */
  private expireOldest(): void {
    // written so that NaN (clock not started) means "not expired"
    if (this.clock - this.floor > this.timeoutMs) this.expireUpTo(this.clock);
  }

  private expireUpTo(now: number): void {
    // real events open in arrival order at a clock that only grows: stop at the first fresh one
    let floor = Infinity;
    let next: OpenEvent<R> | undefined;
    for (let ev = this.open.first; ev !== undefined; ev = next) {
      next = ev.next;
      if (!(now - ev.time > this.timeoutMs)) {
        floor = ev.time;
        break;
      }
      this.open.remove(ev);
      this.counters.expired++;
      this.emit(ev);
    }
    // strays can open before the clock starts, at their own times: all of them (few) are looked at
    for (let ev = this.strays.first; ev !== undefined; ev = next) {
      next = ev.next;
      if (!(now - ev.time > this.timeoutMs)) {
        if (ev.time < floor) floor = ev.time;
        continue;
      }
      this.strays.remove(ev);
      this.counters.expired++;
      this.emit(ev);
    }
    this.floor = floor;
  }

  private emit(ev: OpenEvent<R>): void {
    // a stray's serial is not the node's: remembering it would make a restart's records late
    if (ev.table === this.open) ev.ns.remember(ev.serial, ev.stamp);
    if (ev.records.length === 0) {
      // a stray EOE never confirmed is a garbled serial, not an event
      if (ev.table === this.open) {
        this.counters.lost++;
        this.onLost?.(1, ev.ns.name, ev.serial, true);
      }
      return;
    }
    // Let go of the records, and keep the emptied event for the next one to open: an event that
    // outlives its emission (a young-generation GC finds it referenced from the old generation,
    // as the Map that held open events did from its old hash tables) keeps no records alive,
    // and the events themselves are not new garbage each time.
    const records = ev.records;
    ev.records = NO_RECORDS;
    this.deliver(records);
    if (this.spare.length < SPARE_EVENTS) this.spare.push(ev);
  }

  private deliver(records: R[]): void {
    this.counters.events++;
    this.onEvent(records);
  }
}
