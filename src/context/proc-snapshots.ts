// /proc/PID/stat and cgroup as the netlink reader thread read them the moment an exec event
// came (SnapshotExecs in native/netlink/audit_netlink.cc). The process table reads these instead
// of /proc a batch later, when most processes of an exec storm have exited and /proc can no
// longer say when they started, in which session or cgroup.
import type { RawProcSnapshots } from '../netlink/native.js';

export interface ProcSnapshot {
  stat: string;
  /** undefined when cgroups are not read (enrich.container off) or could not be */
  cgroup: string | undefined;
}

interface Held extends ProcSnapshot {
  serial: number;
}

/**
 * Snapshots waiting for their exec record to reach the table, keyed by pid and answering only
 * for the event (serial) they were taken for. One the table never asks for (a pid it already
 * knew, a record a filter dropped first) is dropped once `max` newer ones wait.
 */
export class ProcSnapshots {
  private readonly byPid = new Map<number, Held>();

  constructor(
    /** read cgroup too (enrich.container) */
    readonly cgroups: boolean,
    private readonly max = 1024,
  ) {}

  add(raw: RawProcSnapshots): void {
    const { data, meta } = raw;
    for (let i = 0; i + 5 < meta.length; i += 6) {
      const pid = meta[i];
      const cgLen = meta[i + 5];
      this.byPid.delete(pid);
      this.byPid.set(pid, {
        serial: meta[i + 1],
        stat: data.toString('utf8', meta[i + 2], meta[i + 2] + meta[i + 3]),
        cgroup: cgLen === 0 ? undefined : data.toString('utf8', meta[i + 4], meta[i + 4] + cgLen),
      });
      if (this.byPid.size > this.max) this.byPid.delete(this.byPid.keys().next().value as number);
    }
  }

  /** The snapshot of `pid` taken for event `serial`, once. */
  take(pid: number, serial: number): ProcSnapshot | undefined {
    const s = this.byPid.get(pid);
    if (s === undefined || s.serial !== serial) return undefined;
    this.byPid.delete(pid);
    return s;
  }

  get size(): number {
    return this.byPid.size;
  }
}
