// `type: netlink` — the kernel's audit stream, as auditd gets it. Unicast mode is the audit
// daemon (it owns the audit pid, kernel settings and rules from the config); multicast mode
// joins AUDIT_NLGRP_READLOG and only reads, beside whoever holds the pid. What is held in the
// kernel, and its handoff to the input a SIGHUP reload starts, is src/kernel/session.ts's job:
// this input reads records from the session's socket (batches of datagrams per wake-up) and
// hands them to the pipeline.
//
// Losses are reported as records (event.action "lost-events", audit.lost) from three places:
// the kernel's `lost` counter (AUDIT_GET poll; backlog overflow, rate limit), audit serials that
// never arrived (reassembler gaps; covers drops at our socket), and ENOBUFS on our socket is
// counted (the kernel says "some were dropped", not how many; the serial gap gives the count).

import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuditflowError, parseError } from '../errors.js';
import type { NormalizedRecord } from '../record.js';
import type { BuildContext, ComponentDef, Input, InputSink } from '../pipeline/types.js';
import { AuditStream } from '../audit/stream.js';
import { lostEventsRecord } from '../audit/lost.js';
import type { RawBatch } from '../netlink/native.js';
import { forEachRecord } from '../netlink/protocol.js';
import type { AuditStatus } from '../netlink/status.js';
import { KernelSession } from '../kernel/session.js';
import type { KernelSettings } from '../kernel/settings.js';

/** The config as the resolver hands it over: every setting with a schema default is set. */
export interface NetlinkInputConfig {
  type: 'netlink';
  name?: string;
  mode: 'unicast' | 'multicast';
  /** rules files or directories (auditctl syntax), loaded at start, removed at stop */
  rules: string[];
  // Kernel settings: set here, they win over the rules files (whose line is named in a
  // warning); unset, unicast mode sets backlog_limit 8192, backlog_wait_time 0 and enabled 1
  // before the rules, which may change them, and multicast leaves the kernel's values alone.
  backlog_limit?: number;
  backlog_wait_time?: number;
  rate_limit?: number;
  failure?: 0 | 1 | 2;
  /** the kernel's enabled flag while running; the old value is restored at stop */
  enabled?: 0 | 1;
  /** SO_RCVBUF(FORCE) of the event socket, bytes */
  receive_buffer: number;
  /** bytes of datagrams the addon's reader thread holds while the JS thread is busy or paused */
  receive_ring: number;
  /** datagrams drained per wake-up at most */
  max_batch: number;
  /** how often AUDIT_GET is polled for lost/backlog */
  status_interval_ms: number;
  /** add `-A never,exit -F pid=<own pid>` so auditflow's own syscalls are not audited */
  exclude_self: boolean;
  /** remove the rules loaded from `rules` at stop */
  remove_rules_on_stop: boolean;
  /**
   * At stop, keep the audit pid, rules and enabled flag this long for a netlink input started
   * next in the same process (a SIGHUP rebuild), so a reload neither disables auditing nor
   * drops what the kernel sends meanwhile. Released at once when the process exits.
   */
  reload_handoff_ms: number;
  /** records handed to the pipeline together: at most this many... */
  batch_max_records: number;
  /** ...or whatever is ready once the first of them has waited this long */
  batch_max_wait_ms: number;
  max_in_flight: number;
  reassembly_timeout_ms: number;
  /** keep the raw records as event.original (formerly include_original) */
  keep_original: boolean;
  resolve_names: boolean;
}

