// What `normalize` runs after the normalizer, built the same way on the main thread and in each
// normalize lane (a worker thread), so both paths filter and decorate a record identically.

import type { ContextStage } from '../../context/index.js';
import type { EnrichConfig } from '../../context/config.js';
import type { Logger } from '../../log.js';
import { buildFilterChain } from '../../filters/index.js';
import { createDecorator, type HostConfig } from '../decorate.js';
import { Pipeline } from '../pipeline.js';
import type { Filter, Output } from '../types.js';

/** Plain data (it crosses to worker threads): the parts of config and options that shape a record. */
export interface NormalizeSetup {
  /** config `filters`, plus `{type: redact, enabled: false}` for --no-redact */
  filters: unknown[];
  host?: HostConfig;
  stateDir: string;
  includeOriginal: boolean;
  resolveNames: boolean;
  /** the daemon's lanes: records of this host, whose /proc may answer for their pids */
  live?: boolean;
  /** the daemon's one lane: the context stage (process table) runs there, in event order */
  enrich?: EnrichConfig;
  hostId?: string;
}

/** Throws AuditflowError (AF_ERR_CONFIG) for a filter the config gets wrong. */
export function normalizePipeline(setup: NormalizeSetup, output: Output, log: Logger, context?: ContextStage): { pipeline: Pipeline; filters: Filter[] } {
  // replayed logs name pids of another time (or host): the live /proc must not answer for them
  const filters = buildFilterChain(setup.filters, { stateDir: setup.stateDir, hostName: '', log, procTable: setup.live === true, processTable: context });
  const pipeline = new Pipeline({
    filters,
    outputs: [output],
    log,
    decorate: setup.host && Object.keys(setup.host).length > 0 ? createDecorator(setup.host) : undefined,
    context: context?.apply,
    maxInFlight: 4,
  });
  return { pipeline, filters };
}

/**
 * Whether records may be split between lanes: only when no filter keeps state across records
 * (throttle counts, spawns-of's process tree), or each lane would see only part of the stream.
 */
export function laneSafe(filters: readonly unknown[]): boolean {
  return filters.every((f) => f !== null && typeof f === 'object' && (f as { type?: unknown }).type === 'redact');
}
