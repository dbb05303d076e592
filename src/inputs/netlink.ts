// `type: netlink` — the kernel's audit stream, as auditd gets it. Unicast mode registers this
// process as the audit daemon (AUDIT_SET pid) and owns the kernel settings and rules from the
// config; multicast mode joins AUDIT_NLGRP_READLOG and only reads, beside whoever holds the pid.
//
// Two sockets: the event socket (polled on the event loop, batches of datagrams per wake-up)
// and a control socket for synchronous request/ACK exchanges (settings, rules, the AUDIT_GET
// poll), so a reply never has to be fished out of the event stream.
//
// Losses are reported as records (event.action "lost-events", audit.lost) from three places:
// the kernel's `lost` counter (AUDIT_GET poll; backlog overflow, rate limit), audit serials that
// never arrived (reassembler gaps; covers drops at our socket), and ENOBUFS on our socket is
// counted (the kernel says "some were dropped", not how many; the serial gap gives the count).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AuditflowError, parseError } from '../errors.js';
import type { NormalizedRecord } from '../record.js';
import type { BuildContext, ComponentDef, Input, InputSink } from '../pipeline/types.js';
import { AuditStream } from '../audit/stream.js';
import { lostEventsRecord } from '../audit/lost.js';
import { AuditClient, NetlinkError } from '../netlink/client.js';
import { loadNative } from '../netlink/load.js';
import type { RawAuditSocket, RawBatch } from '../netlink/native.js';
import { forEachRecord } from '../netlink/protocol.js';
import type { AuditStatus } from '../netlink/status.js';
import { loadRules } from '../audit/rules/load.js';
import { applyRules, storedForm } from '../audit/rules/apply.js';
import { encodeRule } from '../audit/rules/encode.js';
import { parseRuleArgs } from '../audit/rules/parse.js';

export interface NetlinkInputConfig {
  type: 'netlink';
  name?: string;
  mode?: 'unicast' | 'multicast';
  /** rules files or directories (auditctl syntax), loaded at start, removed at stop */
  rules?: string[];
  backlog_limit?: number;
  backlog_wait_time?: number;
  rate_limit?: number;
  failure?: 0 | 1 | 2;
  /** set the kernel's enabled flag at start (unicast default 1); the old value is restored at stop */
  enabled?: 0 | 1;
  /** SO_RCVBUF(FORCE) of the event socket, bytes */
  receive_buffer?: number;
  /** datagrams drained per wake-up at most */
  max_batch?: number;
  /** how often AUDIT_GET is polled for lost/backlog */
  status_interval_ms?: number;
  /** add `-A never,exit -F pid=<own pid>` so auditflow's own syscalls are not audited */
  exclude_self?: boolean;
  /** remove the rules loaded from `rules` at stop (default true) */
  remove_rules_on_stop?: boolean;
  /**
   * At stop, keep the audit pid, rules and enabled flag this long for a netlink input started
   * next in the same process (a SIGHUP rebuild), so a reload neither disables auditing nor
   * drops what the kernel sends meanwhile. Released at once when the process exits.
   */
  reload_handoff_ms?: number;
  /** records handed to the pipeline together: at most this many... */
  batch_max_records?: number;
  /** ...or whatever is ready once the first of them has waited this long */
  batch_max_wait_ms?: number;
  max_in_flight?: number;
  reassembly_timeout_ms?: number;
  include_original?: boolean;
  resolve_names?: boolean;
}

export const netlinkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: 'netlink' },
    name: { type: 'string' },
    mode: { enum: ['unicast', 'multicast'], default: 'unicast', description: 'unicast: be the audit daemon; multicast: read-only beside auditd' },
    rules: { type: 'array', items: { type: 'string' }, description: 'audit.rules files or rules.d directories loaded at start' },
    backlog_limit: { type: 'integer', minimum: 0, description: 'kernel backlog_limit (unicast default 8192)' },
    backlog_wait_time: { type: 'integer', minimum: 0, description: 'kernel backlog_wait_time (unicast default 0)' },
    rate_limit: { type: 'integer', minimum: 0 },
    failure: { enum: [0, 1, 2] },
    enabled: { enum: [0, 1], description: '2 (immutable) is only possible through -e 2 in a rules file with --force-immutable' },
    receive_buffer: { type: 'integer', minimum: 4096, default: 8388608 },
    max_batch: { type: 'integer', minimum: 1, maximum: 65536, default: 1024 },
    status_interval_ms: { type: 'integer', minimum: 50, default: 1000 },
    exclude_self: { type: 'boolean', default: true },
    remove_rules_on_stop: { type: 'boolean', default: true },
    reload_handoff_ms: { type: 'integer', minimum: 0, default: 1000, description: 'how long a stopped input keeps the kernel state for the next one (reload)' },
    batch_max_records: { type: 'integer', minimum: 1, default: 512, description: 'records per pipeline batch at most' },
    batch_max_wait_ms: { type: 'integer', minimum: 0, default: 20, description: 'how long a ready record may wait for others to share its batch' },
    max_in_flight: { type: 'integer', minimum: 1 },
    reassembly_timeout_ms: { type: 'integer', minimum: 1 },
    include_original: { type: 'boolean', default: false },
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
}

