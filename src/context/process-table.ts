// The process table: one entry per process, fed by every record (exec events of the kernel,
// audit.log and snoopy; clone and exit_group when the rules audit them; any record of an unknown
// pid) and, for a live host, by /proc: all of it at start and each unknown pid on first sight.
// Records read it for their context (parent, leaders, container, labels). Bounded: a Map in
// least-recently-used order; the oldest entries go when it is full.
//
// An entry is one process, not one pid: when a pid is reused the new process gets a new entry, and
// a child keeps a reference to the parent it was born to, so its parent stays right even after
// that pid is recycled. Live, reuse is told by the start time in /proc/PID/stat, read again on an
// exec or when a record names another parent; from events alone, by a clone returning the pid,
// an exit_group, or an exec under another parent.
//
// Entries are compact (the table holds up to max_processes of them): numbers where a number
// does, executables, names, sessions and argument lists shared between entries (Interner), the
// start date and the ancestry made when a record asks for them rather than kept.
import { readdirSync } from 'node:fs';
import type { NormalizedRecord } from '../record.js';
import { baseName } from '../filters/fields.js';
import { CLOCK_TICKS_PER_SECOND, bootTimeMs, parseStat, readCmdline, readExe, readStat, readText, type ProcStat } from './proc.js';
import type { ProcSnapshot, ProcSnapshots } from './proc-snapshots.js';
import { CgroupCache, type CgroupEntry } from './cgroup.js';
import { entityId } from './entity.js';
import { Interner } from './intern.js';
import type { LabelRules } from './labels.js';

const CLOCK_SPAN = 2 ** 30;
const CLOCK_SHIFT = 2 ** 29;

export interface ProcEntry {
  pid: number;
  /** 0 while unknown */
  ppid: number;
  entityId: string;
  /** ISO 8601 (see startOf()): from events, the clone that made it; live, made from startTicks on first use */
  start: string | undefined;
  /** /proc start ticks, live only: what tells a reused pid */
  startTicks: number | undefined;
  comm: string | undefined;
  exe: string | undefined;
  /**
   * argv, shared between entries with the same one: its arguments joined by NUL until a child's
   * record asks for it as process.parent.args, then the frozen array (argsOf). Most processes
   * never have a child: the text is half what an array of strings costs (~48 bytes a process).
   */
  args: string | readonly string[] | undefined;
  /** audit session id (ses=), undefined when unset */
  ses: string | undefined;
  cgroup: Readonly<CgroupEntry> | undefined;
  labels: readonly string[] | undefined;
  parent: ProcEntry | undefined;
  sessionLeader: ProcEntry | undefined;
  groupLeader: ProcEntry | undefined;
  entryLeader: ProcEntry | undefined;
  /** what records show of it as their leader, made on first use and shared (see ContextStage); reset when its image changes */
  asLeader: object | undefined;
  /** the ancestry of its children (itself first), shared by all their records while it was made in the table's current lineage epoch */
  kidsAncestry: SharedAncestry | undefined;
  /** how many processes before it had the same pid and start tick (see blank()) */
  gen: number;
  /** last time a record touched it: ms since the table was made (a small integer, stored unboxed) */
  seen: number;
  /** the table's move count when it last went to the young end */
  moved: number;
  /**
   * Live, for a process /proc no longer showed when it was first met: the epoch ms by which it
   * was gone, so a record from after that is of a later process on the same pid (0: not known).
   */
  goneBy: number;
}

/** The table's lineage epoch a shared ancestry was made in (see ancestryOf). */
const kLineage: unique symbol = Symbol('lineage');

/**
 * The process.Ext object records carry for an ancestry, shared and frozen, with the lineage epoch
 * it was made in under a non-enumerable symbol (JSON and copies of records skip it): one object
 * per parent instead of a holder beside it (~40 bytes a parent). A class, so that the symbol gets
 * a slot in the object; added to a plain object it went to a property array as large as the
 * holder.
 */
