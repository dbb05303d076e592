// The contracts between inputs, filters and outputs. Everything that plugs into the pipeline
// implements one of these; src/pipeline/pipeline.ts wires them.

import type { AuditflowError } from '../errors.js';
import type { NormalizedRecord } from '../record.js';
import type { Logger } from '../log.js';
import type { ProcSnapshots } from '../context/proc-snapshots.js';
import type { Batch as EventBatch } from './workers/lane-protocol.js';

/** A group of records an input hands over at once, with the way to tell it they are delivered. */
export interface Batch {
  records: NormalizedRecord[];
  /**
   * Complete audit events as their lines, for a pipeline with lanes (InputSink.lanes): the lanes
   * normalize, filter and serialize them; they are written after `records`.
   */
  events?: EventBatch;
  /**
   * Called exactly once, after every output has accepted the batch (delivered, or durably
   * spooled), including when filters dropped every record. Tailing inputs advance their
   * checkpoint here; acks arrive in push order.
   */
  ack?: () => void;
}

export interface InputSink {
  /** Hands a batch to the pipeline; resolves when there is room for more (backpressure). */
  push(batch: Batch): Promise<void>;
  /** A counted, logged error about the input (bad line, unreadable file); processing goes on. */
  error(err: AuditflowError): void;
  /** Audit events may be pushed as lines (Batch.events): worker lanes normalize them. */
  readonly lanes?: boolean;
}

export interface Input {
  readonly name: string;
  start(sink: InputSink): Promise<void>;
  /** Stops reading; pushes nothing after it resolves. */
  stop(): Promise<void>;
  stats?(): Record<string, number>;
}

export interface FilterStats {
  kept: number;
  dropped: number;
  modified: number;
}

export interface Filter {
  readonly name: string;
  /** The record (possibly changed in place), or null to drop it. Pure apart from small state. */
  apply(rec: NormalizedRecord): NormalizedRecord | null;
  /** Records the filter makes itself (throttle summaries); called periodically and at shutdown. */
  drain?(nowMs: number, final: boolean): NormalizedRecord[];
  stats(): FilterStats;
}

export interface Output {
  readonly name: string;
  start(): Promise<void>;
  /**
   * Resolves once the records are delivered or durably queued by the output. Delivery failures
   * are the output's to retry and count; rejecting means the output is unusable.
   */
  write(records: readonly NormalizedRecord[]): Promise<void>;
  /**
   * The same for records already serialized as JSON lines (by the daemon's lanes), `records`
   * lines in `lines`. Only outputs that write exactly JSON lines have it.
   */
  writeLines?(lines: Uint8Array, records: number): Promise<void>;
  /**
   * For an output whose write() resolves before delivery is known (syslog over TCP: the kernel
   * took the bytes, the receiver may never read them). `cb(n)` says the next n records, in write
   * order, are now known delivered (or given up on and counted by the output). The output bounds
   * what it holds unconfirmed by not resolving write(). Without this method a resolved write() is
   * the confirmation.
   */
  onConfirmed?(cb: (records: number) => void): void;
  /** Flushes what it holds, giving up at the deadline (epoch ms). */
  close(deadlineMs: number): Promise<void>;
  /** Reopen files (SIGHUP / SIGUSR1 for logrotate users). */
  reopen?(): Promise<void>;
  stats?(): Record<string, number>;
}

/** What a component factory gets besides its own config. */
export interface BuildContext {
  stateDir: string;
  hostName: string;
  log: Logger;
  /** the live process table's: the netlink input adds what its reader read of /proc as exec events came */
  procSnapshots?: ProcSnapshots;
}

/** One entry of a registry: the `type:` name, its config schema (JSON Schema), its factory. */
export interface ComponentDef<T> {
  type: string;
  /** JSON Schema of the component's config object, including `type`. Unknown keys rejected. */
  schema: Record<string, unknown>;
  /** old key spellings still accepted (old → current); the config loader warns about each */
  aliases?: Record<string, string>;
  /**
   * Gets its config resolved by src/config/resolve.ts: validated, with every schema default filled
   * in. Build components through buildComponent(), never with a raw config item.
   */
  build(config: any, ctx: BuildContext): T;
  /**
   * Checks what build and start will need from outside (files to read, paths to write, URLs, TLS
   * material) without starting anything; throws an AF_ERR_CONFIG naming the key under `where`.
   * Run by `check-config` and before the daemon starts.
   */
  preflight?(config: any, where: string, ctx: BuildContext): void;
}
