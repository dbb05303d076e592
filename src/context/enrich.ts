// The context stage: runs on every record between decoration and the filters. It feeds the
// process table and writes what the table knows into the record (ECS names; absent when unknown):
//   process.entity_id, process.start, process.parent.{pid,entity_id,executable,name,args,start},
//   process.{session,group,entry}_leader.{pid,entity_id,executable,name}, process.Ext.ancestry,
//   process.hash.sha256, container.{id,runtime}, kubernetes.{pod.uid,pod.name,namespace},
//   systemd.unit, tags (labels).
// Records of this host read the live table (/proc behind it); records of other hosts (remote
// inputs, an audit.log naming another node) read a table built from their events alone, so this
// host's /proc never lends them context. Known pids cost a Map lookup and field writes.
import { kTemplate, type NormalizedRecord } from '../record.js';
import { contextVariant } from './templates.js';
import type { AncestryLookup, ProcEntry, ProcessTable } from './process-table.js';
import type { ExecutableHasher } from './hasher.js';
import type { PodsDirectory } from './pods.js';

/** Marks a record that came from another host (set by the daemon for remote inputs). */
export const kRemote: unique symbol = Symbol.for('auditflow.remote');

export interface EnrichOptions {
  /** the live table; undefined when nothing is read from this host */
  live: ProcessTable | undefined;
  /** the table built from events alone (normalize, remote records); made on first need */
  events: () => ProcessTable;
  /** write the process fields (false: the tables are only fed, for exclude_spawns_of) */
  process: boolean;
  container: boolean;
  hasher?: ExecutableHasher;
  pods?: PodsDirectory;
  /** names this host goes by in audit records' node= (hostname, short hostname) */
  localNodes: ReadonlySet<string>;
}

export interface EnrichStats {
  records: number;
  /** records of a process the table could not place (no pid, or gone and nameless) */
  without_process: number;
  /** records whose executable's hash was not ready yet (it is hashed in the background) */
  hash_pending: number;
  remote: number;
}

interface LeaderRef {
  pid: number;
  entity_id: string;
  executable?: string;
  name?: string;
}

/**
 * One object per leader, shared by every record it leads (thousands per session): made on first
 * use and again after the leader's image changes (the table resets asLeader then). Like the
 * shared argv of process.parent.args, never written to after.
 */
function ref(e: ProcEntry): LeaderRef {
  let r = e.asLeader as LeaderRef | undefined;
  if (r === undefined) {
    r = { pid: e.pid, entity_id: e.entityId };
    if (e.exe !== undefined) r.executable = e.exe;
    if (e.comm !== undefined) r.name = e.comm;
    e.asLeader = Object.freeze(r);
  }
  return r;
}

export class ContextStage implements AncestryLookup {
  readonly counters: EnrichStats = { records: 0, without_process: 0, hash_pending: 0, remote: 0 };
  private eventsTable: ProcessTable | undefined;
  private sincePrune = 0;
  /** Whether anyone reads the tables: a field to write, or a filter that walks ancestry (retain()). */
  private feeds: boolean;

  constructor(private readonly opts: EnrichOptions) {
    this.feeds = opts.process || opts.container;
  }

  /** The table records of this host read (the live one, or the events-only one when not live). */
  get table(): ProcessTable {
    return this.opts.live ?? this.events();
  }

  private events(): ProcessTable {
    return (this.eventsTable ??= this.opts.events());
  }

  /** Which table a record belongs to. */
  tableFor(rec: NormalizedRecord): ProcessTable {
    const live = this.opts.live;
    if (live === undefined) return this.events();
    if ((rec as { [kRemote]?: boolean })[kRemote] === true) return this.events();
    const node = rec.audit?.node;
    if (node !== undefined && !this.opts.localNodes.has(node)) return this.events();
    return live;
  }

  /** A filter walks the tables (exclude_spawns_of): every record feeds them, enriched or not. */
  retain(): void {
    this.feeds = true;
  }

  apply = (rec: NormalizedRecord): void => {
    this.counters.records++;
    // enrichment off and no filter asking: no /proc read, no table
    if (!this.feeds) return;
    if (++this.sincePrune >= 8192) this.prune();
    if (rec.process?.pid === undefined) return;
    const table = this.tableFor(rec);
    const live = table === this.opts.live;
    if (!live) this.counters.remote++;
    const e = table.observe(rec);
    if (e === undefined) {
      this.counters.without_process++;
      return;
    }
    if (this.opts.process) this.writeProcess(rec, e, table);
    if (live && this.opts.container && e.cgroup !== undefined) this.writeContainer(rec, e);
    const template = rec[kTemplate];
    if (template !== undefined) rec[kTemplate] = contextVariant(template, rec, e);
  };