export class SharedAncestry {
  readonly ancestry: readonly string[];
  declare readonly [kLineage]: number;
  constructor(ids: readonly string[], lineage: number) {
    this.ancestry = ids;
    Object.defineProperty(this, kLineage, { value: lineage });
    Object.freeze(this);
  }
}

export interface ProcessTableOptions {
  /** Most processes remembered. Default 32768 (the kernel's default pid_max). */
  maxEntries?: number;
  /** Read /proc at start and on unknown pids. Off for replaying logs, where live pids mean nothing. */
  proc?: boolean;
  /** Read /proc/PID/cgroup of live processes (container, pod, systemd unit). */
  cgroups?: boolean;
  /** Entries untouched this long whose /proc entry is gone are pruned. Default 10 minutes. */
  idleMs?: number;
  /** This host's id (machine-id) for live entity ids */
  hostId?: string;
  /** most ancestors listed per process */
  maxAncestry?: number;
  labels?: LabelRules;
  /** redacts argv before it is kept (a parent's args reach records the redactor never saw) */
  redactArgs?: (args: readonly string[]) => string[] | undefined;
  procRoot?: string;
  /** what the netlink reader read of /proc as each exec event came (used only with `proc`) */
  snapshots?: ProcSnapshots;
  now?: () => number;
}

export interface ProcessTableCounters {
  entries: number;
  created: number;
  /** pids seen again as a new process */
  reused: number;
  exited: number;
  evicted: number;
  pruned: number;
  /** /proc reads of unknown pids */
  procReads: number;
  /** unknown pids whose /proc entry was already gone: known only from their records */
  procGone: number;
  /** of those, how many needed no read: the pid was seen free after the record's time */
  procGoneKnown: number;
  /** of those, how many took their cgroup (container, pod, unit) from their parent */
  cgroupFromParent: number;
  /** exec records whose process /proc showed as the event came (the netlink reader's snapshot) */
  procSnapshots: number;
}

/** What exclude_spawns_of needs of a table (the table itself, or the context stage over two). */
export interface AncestryLookup {
  observe(rec: NormalizedRecord): unknown;
  hasAncestorNamed(rec: NormalizedRecord, names: ReadonlySet<string>): boolean;
  prune(): number;
  stats(): object;
  /** Called by a filter that walks the table: it must be fed every record (see ContextStage). */
  retain?(): void;
}

const UNSET_SESSION = '4294967295';
const EXIT_SYSCALLS = new Set(['exit_group']);
const FORK_SYSCALLS = new Set(['clone', 'clone3', 'fork', 'vfork']);

export class ProcessTable implements AncestryLookup {
  private readonly map = new Map<number, ProcEntry>();
  private readonly max: number;
  readonly proc: boolean;
  private readonly cgroups: boolean;
  private readonly idleMs: number;
  private readonly root: string;
  private readonly snapshots: ProcSnapshots | undefined;
  private readonly now: () => number;
  private readonly hostId: string;
  private readonly maxAncestry: number;
  private readonly labels: LabelRules | undefined;
  private readonly redactArgs: ((args: readonly string[]) => string[] | undefined) | undefined;
  private readonly cgroupCache = new CgroupCache();
  private readonly shared = new Interner();
  /** what `seen` counts from (moved forward every 2^29 ms: see clock()) */
  private epoch: number;
  /** bumped whenever a known process gets another parent: every shared ancestry made before is stale */
  private lineage = 0;
  /** LRU moves so far (see touch()) */
  private moves = 0;
  /**
   * Walks the map from its least recently used end, kept from one eviction to the next: a new
   * iterator starts at the map's first slot and steps over every slot freed at the front since
   * V8 last compacted the table, thousands per eviction in a full table (most of an exec storm's
   * table cost). Map iterators are live: entries added or moved later are met in their new place.
   */
  private oldest: IterableIterator<number> | undefined;
  /** the last process of each recently freed pid: a successor started in the same tick needs another id */
  private readonly retired = new Map<number, ProcEntry>();
  private readonly bootMs: number | undefined;
  /**
   * Pids /proc showed free, with the wall time (ms) just before it was asked. A record from
   * before that time is of a process that was gone by then for good (a process keeps its pid for
   * life), so /proc cannot tell anything about it any more: a log replayed from another time
   * names the same gone pids again and again, and each costs a lookup only once.
   */
  private readonly freeAt = new Map<number, number>();
  /** set by fromProc when it found the pid free: the epoch ms just after it asked (0: it did not ask, or the pid was taken) */
  private goneAsked = 0;
  readonly counters: ProcessTableCounters = {
    entries: 0,
    created: 0,
    reused: 0,
    exited: 0,
    evicted: 0,
    pruned: 0,
    procReads: 0,
    procGone: 0,
    procGoneKnown: 0,
    cgroupFromParent: 0,
    procSnapshots: 0,
  };

