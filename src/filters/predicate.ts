// A filter that keeps or drops whole records by a test, with the kept/dropped counters every
// filter reports. Most config filters (uid, tty, comm, keys, globs, match/drop) are one of these.
import type { NormalizedRecord } from '../record.js';
import type { Filter, FilterStats } from '../pipeline/types.js';

export type Keep = (rec: NormalizedRecord) => boolean;

export class PredicateFilter implements Filter {
  private kept = 0;
  private dropped = 0;
  /**
   * @param passOwn let auditflow's own records (lost-events errors, throttle summaries) through:
   * filters about who ran what (only_uid, only_tty...) have nothing to say about those.
   */
  constructor(readonly name: string, private readonly keep: Keep, private readonly passOwn = false) {}

  apply(rec: NormalizedRecord): NormalizedRecord | null {
    if ((this.passOwn && rec.event.module === 'auditflow') || this.keep(rec)) {
      this.kept++;
      return rec;
    }
    this.dropped++;
    return null;
  }

  stats(): FilterStats {
    return { kept: this.kept, dropped: this.dropped, modified: 0 };
  }
}
