// A filter that keeps or drops whole records by a test, with the kept/dropped counters every
// filter reports. Most config filters (uid, tty, comm, keys, globs, match/drop) are one of these.
import type { NormalizedRecord } from '../record.js';
import type { Filter, FilterStats } from '../pipeline/types.js';

export type Keep = (rec: NormalizedRecord) => boolean;

/**
 * A filter's time budget per record. JavaScript cannot stop a running regex, so config regexes
 * that could run away are refused at load (regex-safety.ts); this counts what is slow anyway
 * (`slow` in the filter's stats) so a costly condition shows in status before it shows in lag.
 */
export const SLOW_MS = 5;

export class PredicateFilter implements Filter {
  private kept = 0;
  private dropped = 0;
  private slow = 0;
  /**
   * @param passOwn let auditflow's own records (lost-events errors, throttle summaries) through:
   * filters about who ran what (only_uid, only_tty...) have nothing to say about those.
   * @param timed measure each record against SLOW_MS (filters with user regexes)
   */
  constructor(
    readonly name: string,
    private readonly keep: Keep,
    private readonly passOwn = false,
    private readonly timed = false,
  ) {}

  apply(rec: NormalizedRecord): NormalizedRecord | null {
    if (this.passOwn && rec.event.module === 'auditflow') {
      this.kept++;
      return rec;
    }
    let keep: boolean;
    if (this.timed) {
      const t0 = performance.now();
      keep = this.keep(rec);
      if (performance.now() - t0 > SLOW_MS) this.slow++;
    } else keep = this.keep(rec);
    if (keep) {
      this.kept++;
      return rec;
    }
    this.dropped++;
    return null;
  }

  stats(): FilterStats & { slow?: number } {
    return this.timed ? { kept: this.kept, dropped: this.dropped, modified: 0, slow: this.slow } : { kept: this.kept, dropped: this.dropped, modified: 0 };
  }
}