export const netlinkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'netlink' },
    name: { type: 'string', description: 'default netlink-<mode>' },
    mode: { enum: ['unicast', 'multicast'], default: 'unicast', description: 'unicast: be the audit daemon; multicast: read-only beside auditd' },
    rules: { type: 'array', items: { type: 'string' }, default: [], description: 'audit.rules files or rules.d directories loaded at start' },
    // no schema defaults for kernel settings: only a value the config sets wins over rules files
    backlog_limit: {
      type: 'integer',
      minimum: 0,
      description: 'kernel backlog_limit, wins over rules files (unset: 8192 in unicast mode, unless a rules file says otherwise)',
    },
    backlog_wait_time: {
      type: 'integer',
      minimum: 0,
      description: 'kernel backlog_wait_time, wins over rules files (unset: 0 in unicast mode, unless a rules file says otherwise)',
    },
    rate_limit: { type: 'integer', minimum: 0, description: 'kernel rate_limit, wins over rules files (unset: left alone)' },
    failure: { enum: [0, 1, 2], description: 'kernel failure mode, wins over rules files (unset: left alone)' },
    enabled: {
      enum: [0, 1],
      description:
        'wins over -e in rules files (unset: 1 in unicast mode); 2 (immutable) is only possible through -e 2 in a rules file with rules load --force-immutable',
    },
    receive_buffer: { type: 'integer', minimum: 4096, default: 8388608 },
    receive_ring: {
      type: 'integer',
      minimum: 1048576,
      default: 67108864,
      description: 'bytes of records read off the socket and held for a busy pipeline before the kernel backlog has to hold them',
    },
    max_batch: { type: 'integer', minimum: 1, maximum: 65536, default: 1024 },
    status_interval_ms: { type: 'integer', minimum: 50, default: 1000 },
    exclude_self: { type: 'boolean', default: true },
    remove_rules_on_stop: { type: 'boolean', default: true },
    reload_handoff_ms: { type: 'integer', minimum: 0, default: 1000, description: 'how long a stopped input keeps the kernel state for the next one (reload)' },
    batch_max_records: { type: 'integer', minimum: 1, default: 512, description: 'records per pipeline batch at most' },
    // 100: at a few hundred events a second a wake-up of the JS thread costs more than the events
    // it handles (exec storm per 10k events: 3.19-3.56 CPU s at 20 ms, 2.13-2.81 at 100; bench/PROFILE.md)
    batch_max_wait_ms: { type: 'integer', minimum: 0, default: 100, description: 'how long a ready record may wait for others to share its batch' },
    max_in_flight: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'events being reassembled at once at most' },
    reassembly_timeout_ms: { type: 'integer', minimum: 1, default: 2000, description: 'audit time after which an incomplete event is emitted as it stands' },
    keep_original: { type: 'boolean', default: false, description: 'keep the raw records as event.original' },
    resolve_names: { type: 'boolean', default: true },
  },
} as const;

export interface NetlinkCounters {
  datagrams: number;
  records: number;
  events: number;
  parse_errors: number;
  enobufs: number;
  kernel_lost: number;
  serial_gaps: number;
  backlog: number;
  backlog_max: number;
  wakeups: number;
  /** datagrams too short to hold a netlink header */
  malformed: number;
  batches_pushed: number;
  paused: number;
  /** most bytes the addon's reader held for JS at once */
  ring_peak: number;
  /** times that ring was full, so the kernel had to queue */
  ring_full: number;
  /** times the reader slept while the socket buffer held what arrived, instead of waking per record */
  naps: number;
  /** exec events whose process the reader read in /proc as they came; and those gone already */
  proc_snapshots: number;
  proc_snapshots_gone: number;
}

/** how often incomplete events are looked at for the reassembly timeout */
const MAINTAIN_MS = 250;

export class NetlinkInput implements Input {
  readonly name: string;
  readonly counters: NetlinkCounters = {
    datagrams: 0,
    records: 0,
    events: 0,
    parse_errors: 0,
    enobufs: 0,
    kernel_lost: 0,
    serial_gaps: 0,
    backlog: 0,
    backlog_max: 0,
    wakeups: 0,
    malformed: 0,
    batches_pushed: 0,
    paused: 0,
    ring_peak: 0,
    ring_full: 0,
    naps: 0,
    proc_snapshots: 0,
    proc_snapshots_gone: 0,
  };
  private session: KernelSession | undefined;
  private stream: AuditStream | undefined;
  private sink: InputSink | undefined;
  private lastLost = 0;
  private pending: NormalizedRecord[] = [];
  private pushing: Promise<void> | undefined;
  private polling = false;
  private statusInFlight = false;
  private stopped = false;
  private statusTimer: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private maintainTimer: NodeJS.Timeout | undefined;
  private lastMaintain = 0;
  private readonly statePath: string;

  constructor(
    private readonly cfg: NetlinkInputConfig,
    private readonly ctx: BuildContext,
  ) {
    this.name = cfg.name ?? `netlink-${cfg.mode}`;
    this.statePath = path.join(ctx.stateDir, 'netlink-status.json');
  }

  get mode(): 'unicast' | 'multicast' {
    return this.cfg.mode;
  }