const UNSET_AUID = 4294967295;

/** Kernel state a stopped input leaves for the next netlink input of this process. */
interface Parked {
  mode: 'unicast' | 'multicast';
  events: RawAuditSocket;
  registered: boolean;
  rules: Buffer[];
  removeRules: boolean;
  initial: AuditStatus;
  enabledChanged: boolean;
  timer: NodeJS.Timeout;
  log: BuildContext['log'];
}
let parked: Parked | undefined;
let exitHookInstalled = false;

/** Gives the parked kernel state back (synchronous: it also runs from the process 'exit' event). */
function releaseParked(): void {
  const p = parked;
  if (!p) return;
  parked = undefined;
  clearTimeout(p.timer);
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => { try { fn(); } catch (err) { problems.push(`${what}: ${(err as Error).message}`); } };
  let control: AuditClient | undefined;
  attempt('open control socket', () => { control = new AuditClient(); });
  if (control) {
    const c = control;
    if (p.registered) attempt('release audit pid', () => c.setStatus({ pid: 0 }));
    if (p.removeRules) for (const bytes of p.rules) attempt('remove rule', () => deleteIfPresent(c, bytes));
    if (p.enabledChanged) attempt('restore enabled', () => c.setStatus({ enabled: p.initial.enabled }));
    c.close();
  }
  p.events.close();
  if (problems.length) p.log.error('netlink input could not restore everything', { problems });
}

function deleteIfPresent(c: AuditClient, bytes: Buffer): void {
  try { c.deleteRule(bytes); } catch (err) { if (!(err instanceof NetlinkError && err.errno === 'ENOENT')) throw err; }
}

const ruleKey = (b: Buffer) => b.toString('hex');

function ownLoginUid(): number {
  try {
    return Number(readFileSync('/proc/self/loginuid', 'utf8').trim());
  } catch {
    return UNSET_AUID;
  }
}

export class NetlinkInput implements Input {
  readonly name: string;
  readonly counters: NetlinkCounters = {
    datagrams: 0, records: 0, events: 0, parse_errors: 0, enobufs: 0, kernel_lost: 0, serial_gaps: 0, backlog: 0,
    backlog_max: 0, wakeups: 0, malformed: 0, batches_pushed: 0, paused: 0,
  };
  private control: AuditClient | undefined;
  private events: RawAuditSocket | undefined;
  private stream: AuditStream | undefined;
  private sink: InputSink | undefined;
  private initial: AuditStatus | undefined;
  private registered = false;
  private enabledChanged = false;
  private ourRules: Buffer[] = [];
  /** rules this start() put (or found) in place, by their bytes */
  private readonly appliedNow = new Set<string>();
  /** rules the kernel held when this start() began (a reload finds the previous config's) */
  private present = new Set<string>();
  private lastLost = 0;
  private pending: NormalizedRecord[] = [];
  private pushing: Promise<void> | undefined;
  private polling = false;
  private stopped = false;
  private statusTimer: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private maintainTimer: NodeJS.Timeout | undefined;
  private readonly statePath: string;

  constructor(private readonly cfg: NetlinkInputConfig, private readonly ctx: BuildContext) {
    this.name = cfg.name ?? `netlink-${cfg.mode ?? 'unicast'}`;
    this.statePath = path.join(ctx.stateDir, 'netlink-status.json');
  }

  get mode(): 'unicast' | 'multicast' {
    return this.cfg.mode ?? 'unicast';
  }