  constructor(opts: ProcessTableOptions = {}) {
    this.max = opts.maxEntries ?? 32768;
    this.proc = opts.proc ?? true;
    this.cgroups = this.proc && (opts.cgroups ?? true);
    this.idleMs = opts.idleMs ?? 600_000;
    this.root = opts.procRoot ?? '/proc';
    this.snapshots = this.proc ? opts.snapshots : undefined;
    this.now = opts.now ?? Date.now;
    this.hostId = opts.hostId ?? '';
    this.maxAncestry = opts.maxAncestry ?? 8;
    this.labels = opts.labels !== undefined && opts.labels.size > 0 ? opts.labels : undefined;
    this.redactArgs = opts.redactArgs;
    this.epoch = this.now();
    this.bootMs = this.proc ? bootTimeMs(this.root) : undefined;
    if (this.proc) this.loadProc();
  }

  get size(): number {
    return this.map.size;
  }

  /** Every running process, as /proc shows it now. */
  loadProc(): void {
    let names: string[];
    try {
      names = readdirNumeric(this.root);
    } catch {
      return;
    }
    for (const n of names) this.lookup(Number(n), 0);
  }

  /** The entry of a pid, without touching its recency or reading /proc. */
  peek(pid: number): ProcEntry | undefined {
    return this.map.get(pid);
  }

  /** The entry of a pid: from the table, else (live) from /proc; undefined when unknown. */
  lookup(pid: number, depth = 0): ProcEntry | undefined {
    const hit = this.map.get(pid);
    if (hit !== undefined) return this.touch(hit);
    if (!this.proc || pid <= 0) return undefined;
    return this.fromProc(pid, undefined, depth);
  }

  /**
   * ms since `epoch`, as a small integer: a double written once into `seen` (a subtraction of two
   * Date.now()s is one before the code is optimized) makes V8 box the field in every entry, 16
   * bytes each (445 -> 427 bytes a process at 100,000). Within ±2^30 it always is; past that the
   * epoch moves so that now is 2^29 (every ~6 days), and every entry's `seen` with it.
   */
  private clock(): number {
    const t = this.now() - this.epoch;
    if (t < CLOCK_SPAN && t > -CLOCK_SPAN) return t | 0;
    if (t < 0) return -CLOCK_SPAN;
    const shift = t - CLOCK_SHIFT;
    this.epoch += shift;
    for (const e of this.map.values()) e.seen = Math.max(-CLOCK_SPAN, e.seen - shift) | 0;
    return CLOCK_SHIFT;
  }

  private touch(e: ProcEntry): ProcEntry {
    e.seen = this.clock();
    // approximately LRU: an entry moved to the young end within the last quarter of the table's
    // worth of moves stays where it is (a Map's delete + set per record is most of the cost)
    if (this.moves - e.moved > this.max >> 2) {
      e.moved = ++this.moves;
      this.map.delete(e.pid);
      this.map.set(e.pid, e);
    }
    return e;
  }