  async start(sink: InputSink): Promise<void> {
    this.sink = sink;
    const cfg = this.cfg;
    this.stream = new AuditStream({
      resolveNames: cfg.resolve_names,
      includeOriginal: cfg.keep_original,
      templates: true,
      maxInFlight: cfg.max_in_flight,
      timeoutMs: cfg.reassembly_timeout_ms,
      onRecord: (rec) => {
        this.counters.events++;
        this.pending.push(rec);
      },
      onError: (where, message) => {
        this.counters.parse_errors++;
        sink.error(parseError(where, message));
      },
      onLost: (count, node) => {
        this.counters.serial_gaps += count;
        this.pending.push(lostEventsRecord(count, 'sequence', Date.now(), node));
      },
    });
    const settings: KernelSettings = {
      backlog_limit: cfg.backlog_limit,
      backlog_wait_time: cfg.backlog_wait_time,
      rate_limit: cfg.rate_limit,
      failure: cfg.failure,
      enabled: cfg.enabled,
    };
    this.session = KernelSession.open({
      name: this.name,
      mode: cfg.mode,
      maxBatch: cfg.max_batch,
      receiveBuffer: cfg.receive_buffer,
      receiveRing: cfg.receive_ring,
      settings,
      rules: cfg.rules,
      excludeSelf: cfg.exclude_self,
      removeRulesOnStop: cfg.remove_rules_on_stop,
      log: this.ctx.log,
      onError: (err) => sink.error(err),
    });
    this.lastLost = this.session.lostAtOpen;

    this.resume();
    this.statusTimer = setInterval(() => this.pollStatus(), cfg.status_interval_ms);
    // while batches come, onBatch maintains and pushes this timer back: it fires only when the
    // input is idle (a timer that fires is one more wake-up of the JS thread, ~100 µs here)
    this.lastMaintain = Date.now();
    this.maintainTimer = setInterval(() => {
      this.lastMaintain = Date.now();
      this.stream?.maintain();
      this.scheduleFlush();
    }, MAINTAIN_MS);
    this.ctx.log.info('netlink input started', { mode: this.mode, pid: process.pid, rules: this.session.ruleCount });
  }

  private resume(): void {
    if (this.polling || this.stopped || !this.session) return;
    this.polling = true;
    const snapshots = this.ctx.procSnapshots;
    this.session.events.snapshotExecs(snapshots === undefined ? 0 : snapshots.cgroups ? 2 : 1);
    // the reader thread holds records up to batch_max_wait_ms before waking this thread, so a
    // batch it hands over has already waited for company (see onBatch)
    this.session.events.start((err, batch) => {
      if (err) {
        this.sink?.error(new AuditflowError('AF_ERR_NETLINK', err.message, this.name));
        return;
      }
      if (batch) this.onBatch(batch);
    }, this.cfg.batch_max_wait_ms);
  }

  /** The addon's reader thread goes on taking records off the socket into its ring meanwhile. */
  private pause(): void {
    if (!this.polling || !this.session) return;
    this.polling = false;
    this.counters.paused++;
    this.session.events.pause();
  }

  private onBatch(batch: RawBatch): void {
    const stream = this.stream!;
    this.counters.wakeups++;
    // before the records: their events may complete in this batch
    if (batch.procs !== undefined) this.ctx.procSnapshots?.add(batch.procs);
    this.counters.datagrams += batch.meta.length / 2;
    forEachRecord(
      batch,
      (type, text) => {
        this.counters.records++;
        stream.netlink(type, text);
      },
      (len) => {
        this.counters.malformed++;
        this.sink?.error(parseError(`${this.name} datagram`, `${len} bytes, shorter than a netlink header`));
      },
    );
    this.maintainTimer?.refresh();
    const now = Date.now();
    if (now - this.lastMaintain >= MAINTAIN_MS) {
      this.lastMaintain = now;
      stream.maintain();
    }
    // no second wait here: the addon woke this thread only once the batch's first record had
    // waited batch_max_wait_ms (or enough had come), and a timer per batch is one more wake-up
    this.flushPending();
  }

