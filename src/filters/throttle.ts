// Floods made cheap but visible: a token bucket per key (default: what was done, by which
// program, as whom). A record spends a token or is suppressed; suppressed records are counted
// and reported by one summary record per key and interval ("N similar events suppressed").
// Time is the records' own (@timestamp), so replaying an old log throttles the same way the live
// feed did; a record without a usable time uses the wall clock.
import type { Filter, FilterStats } from '../pipeline/types.js';
import { isoTime, type NormalizedRecord } from '../record.js';
import { compilePath, setPath, type Getter } from './fields.js';

export interface ThrottleConfig {
  type: 'throttle';
  /** Dotted paths whose values together make the key. */
  key?: string[];
  /** Tokens added per second (sustained records/s per key). */
  rate?: number;
  /** Bucket size (records let through at once before throttling starts). */
  burst?: number;
  /** Seconds between summaries for a key that is being suppressed. */
  summary_interval?: number;
  /** Keys remembered; the least recently seen go first. */
  max_keys?: number;
}

export const DEFAULT_KEY = ['event.action', 'process.executable', 'user.id'];

interface Bucket {
  tokens: number;
  /** record time of the last refill (ms) */
  at: number;
  suppressed: number;
  firstSuppressed: number;
  lastSuppressed: number;
  /** wall clock when the current suppression began (summaries are due by wall time too) */
  wallFirst: number;
  /** wall clock of the last record with this key */
  wallSeen: number;
  /** key values, for the summary */
  values: unknown[];
}

export class Throttle implements Filter {
  readonly name = 'throttle';
  private readonly paths: string[];
  private readonly getters: Getter[];
  private readonly rate: number;
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly idleMs: number;
  /** index of the default key's executable, which falls back to the name or command line */
  private standIn = -1;
  private readonly buckets = new Map<string, Bucket>();
  private kept = 0;
  private dropped = 0;
  private summaries = 0;
  private lastTs = '';
  /** summaries of keys evicted while suppressing, handed out at the next drain */
  private evicted: NormalizedRecord[] = [];
  private lastT = Number.NaN;

  constructor(
    cfg: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.paths = cfg.key ?? DEFAULT_KEY;
    this.getters = this.paths.map(compilePath);
    // snoopy and bash records have no executable: without a stand-in, all of a user's commands
    // would share one bucket under the default key
    if (cfg.key === undefined) {
      this.getters[1] = (r) => r.process?.executable ?? r.process?.name ?? r.process?.command_line;
      this.standIn = 1;
    }
    this.rate = cfg.rate ?? 10;
    this.burst = cfg.burst ?? 100;
    this.intervalMs = (cfg.summary_interval ?? 60) * 1000;
    this.maxKeys = cfg.max_keys ?? 10_000;
    this.idleMs = this.intervalMs + (this.burst / this.rate) * 1000;
  }

  private keyOf(rec: NormalizedRecord): string {
    let k = '';
    for (let i = 0; i < this.getters.length; i++) {
      const v = this.getters[i](rec);
      k += (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)) + '\u0000';
    }
    return k;
  }

  apply(rec: NormalizedRecord): NormalizedRecord | null {
    // our own summaries must never be throttled away
    if (rec.event.kind === 'metric' && rec.event.module === 'auditflow') return rec;
    const key = this.keyOf(rec);
    // records of one burst share their timestamp: parse each distinct one once
    const ts = rec['@timestamp'];
    let t = ts === this.lastTs ? this.lastT : Date.parse(ts);
    this.lastTs = ts;
    this.lastT = t;
    if (Number.isNaN(t)) t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      // make room first, so the newcomer is never the one evicted
      if (this.buckets.size >= this.maxKeys) this.evictOne();
      b = {
        tokens: this.burst,
        at: t,
        suppressed: 0,
        firstSuppressed: 0,
        lastSuppressed: 0,
        wallFirst: 0,
        wallSeen: 0,
        values: this.getters.map((g) => g(rec)),
      };
      this.buckets.set(key, b);
    } else if (t > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rate);
      b.at = t;
    }
    b.wallSeen = this.now();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.kept++;
      return rec;
    }
    if (b.suppressed === 0) {
      b.firstSuppressed = t;
      b.wallFirst = b.wallSeen;
    }
    b.suppressed++;
    b.lastSuppressed = t;
    this.dropped++;
    return null;
  }

  /**
   * Drops the least recently created key, preferring one with nothing pending; a pending count
   * is not lost but becomes a summary at the next drain.
   */
  private evictOne(): void {
    for (const [k, b] of this.buckets) {
      if (b.suppressed === 0) {
        this.buckets.delete(k);
        return;
      }
    }
    const [k, b] = this.buckets.entries().next().value as [string, Bucket];
    this.buckets.delete(k);
    this.evicted.push(this.summary(b, b.lastSuppressed));
  }

  private summary(b: Bucket, nowMs: number): NormalizedRecord {
    const key: Record<string, unknown> = {};
    this.paths.forEach((p, i) => {
      if (b.values[i] !== undefined) key[p] = b.values[i];
    });
    const desc = this.paths.map((p, i) => `${p}=${b.values[i] === undefined ? '-' : String(b.values[i])}`).join(' ');
    const rec: NormalizedRecord = {
      '@timestamp': isoTime(b.lastSuppressed || nowMs),
      event: { module: 'auditflow', kind: 'metric', action: 'events-suppressed', dataset: 'auditflow.throttle' },
      message: `${b.suppressed} similar events suppressed (${desc})`,
      throttle: { key, suppressed: b.suppressed, first: isoTime(b.firstSuppressed), last: isoTime(b.lastSuppressed) },
    };
    // the key's own fields, where they are not the summary's event.* fields, so the summary
    // lands next to the events it stands for in searches by user or executable
    this.paths.forEach((p, i) => {
      // (a stand-in value is not what the field holds, so it stays in throttle.key only)
      if (!p.startsWith('event.') && i !== this.standIn && b.values[i] !== undefined) setPath(rec as Record<string, any>, p, b.values[i]);
    });
    return rec;
  }

  drain(nowMs: number, final: boolean): NormalizedRecord[] {
    const out: NormalizedRecord[] = this.evicted;
    this.summaries += out.length;
    this.evicted = [];
    for (const [k, b] of this.buckets) {
      if (b.suppressed > 0 && (final || b.lastSuppressed - b.firstSuppressed >= this.intervalMs || nowMs - b.wallFirst >= this.intervalMs)) {
        out.push(this.summary(b, nowMs));
        this.summaries++;
        b.suppressed = 0;
      } else if (b.suppressed === 0 && nowMs - b.wallSeen > this.idleMs) {
        // by now the bucket would be full again: it carries no state worth keeping
        this.buckets.delete(k);
      }
    }
    return out;
  }

  stats(): FilterStats & { summaries: number; keys: number } {
    return { kept: this.kept, dropped: this.dropped, modified: 0, summaries: this.summaries, keys: this.buckets.size };
  }
}

export const throttleSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'throttle' },
    key: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    rate: { type: 'number', exclusiveMinimum: 0 },
    burst: { type: 'integer', minimum: 1 },
    summary_interval: { type: 'number', exclusiveMinimum: 0 },
    max_keys: { type: 'integer', minimum: 1 },
  },
};
