// The running daemon: config → inputs, filter chain, outputs → pipeline. Reload rebuilds the
// whole graph from a freshly validated config (a bad new config leaves the old one running).

import { mkdirSync, openSync, closeSync, writeFileSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditflowError } from './errors.js';
import type { Logger } from './log.js';
import type { Config } from './config/load.js';
import { buildFilterChain } from './filters/index.js';
import { applyQueue } from './outputs/spool/index.js';
import { Pipeline } from './pipeline/pipeline.js';
import { createDecorator, machineId } from './pipeline/decorate.js';
import type { BuildContext, Filter, Input, InputSink, Output } from './pipeline/types.js';
import { createContext, kRemote, liveSnapshots, type ContextStage } from './context/index.js';
import { RedactFilter } from './filters/redact/filter.js';
import type { Redactor } from './filters/redact/redactor.js';
import { buildComponent } from './config/resolve.js';
import { registriesFor } from './config/registries.js';
import type { Registries } from './config/validate.js';
import { getPriority, hostname, setPriority } from 'node:os';
import type { EventLanes } from './pipeline/workers/event-lanes.js';
import { laneSafe, type NormalizeSetup } from './pipeline/workers/normalize-setup.js';

interface Graph {
  inputs: Input[];
  filters: Filter[];
  outputs: Output[];
  pipeline: Pipeline;
  context: ContextStage;
  remote: Set<Input>;
}

/** Inputs that read this host: their records get context from its /proc; others' from their events. */
const LOCAL_INPUTS = new Set(['netlink', 'auditlog', 'snoopy', 'bash']);

export class Daemon {
  private graph: Graph | undefined;
  private lockPath: string | undefined;

  constructor(
    private config: Config,
    private readonly log: Logger,
  ) {}

  /** `registries`: the component types the config names, loaded (registriesFor). */
  private async assemble(config: Config, registries: Registries): Promise<Graph> {
    const procSnapshots = liveSnapshots(config.enrich);
    const ctx: BuildContext = { stateDir: config.state_dir, hostName: config.host.name ?? '', log: this.log, procSnapshots };
    // network outputs get a disk-backed queue by default: the kernel input cannot replay
    const outputs = config.outputs.map((o, i) => applyQueue(buildComponent(registries.outputs, o, ctx, `outputs[${i}]`), o, ctx));
    // the table keeps argv for children's process.parent.args: redacted like the records' own
    let redactor: Redactor | undefined;
    const context = createContext(config.enrich, {
      live: true,
      hostId: config.host.id ?? machineId(),
      redactArgs: (a) => redactor?.args(a),
      snapshots: procSnapshots,
    });
    const filters = buildFilterChain(config.filters, { ...ctx, processTable: context });
    redactor = filters.find((f): f is RedactFilter => f instanceof RedactFilter)?.redactor;
    const inputs = config.inputs.map((item, i) => buildComponent(registries.inputs, item, ctx, `inputs[${i}]`));
    const remote = new Set(inputs.filter((_, i) => !LOCAL_INPUTS.has(config.inputs[i].type)));
    const lanes = laneCount(config, outputs);
    const pipeline = new Pipeline({
      filters,
      outputs,
      log: this.log,
      decorate: createDecorator(config.host),
      context: context.apply,
      errorRecords: config.error_records,
      lanes: lanes > 0 ? await this.startLanes(config, lanes) : undefined,
    });
    return { inputs, filters, outputs, pipeline, context, remote };
  }

  /**
   * The lanes get what shapes a record here: the input's normalizer options, the host
   * decorations, the context stage (live, this host's /proc) and the filter chain.
   */
  private async startLanes(config: Config, lanes: number): Promise<EventLanes> {
    const input = config.inputs[0] as { keep_original?: boolean; resolve_names?: boolean };
    const setup: NormalizeSetup = {
      filters: config.filters,
      host: { ...config.host, name: config.host.name ?? hostname() },
      stateDir: config.state_dir,
      includeOriginal: input.keep_original ?? false,
      resolveNames: input.resolve_names ?? true,
      live: true,
      enrich: config.enrich,
      hostId: config.host.id ?? machineId(),
    };
    this.log.info('lanes', { lanes });
    // loaded only for lanes: worker_threads and the lanes' code are memory one thread has no use for
    const { EventLanes } = await import('./pipeline/workers/event-lanes.js');
    return new EventLanes(lanes, setup, this.log, config.log_level);
  }

