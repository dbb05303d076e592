// Builds the context stage from the `enrich:` config. Live (the daemon): a /proc-backed table for
// this host's records, cgroups, the pods directory and the hasher. Not live (normalize): one table
// built from the events alone, and nothing read from this host.
import { hostname } from 'node:os';
import { ContextStage } from './enrich.js';
import { ProcessTable } from './process-table.js';
import { ExecutableHasher } from './hasher.js';
import { PodsDirectory } from './pods.js';
import { LabelRules } from './labels.js';
import type { EnrichConfig } from './config.js';
import { ProcSnapshots } from './proc-snapshots.js';

export { ContextStage, kRemote } from './enrich.js';
export { ProcessTable, type ProcEntry } from './process-table.js';
export { enrichSchema, defaultEnrichConfig, type EnrichConfig } from './config.js';

export interface ContextOptions {
  /** read this host's /proc, cgroups, executables */
  live: boolean;
  /** this host's id (machine-id), part of live entity ids */
  hostId?: string;
  /** redacts argv before the table keeps it (the redact filter's redactor) */
  redactArgs?: (args: readonly string[]) => string[] | undefined;
  procRoot?: string;
  /** what the netlink input's reader read of /proc as exec events came (liveSnapshots) */
  snapshots?: ProcSnapshots;
}

/** Throws AF_ERR_CONFIG naming the key for what the schema cannot check (label regexes). */
export function checkEnrich(cfg: EnrichConfig): void {
  void new LabelRules(cfg.labels);
}

/** The snapshots a live table of this config reads, for the netlink input to fill (enrich.read_at_exec). */
export function liveSnapshots(cfg: EnrichConfig): ProcSnapshots | undefined {
  return cfg.read_at_exec && (cfg.process || cfg.container) ? new ProcSnapshots(cfg.container) : undefined;
}

export function createContext(cfg: EnrichConfig, opts: ContextOptions): ContextStage {
  const labels = new LabelRules(cfg.labels);
  const table = (live: boolean) =>
    new ProcessTable({
      proc: live,
      cgroups: live && cfg.container,
      maxEntries: cfg.max_processes,
      maxAncestry: cfg.max_ancestry,
      hostId: live ? (opts.hostId ?? '') : '',
      labels,
      redactArgs: opts.redactArgs,
      procRoot: opts.procRoot,
      snapshots: opts.snapshots,
    });
  const short = hostname().split('.')[0];
  return new ContextStage({
    live: opts.live ? table(true) : undefined,
    events: () => table(false),
    process: cfg.process,
    container: cfg.container,
    hasher: opts.live && cfg.hash && cfg.process ? new ExecutableHasher({ maxFileBytes: cfg.hash_max_file_bytes }) : undefined,
    pods: opts.live && cfg.container ? new PodsDirectory(cfg.kubernetes.pods_dir) : undefined,
    localNodes: new Set([hostname(), short]),
  });
}
