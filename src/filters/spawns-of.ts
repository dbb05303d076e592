// exclude_spawns_of: drop everything a named program started, directly or not (cron jobs,
// a monitoring agent's checks). snoopy walks /proc at exec time; records arrive later and from
// other hosts' logs, so the ancestry comes from the process table instead: the context stage's
// (src/context/) when the pipeline has one, else a table this filter or an observer feeds.
import type { Filter, FilterStats } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import type { AncestryLookup } from '../context/process-table.js';
import { splitList } from './list.js';

export class ExcludeSpawnsOf implements Filter {
  readonly name = 'exclude_spawns_of';
  private readonly names: Set<string>;
  private kept = 0;
  private dropped = 0;

  /**
   * @param observes whether this filter feeds the table itself; false when a shared observer at
   * the head of the chain does (so records dropped earlier still teach it their parents).
   */
  constructor(
    arg: string,
    readonly table: AncestryLookup,
    private readonly observes: boolean,
  ) {
    // comm is at most 15 bytes: a longer configured name can only ever match its cut
    this.names = new Set(
      splitList(arg)
        .map((n) => n.slice(0, 15))
        .concat(splitList(arg)),
    );
    table.retain?.();
  }

  apply(rec: NormalizedRecord): NormalizedRecord | null {
    if (this.observes) this.table.observe(rec);
    if (this.names.size > 0 && this.table.hasAncestorNamed(rec, this.names)) {
      this.dropped++;
      return null;
    }
    this.kept++;
    return rec;
  }

  drain(): NormalizedRecord[] {
    if (this.observes) this.table.prune();
    return [];
  }

  stats(): FilterStats {
    return { kept: this.kept, dropped: this.dropped, modified: 0 };
  }
}

/**
 * Feeds a shared process table from every record, before any filter can drop it: for a chain
 * built without the context stage (tests, embedders), which otherwise does this.
 */
export class ProcessTableObserver implements Filter {
  readonly name = 'process_table';
  private seen = 0;
  constructor(readonly table: AncestryLookup) {}

  apply(rec: NormalizedRecord): NormalizedRecord {
    this.seen++;
    this.table.observe(rec);
    return rec;
  }

  drain(): NormalizedRecord[] {
    this.table.prune();
    return [];
  }

  stats(): FilterStats & Record<string, number> {
    return { kept: this.seen, dropped: 0, modified: 0, ...this.table.stats() };
  }
}