  private put(e: ProcEntry): void {
    e.moved = ++this.moves;
    this.map.delete(e.pid);
    this.map.set(e.pid, e);
    this.counters.created++;
    if (this.map.size > this.max) this.evictOldest();
  }

  private evictOldest(): void {
    // Map iterates in insertion order: the next key is the least recently used
    let next = this.oldest?.next();
    if (next === undefined || next.done === true) {
      this.oldest = this.map.keys();
      next = this.oldest.next();
    }
    this.map.delete(next.value as number);
    this.counters.evicted++;
  }

  /**
   * A live process read from /proc; undefined (counted) when it is already gone. `rec` is the
   * record that revealed it: what it says (exe, args of an exec) spares reads. `atMs`: when a
   * record showed this pid in use (epoch ms), if one did. `snap`: /proc as the record's event came,
   * read instead of /proc now.
   */
  private fromProc(pid: number, rec: NormalizedRecord | undefined, depth: number, atMs?: number, snap?: ProcSnapshot): ProcEntry | undefined {
    let asked: number | undefined;
    this.goneAsked = 0;
    if (atMs !== undefined && snap === undefined) {
      const free = this.freeAt.get(pid);
      // strictly before: both times are whole ms, the event anywhere in its ms
      if (free !== undefined && atMs < free) {
        this.counters.procGone++;
        this.counters.procGoneKnown++;
        return undefined;
      }
      asked = Date.now();
    }
    this.counters.procReads++;
    const st = this.statOf(pid, snap);
    const p = rec?.process;
    const ppid = p?.parent?.pid;
    // the pid may have been reused between the event and now: /proc then shows a process under
    // another parent (not merely reparented to init), which is not the record's
    if (st === undefined || (ppid !== undefined && st.ppid !== ppid && st.ppid !== 1)) {
      // only a free pid says the record's process is gone for sure (one under another parent may
      // be it, reparented to a subreaper)
      if (asked !== undefined && st === undefined) {
        this.goneAsked = Date.now();
        if (this.freeAt.size >= 4096) this.freeAt.clear();
        this.freeAt.set(pid, asked);
      }
      this.counters.procGone++;
      return undefined;
    }
    // exited and retired already, waiting for its parent to reap it: the same process, not a
    // successor that took the pid within the same tick
    const was = st.zombie ? this.retired.get(pid) : undefined;
    if (was !== undefined && was.startTicks === st.startTicks) return was;
    const isExec = rec !== undefined && rec.event.action === 'executed';
    const e = this.blank(pid, st.ppid, st.startTicks);
    e.comm = this.shared.str(p?.name ?? st.comm);
    e.exe = this.shared.str(p?.executable ?? readExe(this.root, pid));
    e.args = this.keepArgs(isExec ? p?.args : undefined) ?? this.keepArgs(readCmdline(this.root, pid));
    const ses = (rec?.audit?.session as string | undefined) ?? readText(this.root, pid, 'sessionid');
    e.ses = ses === undefined || ses === UNSET_SESSION ? undefined : this.shared.str(ses);
    // a zombie has left its cgroups: /proc shows it in every hierarchy's root
    if (this.cgroups && !st.zombie) {
      const text = snap?.cgroup ?? readText(this.root, pid, 'cgroup');
      if (text !== undefined) e.cgroup = this.cgroupCache.get(text);
    }
    this.put(e);
    this.link(e, depth, st.sid, st.pgid, st.zombie);
    return e;
  }

  /** /proc/PID/stat as the reader read it at the event (`snap`), else as it is now. */
  private statOf(pid: number, snap: ProcSnapshot | undefined): ProcStat | undefined {
    return snap !== undefined ? parseStat(snap.stat) : readStat(this.root, pid);
  }

