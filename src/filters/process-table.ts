// pid → (ppid, comm, exe) for exclude_spawns_of, built from the exec events every source sends
// (kernel, audit.log, snoopy) and, for processes that started before auditflow, from /proc.
// Bounded: a Map in least-recently-used order (a hit moves the entry to the end); the oldest
// entries go when it is full, and drain-time pruning forgets processes that are gone.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import type { NormalizedRecord } from '../record.js';
import { baseName } from './fields.js';

export interface ProcInfo {
  ppid: number;
  /** comm (≤15 bytes), or undefined for a pid we looked up and could not find */
  comm: string | undefined;
  exe?: string;
  /** last time (epoch ms, wall clock) the entry was written or read */
  seen: number;
}

export interface ProcessTableOptions {
  /** Most processes remembered. Default 32768 (the kernel's default pid_max). */
  maxEntries?: number;
  /** Read /proc at start and on misses. Off for replaying old logs, where live pids mean nothing. */
  proc?: boolean;
  /** Entries untouched this long whose /proc entry is gone are pruned. Default 10 minutes. */
  idleMs?: number;
  procRoot?: string;
  now?: () => number;
}

/** `pid (comm) S ppid ...` — comm may hold spaces and parentheses, so it ends at the LAST ')'. */
export function parseStat(text: string): { pid: number; comm: string; ppid: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number.parseInt(text.slice(0, open), 10);
  const rest = text.slice(close + 2).split(' ', 2);
  const ppid = Number.parseInt(rest[1] ?? '', 10);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), ppid };
}

export class ProcessTable {
  private readonly map = new Map<number, ProcInfo>();
  private readonly max: number;
  private readonly proc: boolean;
  private readonly idleMs: number;
  private readonly root: string;
  private readonly now: () => number;
  /** counters for status */
  hits = 0;
  misses = 0;
  evicted = 0;
  pruned = 0;

  constructor(opts: ProcessTableOptions = {}) {
    this.max = opts.maxEntries ?? 32768;
    this.proc = opts.proc ?? true;
    this.idleMs = opts.idleMs ?? 600_000;
    this.root = opts.procRoot ?? '/proc';
    this.now = opts.now ?? Date.now;
    if (this.proc) this.loadProc();
  }

  get size(): number {
    return this.map.size;
  }

  /** Every running process, as /proc shows it now. */
  loadProc(): void {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return;
    }
    for (const n of names) {
      const c = n.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      this.readProc(Number(n));
    }
  }

  private readProc(pid: number): ProcInfo | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.root}/${pid}/stat`, 'latin1');
    } catch {
      return undefined;
    }
    const st = parseStat(text);
    if (st === undefined) return undefined;
    const info: ProcInfo = { ppid: st.ppid, comm: st.comm, seen: this.now() };
    this.put(pid, info);
    return info;
  }

  private put(pid: number, info: ProcInfo): void {
    this.map.delete(pid);
    this.map.set(pid, info);
    if (this.map.size > this.max) {
      // Map iterates in insertion order: the first key is the least recently used
      const oldest = this.map.keys().next().value as number;
      this.map.delete(oldest);
      this.evicted++;
    }
  }

  /**
   * Learns from a record. An exec event says what the process now is; any other record of a
   * process (a syscall's pid, ppid and comm) says what it is at that moment, which fills in
   * parents whose exec happened before we were looking.
   */
  observe(rec: NormalizedRecord): void {
    const p = rec.process;
    if (p === undefined || p.pid === undefined) return;
    // a failed exec did not replace the image; its record may name the file it tried
    if (rec.event.outcome === 'failure' && rec.event.action === 'executed') return;
    const comm = p.name ?? (p.executable !== undefined ? baseName(p.executable) : undefined);
    const known = this.map.get(p.pid);
    const ppid = p.parent?.pid;
    if (known !== undefined && known.comm === comm && (ppid === undefined || known.ppid === ppid) && known.comm !== undefined) {
      known.seen = this.now();
      return;
    }
    if (comm === undefined && rec.event.action !== 'executed') return;
    // a source without the parent (snoopy's default format): the live process may still tell
    const pp = ppid ?? known?.ppid ?? (this.proc ? this.procPpid(p.pid) : 0);
    this.put(p.pid, { ppid: pp, comm, exe: p.executable, seen: this.now() });
    // the parent may be known only by name (snoopy's rpname, the kernel's ppid)
    const parent = p.parent;
    if (parent?.pid !== undefined && parent.name !== undefined && !this.map.has(parent.pid)) {
      this.put(parent.pid, { ppid: 0, comm: parent.name, exe: parent.executable, seen: this.now() });
    }
  }

  private procPpid(pid: number): number {
    try {
      return parseStat(readFileSync(`${this.root}/${pid}/stat`, 'latin1'))?.ppid ?? 0;
    } catch {
      return 0;
    }
  }

  /** The process, from the table or (when enabled) /proc; undefined when unknown. */
  get(pid: number): ProcInfo | undefined {
    const hit = this.map.get(pid);
    if (hit !== undefined) {
      this.hits++;
      hit.seen = this.now();
      this.map.delete(pid);
      this.map.set(pid, hit);
      return hit.comm === undefined ? undefined : hit;
    }
    this.misses++;
    if (!this.proc) return undefined;
    const info = this.readProc(pid);
    // remember the miss too, so a gone ancestor costs one failed open, not one per event
    if (info === undefined) this.put(pid, { ppid: 0, comm: undefined, seen: this.now() });
    return info;
  }

  /**
   * Whether any ancestor of the process (its parent, the parent's parent, ... up to but not
   * including pid 1, as snoopy walks /proc) has one of these names.
   */
  hasAncestorNamed(rec: NormalizedRecord, names: ReadonlySet<string>): boolean {
    const p = rec.process;
    if (p === undefined) return false;
    let pid = p.parent?.pid;
    if (pid === undefined && p.pid !== undefined) {
      const self = this.map.get(p.pid);
      if (self !== undefined && self.ppid > 0) pid = self.ppid;
    }
    if (pid === undefined) {
      const pn = p.parent?.name;
      return pn !== undefined && names.has(pn);
    }
    // bounded walk: a pid cycle (reuse while we were not looking) cannot spin forever
    for (let depth = 0; depth < 128 && pid > 1; depth++) {
      const info = this.get(pid);
      if (info === undefined) {
        // not in the table: the record itself may still name its parent
        if (depth === 0 && p.parent?.name !== undefined) return names.has(p.parent.name);
        return false;
      }
      if (info.comm !== undefined && names.has(info.comm)) return true;
      if (info.ppid === pid) return false;
      pid = info.ppid;
    }
    return false;
  }

  /** Forgets processes idle for idleMs that /proc no longer shows (or all idle ones without /proc). */
  prune(): number {
    const limit = this.now() - this.idleMs;
    let n = 0;
    for (const [pid, info] of this.map) {
      // LRU order: once an entry is fresh, every later one is too
      if (info.seen > limit) break;
      if (this.proc && info.comm !== undefined && existsSync(`${this.root}/${pid}`)) continue;
      this.map.delete(pid);
      n++;
    }
    this.pruned += n;
    return n;
  }
}