  private writeProcess(rec: NormalizedRecord, e: ProcEntry, table: ProcessTable): void {
    const p = rec.process!;
    p.entity_id = e.entityId;
    const start = table.startOf(e);
    if (start !== undefined) p.start = start;
    const parent = e.parent;
    if (parent !== undefined) {
      const pp = (p.parent ??= {});
      pp.pid ??= parent.pid;
      pp.entity_id = parent.entityId;
      if (parent.exe !== undefined) pp.executable ??= parent.exe;
      if (parent.comm !== undefined) pp.name ??= parent.comm;
      const args = table.argsOf(parent);
      if (args !== undefined) pp.args = args as string[];
      const pstart = table.startOf(parent);
      if (pstart !== undefined) pp.start = pstart;
    } else if (e.ppid > 0 && p.parent?.pid === undefined) {
      (p.parent ??= {}).pid = e.ppid;
    }
    if (e.sessionLeader !== undefined) p.session_leader = ref(e.sessionLeader);
    if (e.groupLeader !== undefined) p.group_leader = ref(e.groupLeader);
    if (e.entryLeader !== undefined) p.entry_leader = ref(e.entryLeader);
    const ancestry = table.ancestryOf(e);
    if (ancestry !== undefined) {
      if (p.Ext === undefined) p.Ext = ancestry;
      else p.Ext.ancestry = ancestry.ancestry;
    }
    if (e.labels !== undefined) rec.tags = rec.tags === undefined ? e.labels.slice() : [...new Set([...rec.tags, ...e.labels])];
    const hasher = this.opts.hasher;
    if (hasher !== undefined && e.exe !== undefined && table === this.opts.live) {
      const h = hasher.get(e.exe);
      if (h !== undefined) p.hash = h;
      else this.counters.hash_pending++;
    }
  }

  private writeContainer(rec: NormalizedRecord, e: ProcEntry): void {
    const cg = e.cgroup!;
    if (cg.container !== undefined) {
      if (rec.container === undefined) rec.container = cg.container as NormalizedRecord['container'];
      else {
        rec.container.id = cg.container.id;
        if (cg.container.runtime !== undefined) rec.container.runtime = cg.container.runtime;
      }
    }
    if (cg.podUid !== undefined) {
      const k = (rec.kubernetes ??= {});
      const pod = (k.pod ??= {});
      pod.uid = cg.podUid;
      const named = this.opts.pods?.lookup(cg.podUid);
      if (named !== undefined) {
        pod.name = named.name;
        k.namespace = named.namespace;
      }
    }
    if (cg.systemd !== undefined) {
      if (rec.systemd === undefined) rec.systemd = cg.systemd as NormalizedRecord['systemd'];
      else rec.systemd.unit = cg.systemd.unit;
    }
  }

  /** Feeds the record's table without writing anything (exclude_spawns_of without enrichment). */
  observe(rec: NormalizedRecord): ProcEntry | undefined {
    return this.tableFor(rec).observe(rec);
  }

  hasAncestorNamed(rec: NormalizedRecord, names: ReadonlySet<string>): boolean {
    return this.tableFor(rec).hasAncestorNamed(rec, names);
  }

  prune(): number {
    this.sincePrune = 0;
    return (this.opts.live?.prune() ?? 0) + (this.eventsTable?.prune() ?? 0);
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = { ...this.counters };
    const add = (prefix: string, t: ProcessTable | undefined) => {
      if (t === undefined) return;
      for (const [k, v] of Object.entries(t.stats())) out[`${prefix}${k}`] = v;
    };
    add('table_', this.opts.live);
    add('events_table_', this.eventsTable);
    const h = this.opts.hasher;
    if (h !== undefined)
      Object.assign(out, {
        hash_hashed: h.hashed,
        hash_cache_hits: h.cacheHits,
        hash_failed: h.failed,
        hash_too_large: h.tooLarge,
        hash_dropped: h.dropped,
        hash_queued: h.pending,
      });
    if (this.opts.pods !== undefined) Object.assign(out, { pods_scans: this.opts.pods.scans, pods_unknown: this.opts.pods.unknown });
    return out;
  }
}