  /**
   * @param seedMs when the start is not known: the time the process was first seen (its record's
   * time), which seeds its entity id; `bornMs` says that time is its start (a clone record)
   */
  private blank(pid: number, ppid: number, startTicks: number | undefined, seedMs?: number, bornMs?: number): ProcEntry {
    const known = startTicks !== undefined && Number.isFinite(startTicks);
    // start ticks count 10 ms: a pid freed and taken again within one tick keeps pid and start,
    // so the successor's id says which one it is
    // (and from events alone, a pid reused within the millisecond it was first seen in)
    const before = this.retired.get(pid);
    const gen = before !== undefined && before.startTicks === (known ? startTicks : undefined) ? before.gen + 1 : 0;
    // a live start is made from startTicks when a record asks for it (startOf)
    const start = !known && bornMs !== undefined && Number.isFinite(bornMs) ? new Date(bornMs).toISOString() : undefined;
    return {
      pid,
      ppid,
      entityId: known ? entityId(this.hostId, pid, startTicks, false, gen) : entityId(this.hostId, pid, seedMs ?? this.now(), true, gen),
      gen,
      start,
      startTicks: known ? startTicks : undefined,
      comm: undefined,
      exe: undefined,
      args: undefined,
      ses: undefined,
      cgroup: undefined,
      labels: undefined,
      parent: undefined,
      sessionLeader: undefined,
      groupLeader: undefined,
      entryLeader: undefined,
      asLeader: undefined,
      kidsAncestry: undefined,
      seen: this.clock(),
      moved: 0,
      goneBy: 0,
    };
  }

  /** When the process started (ISO 8601), if known. */
  startOf(e: ProcEntry): string | undefined {
    if (e.start === undefined && e.startTicks !== undefined && this.bootMs !== undefined) {
      e.start = new Date(this.bootMs + (e.startTicks * 1000) / CLOCK_TICKS_PER_SECOND).toISOString();
    }
    return e.start;
  }

  private keepArgs(args: readonly string[] | undefined): string | readonly string[] | undefined {
    if (args === undefined) return undefined;
    return this.shared.argText(this.redactArgs?.(args) ?? args);
  }

  /** A process's argv as records carry it: one frozen array, shared and never written to. */
  argsOf(e: ProcEntry): readonly string[] | undefined {
    const a = e.args;
    if (typeof a !== 'string') return a;
    const list = this.shared.argList(a);
    e.args = list;
    return list;
  }

  /**
   * Parent, leaders (from /proc's session and group ids) and inherited labels of a new entry;
   * `gone`: its own cgroup could not be read (it had exited), so it takes its parent's.
   */
  private link(e: ProcEntry, depth: number, sid?: number, pgid?: number, gone = false): void {
    const parent = e.ppid > 0 && e.ppid !== e.pid && depth < 256 ? this.lookup(e.ppid, depth + 1) : undefined;
    e.parent = parent;
    if (gone && this.cgroups && parent?.cgroup !== undefined) {
      // it was born in its parent's cgroup (fork), and runtimes never move a container's
      // processes out, so the parent's container is its container
      e.cgroup = parent.cgroup;
      this.counters.cgroupFromParent++;
    }
    if (this.labels !== undefined && parent !== undefined) e.labels = this.labels.inherited(parent.labels);
    if (sid !== undefined && Number.isFinite(sid)) e.sessionLeader = sid === e.pid ? e : this.leader(sid, depth);
    if (pgid !== undefined && Number.isFinite(pgid)) e.groupLeader = pgid === e.pid ? e : this.leader(pgid, depth);
    e.entryLeader = this.entryLeaderOf(e);
  }

  private leader(pid: number, depth: number): ProcEntry | undefined {
    if (pid <= 0 || depth >= 256) return undefined;
    return this.map.get(pid) ?? (this.proc ? this.fromProc(pid, undefined, depth + 1) : undefined);
  }