  /**
   * Batches are what the pipeline pays for (filters, every output's write): at a few thousand
   * events a second each wake-up holds one or two events, so records wait up to
   * batch_max_wait_ms for company, unless batch_max_records are already there.
   */
  private scheduleFlush(): void {
    if (this.pending.length === 0) return;
    const wait = this.cfg.batch_max_wait_ms;
    if (this.pending.length >= this.cfg.batch_max_records || wait === 0) {
      this.flushPending();
      return;
    }
    if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.flushPending();
      }, wait);
    }
  }

  /**
   * Hands what is ready to the pipeline. One push at a time; while it waits (backpressure) no
   * batch is taken from the addon, whose reader fills its bounded ring (receive_ring) and then
   * leaves the kernel to queue (socket buffer, backlog) instead of this process's memory.
   */
  private flushPending(): void {
    if (this.pushing || this.pending.length === 0 || !this.sink) return;
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    const records = this.pending;
    this.pending = [];
    this.counters.batches_pushed++;
    const p = this.sink.push({ records });
    let settled = false;
    this.pushing = p.then(
      () => {
        settled = true;
        this.pushing = undefined;
        this.resume();
        this.scheduleFlush();
      },
      (err) => {
        settled = true;
        this.pushing = undefined;
        this.sink?.error(new AuditflowError('AF_ERR_NETLINK', `pipeline refused a batch: ${(err as Error).message}`, this.name));
        this.resume();
      },
    );
    // still waiting after this turn of the event loop: stop reading until the pipeline has room
    setImmediate(() => {
      if (!settled && this.pushing) this.pause();
    });
  }

  /**
   * The status timer: AUDIT_GET answered without holding the event loop (the kernel's reply
   * takes tens of ms on a busy host, records would wait meanwhile); one request at a time.
   */
  private pollStatus(): void {
    const session = this.session;
    if (!session || this.stopped || this.statusInFlight) return;
    this.statusInFlight = true;
    session.statusAsync().then(
      (s) => {
        this.statusInFlight = false;
        if (s && !this.stopped) this.takeStatus(s);
      },
      (err) => {
        this.statusInFlight = false;
        if (!this.stopped) this.statusError(err);
      },
    );
  }

  /** The last AUDIT_GET, at stop(): synchronous, the session is closed right after. */
  private finalStatus(session: KernelSession): void {
    let s: AuditStatus;
    try {
      s = session.status();
    } catch (err) {
      this.statusError(err);
      return;
    }
    this.takeStatus(s);
  }

  private statusError(err: unknown): void {
    this.sink?.error(err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_NETLINK', (err as Error).message, this.name));
  }

  /** Kernel lost/backlog into counters and records. */
  private takeStatus(s: AuditStatus): void {
    this.counters.backlog = s.backlog;
    if (s.backlog > this.counters.backlog_max) this.counters.backlog_max = s.backlog;
    // the counter only grows (until --reset-lost); a drop means someone reset it
    if (s.lost > this.lastLost) {
      const n = s.lost - this.lastLost;
      this.counters.kernel_lost += n;
      this.pending.push(lostEventsRecord(n, 'kernel', Date.now()));
    }
    this.lastLost = s.lost;
    this.takeSocketStats();
    this.scheduleFlush();
    this.writeState(s);
  }

  private writeState(s: AuditStatus): void {
    try {
      const tmp = `${this.statePath}.tmp`;
      writeFileSync(tmp, JSON.stringify({ pid: process.pid, mode: this.mode, ...this.counters, kernel_backlog: s.backlog }) + '\n');
      renameSync(tmp, this.statePath);
    } catch {
      /* state dir not writable: status just shows the kernel's side */
    }
  }

  private takeSocketStats(): void {
    if (!this.session) return;
    const s = this.session.events.stats();
    this.counters.enobufs = s.enobufs;
    this.counters.ring_peak = s.ring_peak;
    this.counters.ring_full = s.ring_full;
    this.counters.naps = s.naps;
    this.counters.proc_snapshots = s.proc_snapshots;
    this.counters.proc_snapshots_gone = s.proc_snapshots_gone;
  }

  stats(): Record<string, number> {
    this.takeSocketStats();
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.statusTimer);
    clearInterval(this.maintainTimer);
    this.maintainTimer = undefined;
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const session = this.session;
    if (session) {
      // drain what the reader's ring and the kernel already hold for us before letting go of the pid
      session.events.stop();
      this.polling = false;
      this.takeSocketStats();
      for (let i = 0; i < 64 || session.events.stats().ring_bytes > 0; i++) {
        let batch: RawBatch | undefined;
        try {
          batch = session.events.receive(0);
        } catch {
          break;
        }
        if (!batch) break;
        this.onBatch(batch);
      }
      this.finalStatus(session);
      this.session = undefined;
      session.close(this.cfg.reload_handoff_ms);
    }
    this.stream?.flush();
    while (this.pushing) await this.pushing;
    if (this.pending.length && this.sink) {
      const records = this.pending;
      this.pending = [];
      await this.sink.push({ records });
    }
  }
}

export const netlinkInput: ComponentDef<Input> = {
  type: 'netlink',
  schema: netlinkSchema,
  aliases: { include_original: 'keep_original' },
  build: (cfg: NetlinkInputConfig, ctx) => new NetlinkInput(cfg, ctx),
};