  /** One daemon per state_dir: a second one is refused while the first is alive. */
  private lock(): void {
    mkdirSync(this.config.state_dir, { recursive: true, mode: 0o700 });
    const path = this.config.pid_file ?? join(this.config.state_dir, 'auditflow.pid');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.lockPath = path;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (pid > 0 && pid !== process.pid && alive(pid)) {
          throw new AuditflowError('AF_ERR_ALREADY_RUNNING', `auditflow is already running as pid ${pid} (pid file ${path})`);
        }
        unlinkSync(path); // stale: its process is gone
      }
    }
    writeFileSync(path, `${process.pid}\n`);
    this.lockPath = path;
  }

  async start(): Promise<void> {
    this.lock();
    this.boost();
    try {
      this.graph = await this.assemble(this.config, await registriesFor(this.config));
      await this.startGraph(this.graph);
    } catch (err) {
      this.unlock();
      throw err;
    }
  }

  /**
   * Lowers the nice value by priority_boost, as auditd does, before the netlink reader and any
   * lane start: Linux keeps a nice value per thread and a new thread takes its creator's. Only
   * at start (a reload does not change it); refused without CAP_SYS_NICE, which is only logged.
   */
  private boost(): void {
    const boost = this.config.priority_boost;
    if (boost === 0) return;
    try {
      setPriority(Math.max(-20, getPriority() - boost));
    } catch (err) {
      this.log.warn('priority_boost: the nice value stays as it is', { error: (err as Error).message });
    }
  }

  private async startGraph(g: Graph): Promise<void> {
    await g.pipeline.start();
    for (const input of g.inputs) await input.start(g.remote.has(input) ? markRemote(g.pipeline.sinkFor(input)) : g.pipeline.sinkFor(input));
    this.log.info('started', { inputs: g.inputs.map((i) => i.name), outputs: g.outputs.map((o) => o.name) });
  }

  private async stopGraph(g: Graph, deadlineMs: number): Promise<void> {
    // inputs first (they release the kernel audit pid, checkpoints stay at the last ack),
    // then what is in flight drains to the outputs
    for (const input of g.inputs) {
      await input.stop().catch((err) => this.log.error(`stopping input failed: ${(err as Error).message}`, { input: input.name }));
    }
    await g.pipeline.stop(deadlineMs);
  }

  /** Rebuilds everything from a new, already validated config. */
  async reload(next: Config): Promise<void> {
    const old = this.graph;
    let fresh: Graph;
    try {
      fresh = await this.assemble(next, await registriesFor(next));
    } catch (err) {
      this.log.error(`reload refused, keeping the running config: ${(err as Error).message}`);
      return;
    }
    if (old) await this.stopGraph(old, Date.now() + this.config.shutdown_timeout_ms);
    this.config = next;
    this.graph = fresh;
    await this.startGraph(fresh);
    this.log.info('reloaded');
  }

  async reopenOutputs(): Promise<void> {
    for (const o of this.graph?.outputs ?? []) await o.reopen?.();
  }

  async stop(): Promise<void> {
    const g = this.graph;
    this.graph = undefined;
    try {
      if (g) await this.stopGraph(g, Date.now() + this.config.shutdown_timeout_ms);
    } finally {
      this.unlock();
    }
  }

  stats(): Record<string, unknown> {
    const g = this.graph;
    if (!g) return {};
    return {
      pipeline: g.pipeline.counters,
      inputs: Object.fromEntries(g.inputs.map((i) => [i.name, { ...i.stats?.(), errors: g.pipeline.inputErrors.get(i.name) ?? 0 }])),
      filters: Object.fromEntries(g.filters.map((f) => [f.name, f.stats()])),
      context: g.context.stats(),
      outputs: Object.fromEntries(g.outputs.map((o) => [o.name, o.stats?.() ?? {}])),
    };
  }

  private unlock(): void {
    if (!this.lockPath) return;
    try {
      unlinkSync(this.lockPath);
    } catch {
      /* already gone */
    }
    this.lockPath = undefined;
  }
}

/**
 * Worker lanes for config `threads`, or 0. They serve an audit.log input that is the only input
 * (the context stage's process table and stateful filters must see every record, and other
 * inputs' records would not pass through the lanes), when every output takes JSON lines as bytes
 * (file), and input errors are not records (they would overtake the lanes' batches). The process
 * table and filters that keep state across records run in the one lane then, in event order; with
 * neither, records are split between `threads` lanes.
 */
export function laneCount(config: Config, outputs: readonly Output[]): number {
  if (config.threads === 0 || config.inputs.length !== 1 || config.inputs[0].type !== 'auditlog' || config.error_records) return 0;
  if (!outputs.every((o) => typeof o.writeLines === 'function')) return 0;
  const stateful = config.enrich.process || config.enrich.container || !laneSafe(config.filters);
  return stateful ? 1 : config.threads;
}

/** Records of another host's events: the context stage must not read this host's /proc for them. */
function markRemote(sink: InputSink): InputSink {
  return {
    push: (batch) => {
      for (const r of batch.records) (r as { [kRemote]?: boolean })[kRemote] = true;
      return sink.push(batch);
    },
    error: (err) => sink.error(err),
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