  /**
   * The process that began the login session, as Elastic's Session View reads it: the first
   * process of a new audit session (sshd's session child, login, a cron job: whoever pam_loginuid
   * gave the session), of a container (its init), or, for daemons outside any session, the one
   * pid 1 started. Undefined when the ancestry is not known far enough to tell.
   */
  private entryLeaderOf(e: ProcEntry): ProcEntry | undefined {
    const p = e.parent;
    if (e.pid === 1) return e;
    if (p === undefined) return e.ppid === 1 ? e : undefined;
    if (p.pid === 1 || p.pid === 0) return e;
    if (e.cgroup?.containerId !== p.cgroup?.containerId) return e;
    if (e.ses !== p.ses) return e;
    return p.entryLeader;
  }

  /** An entry known only from a record (no /proc, or the process is gone). */
  private fromRecord(rec: NormalizedRecord, pid: number, ppid: number, seedMs: number, atMs: number | undefined): ProcEntry {
    const p = rec.process!;
    const e = this.blank(pid, ppid, undefined, seedMs);
    e.goneBy = this.goneAsked;
    e.comm = this.shared.str(p.name ?? (p.executable !== undefined ? baseName(p.executable) : undefined));
    e.exe = this.shared.str(p.executable);
    if (rec.event.action === 'executed') e.args = this.keepArgs(p.args);
    const ses = rec.audit?.session;
    e.ses = ses === undefined || ses === UNSET_SESSION ? undefined : this.shared.str(ses);
    this.put(e);
    if (ppid > 0 && ppid !== pid && !this.map.has(ppid) && (!this.proc || this.fromProc(ppid, undefined, 0, atMs) === undefined)) {
      // a parent known only by what its child's record says of it (snoopy's rpname, the kernel's
      // ppid): enough to link siblings and to name it
      const pe = this.blank(ppid, 0, undefined, seedMs);
      pe.goneBy = this.goneAsked;
      pe.comm = this.shared.str(p.parent?.name);
      pe.exe = this.shared.str(p.parent?.executable);
      this.put(pe);
    }
    this.link(e, 0, undefined, undefined, true);
    return e;
  }

  /**
   * Learns from a record and returns its process's entry (undefined for records of no process).
   * Known pids cost a Map lookup and two comparisons; /proc is read only for unknown pids, on an
   * exec (a reused pid starts with one) and when a record names a parent other than the known one.
   */
  observe(rec: NormalizedRecord): ProcEntry | undefined {
    const p = rec.process;
    if (p === undefined || p.pid === undefined) return undefined;
    const pid = p.pid;
    const ppid = p.parent?.pid;
    const action = rec.event.action;
    const exec = action === 'executed';
    // a failed exec did not replace the image; its record may name the file it tried
    const execOk = exec && rec.event.outcome !== 'failure';
    // an audit record's time is its event's, to the ms; snoopy's and bash's may be when the line
    // was read: only the first says when a pid was in use
    const timed = rec.event.module === 'auditd';
    let e = this.map.get(pid);
    let fresh = false;
    let eventMs = e === undefined || execOk || (timed && e.goneBy !== 0) ? Date.parse(rec['@timestamp']) : 0;
    // its process was gone by then: a record from after that is of another that took the pid
    if (e !== undefined && timed && e.goneBy !== 0 && eventMs > e.goneBy) e = this.replaced(e);
    const snap = exec && timed && this.snapshots !== undefined && rec.event.sequence !== undefined ? this.snapshots.take(pid, rec.event.sequence) : undefined;
    if (snap !== undefined) this.counters.procSnapshots++;
    if (e !== undefined && (execOk || (ppid !== undefined && ppid !== e.ppid))) e = this.recheck(e, rec, ppid, snap);
    if (e === undefined) {
      fresh = true;
      if (eventMs === 0) eventMs = Date.parse(rec['@timestamp']);
      const atMs = timed ? eventMs : undefined;
      e = this.proc ? this.fromProc(pid, rec, 0, atMs, snap) : undefined;
      if (e === undefined) {
        if (!timed) {
          const gone = this.lateLineOf(pid, ppid, p);
          if (gone !== undefined) return gone;
        }
        if (p.name === undefined && p.executable === undefined && !exec) return undefined;
        e = this.fromRecord(rec, pid, ppid ?? 0, eventMs, atMs);
      }
    } else {
      this.touch(e);
      if (e.comm === undefined && p.name !== undefined) {
        e.comm = this.shared.str(p.name);
        e.asLeader = undefined;
      }
      if (e.exe === undefined && p.executable !== undefined) {
        e.exe = this.shared.str(p.executable);
        e.asLeader = undefined;
      }
    }
    if (execOk) this.exec(e, rec, fresh);
    const syscall = rec.audit?.syscall;
    if (syscall !== undefined) {
      if (FORK_SYSCALLS.has(syscall)) this.forked(e, rec);
      else if (EXIT_SYSCALLS.has(syscall)) this.exited(e);
    }
    return e;
  }