  async start(sink: InputSink): Promise<void> {
    this.sink = sink;
    const native = loadNative();
    const unicast = this.mode === 'unicast';
    this.stream = new AuditStream({
      resolveNames: this.cfg.resolve_names ?? true,
      includeOriginal: this.cfg.include_original ?? false,
      maxInFlight: this.cfg.max_in_flight,
      timeoutMs: this.cfg.reassembly_timeout_ms,
      onRecord: (rec) => { this.counters.events++; this.pending.push(rec); },
      onError: (where, message) => { this.counters.parse_errors++; sink.error(parseError(where, message)); },
      onLost: (count, node) => {
        this.counters.serial_gaps += count;
        this.pending.push(lostEventsRecord(count, 'sequence', Date.now(), node));
      },
    });
    let previousRules: Buffer[] = [];
    try {
      this.control = new AuditClient();
      const now = this.control.getStatus();
      this.lastLost = now.lost;
      const handed = parked && parked.mode === this.mode ? parked : undefined;
      if (handed) {
        // a reload: take over the previous input's socket, registration and rules as they are
        parked = undefined;
        clearTimeout(handed.timer);
        this.events = handed.events;
        this.registered = handed.registered;
        this.initial = handed.initial;
        this.enabledChanged = handed.enabledChanged;
        previousRules = handed.rules;
        // still ours until this start decides: a failed start releases them too
        this.ourRules = [...handed.rules];
      } else {
        releaseParked();
        this.initial = now;
        this.events = new native.AuditSocket(unicast ? 0 : native.AUDIT_NLGRP_READLOG, this.cfg.max_batch ?? 1024);
        if (unicast) this.register();
      }
      this.events.setReceiveBuffer(this.cfg.receive_buffer ?? 8 * 1024 * 1024);

      const settings: Partial<Record<'backlog_limit' | 'backlog_wait_time' | 'rate_limit' | 'failure', number>> = {};
      const bl = this.cfg.backlog_limit ?? (unicast ? 8192 : undefined);
      const bwt = this.cfg.backlog_wait_time ?? (unicast ? 0 : undefined);
      if (bl !== undefined) settings.backlog_limit = bl;
      if (bwt !== undefined) settings.backlog_wait_time = bwt;
      if (this.cfg.rate_limit !== undefined) settings.rate_limit = this.cfg.rate_limit;
      if (this.cfg.failure !== undefined) settings.failure = this.cfg.failure;
      if (Object.keys(settings).length) this.control.setStatus(settings);

      this.present = new Set(this.control.listRules().map(ruleKey));
      // rules first: a -D among them (Debian's 10-base-config.rules has one) would delete the
      // self-exclusion; -A puts the latter first in the list all the same
      if (this.cfg.rules?.length) this.loadConfiguredRules(this.cfg.rules);
      if (this.cfg.exclude_self ?? true) this.excludeSelf();
      // rules of the previous config that this one no longer has
      for (const bytes of previousRules) {
        if (this.appliedNow.has(ruleKey(bytes))) continue;
        deleteIfPresent(this.control, bytes);
        this.ourRules = this.ourRules.filter((b) => !b.equals(bytes));
      }

      const enabled = this.cfg.enabled ?? (unicast ? 1 : undefined);
      if (enabled !== undefined && enabled !== this.control.getStatus().enabled) {
        this.control.setStatus({ enabled });
        this.enabledChanged = enabled !== this.initial.enabled;
      }
    } catch (err) {
      await this.release();
      throw err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_NETLINK', (err as Error).message, this.name);
    }

    this.resume();
    const interval = this.cfg.status_interval_ms ?? 1000;
    this.statusTimer = setInterval(() => this.pollStatus(), interval);
    this.maintainTimer = setInterval(() => { this.stream?.maintain(); this.scheduleFlush(); }, 250);
    this.ctx.log.info('netlink input started', { mode: this.mode, pid: process.pid, rules: this.ourRules.length });
  }

