// Turns the daemon's stats snapshot (pipeline counters and each input's, filter's and output's
// stats()) into Prometheus metrics at scrape time. Components name their own counters, so a new
// counter in any component shows up without touching this file: `auditflow_<kind>_<key>` with the
// component's name as a label; keys listed as gauges are levels, everything else only grows.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** stats() keys that go up and down */
const GAUGES = new Set([
  'queue_records',
  'spool_records',
  'spool_bytes',
  'unconfirmed_records',
  'in_doubt',
  'backlog',
  'connected',
  'inFlight',
  'in_flight',
  'backlog_limit',
  'enabled',
  'files',
  'watched',
  'inflight_events',
  'in_flight_events',
  'pid',
  'file_bytes',
  'backlog_max',
  'offset',
  'lag_bytes',
]);

const PIPELINE: Record<string, [string, string]> = {
  recordsIn: ['auditflow_records_in_total', 'records handed to the pipeline by inputs'],
  recordsOut: ['auditflow_records_out_total', 'records accepted by every output'],
  dropped: ['auditflow_records_filtered_total', 'records dropped by filters'],
  batches: ['auditflow_batches_total', 'batches pushed by inputs'],
  inputErrors: ['auditflow_pipeline_input_errors_total', 'input errors of all inputs (bad lines, unreadable files)'],
  outputErrors: ['auditflow_pipeline_output_errors_total', 'batches an output failed to accept'],
  inFlight: ['auditflow_batches_in_flight', 'batches between push and ack'],
};

const metricName = (s: string) =>
  s
    .replace(/[^A-Za-z0-9_]/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();

export class SnapshotCollector {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter<string>>();
  private readonly gauges = new Map<string, Gauge<string>>();
  /** last value seen per counter+labels, to turn absolute totals into increments */
  private readonly last = new Map<string, number>();

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Updates every metric from a snapshot; call right before rendering. */
  update(snapshot: Record<string, any>): void {
    const p = snapshot.pipeline;
    if (p && typeof p === 'object') {
      for (const [k, v] of Object.entries(p)) {
        if (typeof v !== 'number') continue;
        const known = PIPELINE[k];
        const name = known?.[0] ?? `auditflow_pipeline_${metricName(k)}`;
        this.set(name, known?.[1] ?? `pipeline ${k}`, GAUGES.has(k) || name.endsWith('_in_flight'), undefined, {}, v);
      }
    }
    for (const kind of ['input', 'filter', 'output'] as const) {
      const group = snapshot[`${kind}s`];
      if (!group || typeof group !== 'object') continue;
      for (const [component, stats] of Object.entries(group as Record<string, Record<string, unknown>>)) {
        if (!stats || typeof stats !== 'object') continue;
        for (const [k, v] of Object.entries(stats)) {
          if (typeof v !== 'number' || !Number.isFinite(v)) continue;
          const gauge = GAUGES.has(k);
          const base = `auditflow_${kind}_${metricName(k)}`;
          this.set(gauge ? base : `${base.replace(/_total$/, '')}_total`, `${kind} stat ${k}`, gauge, kind, { [kind]: component }, v);
        }
      }
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private set(name: string, help: string, gauge: boolean, label: string | undefined, labels: Record<string, string>, value: number): void {
    try {
      this.setUnchecked(name, help, gauge, label, labels, value);
    } catch {
      // two components naming a stat so that metric names collide: the first one keeps the name
      // rather than the whole scrape failing
    }
  }

  private setUnchecked(name: string, help: string, gauge: boolean, label: string | undefined, labels: Record<string, string>, value: number): void {
    const labelNames = label ? [label] : [];
    if (gauge) {
      let g = this.gauges.get(name);
      if (!g) {
        if (this.counters.has(name)) return;
        g = new Gauge({ name, help, labelNames, registers: [this.registry] });
        this.gauges.set(name, g);
      }
      g.set(labels, value);
      return;
    }
    let c = this.counters.get(name);
    if (!c) {
      if (this.gauges.has(name)) return;
      c = new Counter({ name, help, labelNames, registers: [this.registry] });
      this.counters.set(name, c);
    }
    const key = name + JSON.stringify(labels);
    const prev = this.last.get(key) ?? 0;
    if (value >= prev) {
      if (value > prev) c.inc(labels, value - prev);
      else if (!this.last.has(key)) c.inc(labels, 0);
    } else {
      // the component was rebuilt (reload) and counts from zero again
      c.remove(labels);
      c.inc(labels, value);
    }
    this.last.set(key, value);
  }
}