  /**
   * The gone process a line from snoopy (or bash) is of when it was read after the kernel's
   * records of that process's whole life: snoopy writes its line before the exec, but its file
   * is read on its own schedule. It is the pid's last process, retired, if that one had the same
   * parent and ran the program the line names (by base name: snoopy has the path as given,
   * the kernel the one resolved). Anything less sure is left to a new entry, not guessed.
   */
  private lateLineOf(pid: number, ppid: number | undefined, p: NonNullable<NormalizedRecord['process']>): ProcEntry | undefined {
    const r = this.retired.get(pid);
    if (r === undefined || ppid === undefined || r.ppid !== ppid || r.exe === undefined) return undefined;
    const name = p.executable !== undefined ? baseName(p.executable) : p.name;
    return name !== undefined && name === baseName(r.exe) ? r : undefined;
  }

  /** A known pid whose record may be of another process now; the entry that holds for it. */
  private recheck(e: ProcEntry, rec: NormalizedRecord, ppid: number | undefined, snap: ProcSnapshot | undefined): ProcEntry | undefined {
    if (this.proc) {
      if (e.startTicks === undefined) {
        // known only from records: /proc can still tell whether this pid is that process
        if (ppid !== undefined && e.ppid !== 0 && ppid !== e.ppid) return this.replaced(e);
        return e;
      }
      const st = this.statOf(e.pid, snap);
      // gone since: the record is of the process we knew (it was in flight)
      if (st === undefined) return e;
      if (st.startTicks !== e.startTicks) return this.replaced(e);
      this.reparent(e, st.ppid);
      return e;
    }
    if (ppid === undefined || e.ppid === 0 || ppid === e.ppid) {
      if (ppid !== undefined && e.ppid === 0) this.reparent(e, ppid);
      return e;
    }
    // from events alone: an exec under another parent is another process; any other record
    // under another parent is this one, reparented (its parent died)
    if (rec.event.action === 'executed') return this.replaced(e);
    this.reparent(e, ppid);
    return e;
  }

  private retire(e: ProcEntry): void {
    this.map.delete(e.pid);
    if (this.retired.size >= 4096) this.retired.clear();
    this.retired.set(e.pid, e);
  }

  private replaced(e: ProcEntry): undefined {
    this.retire(e);
    this.counters.reused++;
    return undefined;
  }

  private reparent(e: ProcEntry, ppid: number): void {
    if (ppid === e.ppid) return;
    e.ppid = ppid;
    e.parent = this.lookup(ppid);
    this.lineage++;
  }

  /** The image changed: what the exec says replaces what the entry knew (`fresh`: made from this record, args taken). */
  private exec(e: ProcEntry, rec: NormalizedRecord, fresh: boolean): void {
    const p = rec.process!;
    if (p.executable !== undefined) e.exe = this.shared.str(p.executable);
    if (p.name !== undefined) e.comm = this.shared.str(p.name);
    else if (p.executable !== undefined) e.comm = this.shared.str(baseName(p.executable));
    e.asLeader = undefined;
    if (p.args !== undefined && !fresh) e.args = this.keepArgs(p.args);
    if (this.labels !== undefined) e.labels = this.labels.onExec(e.labels, e.exe, p.command_line);
  }