  /** AUDIT_SET pid from the event socket: the kernel sends records to the socket that asked. */
  private register(): void {
    const viaEvents = new AuditClient({ socket: this.events! });
    try {
      viaEvents.setStatus({ pid: process.pid });
      this.registered = true;
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === 'EEXIST') {
        const holder = this.control!.getStatus().pid;
        throw new AuditflowError('AF_ERR_ALREADY_RUNNING',
          `the kernel audit pid is held by pid ${holder} (auditd or another auditflow); stop it or use mode: multicast`, this.name);
      }
      throw err;
    }
  }

  /**
   * The kernel drops auditflow's own syscalls before they are recorded: a never rule on our pid
   * (the kernel matches the thread group, so libuv's worker threads too), first in the exit list.
   * It also names our loginuid when set: that only restates who we are, and keeps the rule
   * within a test's audit uid when tests run the daemon under one.
   */
  private excludeSelf(): void {
    const auid = ownLoginUid();
    const words = ['-A', 'never,exit', '-F', `pid=${process.pid}`];
    if (auid !== UNSET_AUID) words.push('-F', `auid=${auid}`);
    const line = parseRuleArgs(words, `${this.name} self-exclusion`);
    for (const cmd of line.commands) {
      if (cmd.kind !== 'add') continue;
      const bytes = encodeRule(cmd.rule);
      if (this.present.has(ruleKey(storedForm(encodeRule(cmd.rule))))) {
        this.keepRule(storedForm(bytes));
        continue;
      }
      try {
        this.control!.addRule(bytes);
      } catch (err) {
        // left over from a previous run of this very pid (a restart inside the process): fine
        if (!(err instanceof NetlinkError && err.errno === 'EEXIST')) throw err;
      }
      this.keepRule(storedForm(bytes));
    }
  }

  private keepRule(stored: Buffer): void {
    this.appliedNow.add(ruleKey(stored));
    if (!this.ourRules.some((b) => b.equals(stored))) this.ourRules.push(stored);
  }

  private loadConfiguredRules(configured: string[]): void {
    // a rules.d that does not exist (no auditd package ever installed) is "no rules", as for
    // auditd: reported, and the daemon still listens
    const targets = configured.filter((t) => {
      if (existsSync(t)) return true;
      this.sink!.error(new AuditflowError('AF_ERR_RULE', `${t} does not exist: no rules loaded from it`, this.name));
      return false;
    });
    let loaded;
    try {
      loaded = loadRules(targets);
    } catch (err) {
      throw new AuditflowError('AF_ERR_RULE', `cannot read rules: ${(err as Error).message}`, this.name);
    }
    const res = applyRules(this.control!, loaded.entries, {
      continueOnError: true,
      existingIsOk: true,
      present: this.present,
      onApplied: (cmd) => { if (cmd.kind === 'add') this.keepRule(storedForm(encodeRule(cmd.rule))); },
    });
    // like auditd with augenrules: a bad line is reported and the rest still load
    for (const e of res.errors) this.sink!.error(e);
  }

  private resume(): void {
    if (this.polling || this.stopped || !this.events) return;
    this.polling = true;
    this.events.start((err, batch) => {
      if (err) {
        this.sink?.error(new AuditflowError('AF_ERR_NETLINK', err.message, this.name));
        return;
      }
      if (batch) this.onBatch(batch);
    });
  }

  private pause(): void {
    if (!this.polling || !this.events) return;
    this.polling = false;
    this.counters.paused++;
    this.events.stop();
  }

  private onBatch(batch: RawBatch): void {
    const stream = this.stream!;
    this.counters.wakeups++;
    this.counters.datagrams += batch.meta.length / 2;
    forEachRecord(batch, (type, text) => {
      this.counters.records++;
      stream.netlink(type, text);
    }, (len) => {
      this.counters.malformed++;
      this.sink?.error(parseError(`${this.name} datagram`, `${len} bytes, shorter than a netlink header`));
    });
    this.scheduleFlush();
  }

  /**
   * Batches are what the pipeline pays for (filters, every output's write): at a few thousand
   * events a second each wake-up holds one or two events, so records wait up to
   * batch_max_wait_ms for company, unless batch_max_records are already there.
   */
  private scheduleFlush(): void {
    if (this.pending.length === 0) return;
    const wait = this.cfg.batch_max_wait_ms ?? 20;
    if (this.pending.length >= (this.cfg.batch_max_records ?? 512) || wait === 0) {
      this.flushPending();
      return;
    }
    if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => { this.batchTimer = undefined; this.flushPending(); }, wait);
    }
  }

  /**
   * Hands what is ready to the pipeline. One push at a time; while it waits (backpressure) the
   * socket is not read, so the kernel queues (its backlog) instead of this process's memory.
   */
  private flushPending(): void {
    if (this.pushing || this.pending.length === 0 || !this.sink) return;
    if (this.batchTimer) { clearTimeout(this.batchTimer); this.batchTimer = undefined; }
    const records = this.pending;
    this.pending = [];
    this.counters.batches_pushed++;
    const p = this.sink.push({ records });
    let settled = false;
    this.pushing = p.then(() => {
      settled = true;
      this.pushing = undefined;
      this.resume();
      this.scheduleFlush();
    }, (err) => {
      settled = true;
      this.pushing = undefined;
      this.sink?.error(new AuditflowError('AF_ERR_NETLINK', `pipeline refused a batch: ${(err as Error).message}`, this.name));
      this.resume();
    });
    // still waiting after this turn of the event loop: stop reading until the pipeline has room
    setImmediate(() => { if (!settled && this.pushing) this.pause(); });
  }

  /** AUDIT_GET: kernel lost/backlog into counters and records; `final` is the one at stop(). */
  private pollStatus(final = false): void {
    if (!this.control || (this.stopped && !final)) return;
    let s: AuditStatus;
    try {
      s = this.control.getStatus();
    } catch (err) {
      this.sink?.error(err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_NETLINK', (err as Error).message, this.name));
      return;
    }
    this.counters.backlog = s.backlog;
    if (s.backlog > this.counters.backlog_max) this.counters.backlog_max = s.backlog;
    // the counter only grows (until --reset-lost); a drop means someone reset it
    if (s.lost > this.lastLost) {
      const n = s.lost - this.lastLost;
      this.counters.kernel_lost += n;
      this.pending.push(lostEventsRecord(n, 'kernel', Date.now()));
    }
    this.lastLost = s.lost;
    if (this.events) this.counters.enobufs = this.events.stats().enobufs;
    this.scheduleFlush();
    if (this.mode === 'unicast' && this.registered && s.pid !== process.pid) {
      this.sink?.error(new AuditflowError('AF_ERR_NETLINK', `the kernel audit pid is now ${s.pid}, not ours (${process.pid}): records go elsewhere`, this.name));
      this.registered = false;
    }
    this.writeState(s);
  }

  private writeState(s: AuditStatus): void {
    try {
      const tmp = `${this.statePath}.tmp`;
      writeFileSync(tmp, JSON.stringify({ pid: process.pid, mode: this.mode, ...this.counters, kernel_backlog: s.backlog }) + '\n');
      renameSync(tmp, this.statePath);
    } catch { /* state dir not writable: status just shows the kernel's side */ }
  }

  stats(): Record<string, number> {
    if (this.events) this.counters.enobufs = this.events.stats().enobufs;
    return { ...this.counters };
  }

  /** Gives back what start() took: the audit pid, our rules, the enabled flag; closes sockets. */
  private async release(): Promise<void> {
    const problems: string[] = [];
    const attempt = (what: string, fn: () => void) => {
      try { fn(); } catch (err) { problems.push(`${what}: ${(err as Error).message}`); }
    };
    if (this.events) {
      this.events.stop();
      this.polling = false;
    }
    const control = this.control;
    if (control) {
      if (this.registered) attempt('release audit pid', () => control.setStatus({ pid: 0 }));
      this.registered = false;
      if (this.cfg.remove_rules_on_stop ?? true) {
        for (const bytes of this.ourRules) attempt('remove rule', () => deleteIfPresent(control, bytes));
        this.ourRules = [];
      }
      if (this.enabledChanged && this.initial) attempt('restore enabled', () => control.setStatus({ enabled: this.initial!.enabled }));
      this.enabledChanged = false;
      control.close();
      this.control = undefined;
    }
    if (this.events) {
      this.events.close();
      this.events = undefined;
    }
    if (problems.length) this.ctx.log.error('netlink input could not restore everything', { problems });
  }

  /** Leaves the kernel state for the next input of this process (see reload_handoff_ms). */
  private park(ms: number): void {
    releaseParked();
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', releaseParked);
    }
    parked = {
      mode: this.mode, events: this.events!, registered: this.registered, rules: this.ourRules,
      removeRules: this.cfg.remove_rules_on_stop ?? true, initial: this.initial!, enabledChanged: this.enabledChanged,
      timer: setTimeout(releaseParked, ms), log: this.ctx.log,
    };
    this.events = undefined;
    this.registered = false;
    this.ourRules = [];
    this.enabledChanged = false;
    this.control!.close();
    this.control = undefined;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.statusTimer);
    clearInterval(this.maintainTimer);
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    // drain what the kernel already queued for us before letting go of the pid
    if (this.events && this.polling) {
      this.events.stop();
      this.polling = false;
    }
    if (this.events) {
      for (let i = 0; i < 64; i++) {
        let batch: RawBatch | undefined;
        try { batch = this.events.receive(0); } catch { break; }
        if (!batch) break;
        this.onBatch(batch);
      }
    }
    this.pollStatus(true);
    const handoff = this.cfg.reload_handoff_ms ?? 1000;
    if (handoff > 0 && this.events && this.control) this.park(handoff);
    else await this.release();
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
  build: (cfg: NetlinkInputConfig, ctx) => new NetlinkInput(cfg, ctx),
};