  /** clone/fork returned a child pid: a new process, born now to this one. */
  private forked(e: ProcEntry, rec: NormalizedRecord): void {
    const child = rec.audit?.exit;
    if (child === undefined || child <= 0 || child === e.pid) return;
    const old = this.map.get(child);
    if (old !== undefined && old.parent === e) return;
    if (old !== undefined) this.replaced(old);
    const c = this.proc ? this.fromProc(child, undefined, 0) : undefined;
    if (c !== undefined) return;
    const born = Date.parse(rec['@timestamp']);
    const n = this.blank(child, e.pid, undefined, born, born);
    n.comm = e.comm;
    n.exe = e.exe;
    n.args = e.args;
    n.ses = e.ses;
    n.cgroup = e.cgroup;
    this.put(n);
    this.link(n, 0);
  }

  private exited(e: ProcEntry): void {
    // children keep their reference; the pid is free for the next process
    if (this.map.get(e.pid) === e) this.retire(e);
    this.counters.exited++;
  }

  /**
   * Entity ids of the ancestors, nearest first, at most maxAncestry (undefined when none is
   * known). Siblings have the same, so the parent keeps one frozen array, and the process.Ext
   * object records carry it in, for all its children's records (a storm's thousands of children
   * of one shell share them) rather than each record or each entry making its own; any
   * reparenting in the table makes them all again.
   */
  ancestryOf(e: ProcEntry): SharedAncestry | undefined {
    const parent = e.parent;
    if (parent === undefined || this.maxAncestry === 0) return undefined;
    const kept = parent.kidsAncestry;
    if (kept !== undefined && kept[kLineage] === this.lineage) return kept;
    const ids: string[] = [];
    for (let a: ProcEntry | undefined = parent; a !== undefined && ids.length < this.maxAncestry; a = a.parent) {
      ids.push(a.entityId);
      if (a.pid <= 1) break;
    }
    parent.kidsAncestry = new SharedAncestry(Object.freeze(ids), this.lineage);
    return parent.kidsAncestry;
  }

  /**
   * Whether any ancestor of the record's process (its parent, the parent's parent, ... up to but
   * not including pid 1, as snoopy walks /proc) has one of these names.
   */
  hasAncestorNamed(rec: NormalizedRecord, names: ReadonlySet<string>): boolean {
    const p = rec.process;
    const self = p?.pid === undefined ? undefined : this.map.get(p.pid);
    // a record the table has not placed (no observer ran) still names its parent's pid
    const ppid = p?.parent?.pid;
    const first = self?.parent ?? (ppid !== undefined ? this.lookup(ppid) : undefined);
    if (first === undefined) {
      const pn = p?.parent?.name;
      return pn !== undefined && names.has(pn);
    }
    let depth = 0;
    for (let a: ProcEntry | undefined = first; a !== undefined && a.pid > 1 && depth < 128; a = a.parent, depth++) {
      if (a.comm !== undefined && names.has(a.comm)) return true;
    }
    return false;
  }

  /** Forgets processes idle for idleMs that /proc no longer shows (or all idle ones without /proc). */
  prune(): number {
    const limit = this.clock() - this.idleMs;
    let n = 0;
    for (const [pid, e] of this.map) {
      // LRU order: once an entry is fresh, every later one is too
      if (e.seen > limit) break;
      if (this.proc && readStat(this.root, pid)?.startTicks === e.startTicks && e.startTicks !== undefined) continue;
      this.map.delete(pid);
      n++;
    }
    this.counters.pruned += n;
    return n;
  }

  stats(): ProcessTableCounters {
    this.counters.entries = this.map.size;
    return this.counters;
  }
}

function readdirNumeric(root: string): string[] {
  return readdirSync(root).filter((n) => {
    const c = n.charCodeAt(0);
    return c >= 48 && c <= 57;
  });
}
