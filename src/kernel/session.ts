// The kernel side of a netlink input, held while it runs: the event socket, the audit pid
// (unicast: this process is the audit daemon), kernel settings, the rules loaded from the config
// and the enabled flag. The input only reads records from `events`.
//
// Everything a session takes is given back by one function, releaseHeld(), whether the input
// stops, its start fails or the process exits. A stop may instead park what it holds for a while
// (the input's reload_handoff_ms): the session a SIGHUP rebuild opens next in this process takes
// it over as it is, so auditing never switches off and what the kernel sends meanwhile waits on
// the socket.
//
// Control requests (settings, rules, the status poll) go over a second socket of the session's
// own, so a reply never has to be fished out of the event stream.

import { existsSync, readFileSync } from 'node:fs';
import { AuditflowError } from '../errors.js';
import type { Logger } from '../log.js';
import { AuditClient, NetlinkError } from '../netlink/client.js';
import { loadNative } from '../netlink/load.js';
import type { RawAuditSocket } from '../netlink/native.js';
import type { AuditStatus } from '../netlink/status.js';
import { loadRules } from '../audit/rules/load.js';
import { encodeRule, storedForm } from '../audit/rules/encode.js';
import { parseRuleArgs, RuleError } from '../audit/rules/parse.js';
import { applyRules } from './apply-rules.js';
import { effectiveSettings, withoutOverriddenSettings, type KernelSettings } from './settings.js';

export interface KernelSessionOptions {
  /** names the session in errors and logs (the input's name) */
  name: string;
  mode: 'unicast' | 'multicast';
  /** datagrams drained per wake-up at most */
  maxBatch: number;
  /** SO_RCVBUF(FORCE) of the event socket, bytes */
  receiveBuffer: number;
  /** bytes the addon's reader thread may hold for a busy JS thread before the kernel queues again */
  receiveRing: number;
  /** settings the config sets explicitly: they win over rules files (see settings.ts) */
  settings: KernelSettings;
  /** rules files or directories, auditctl syntax */
  rules: readonly string[];
  /** a never rule on our own pid, so writing what we read is not audited in turn */
  excludeSelf: boolean;
  removeRulesOnStop: boolean;
  log: Logger;
  /** counted errors the session survives: bad rules lines, a missing rules path, a lost audit pid */
  onError(err: AuditflowError): void;
}

/** What a session holds in the kernel; given back by releaseHeld(). */
interface Held {
  mode: 'unicast' | 'multicast';
  events: RawAuditSocket;
  registered: boolean;
  /** our rules, as the kernel lists them */
  rules: Buffer[];
  removeRules: boolean;
  /** the enabled flag before the first session of a handoff chain changed it */
  initialEnabled: number;
  enabledChanged: boolean;
  log: Logger;
}

const UNSET_AUID = 4294967295;
const ruleKey = (b: Buffer) => b.toString('hex');

/** Everything this process holds in the kernel, so process exit can give it back. */
const holding = new Set<Held>();
let parked: { held: Held; timer: NodeJS.Timeout } | undefined;
let exitHookInstalled = false;

/**
 * Gives back what `held` took: the audit pid, its rules, the enabled flag; closes the event
 * socket. Synchronous, because it also runs from the process 'exit' event; never throws, what
 * could not be restored is logged.
 */
function releaseHeld(held: Held): void {
  if (!holding.delete(held)) return;
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  let control: AuditClient | undefined;
  attempt('open control socket', () => {
    control = new AuditClient();
  });
  if (control) {
    const c = control;
    if (held.registered) attempt('release audit pid', () => c.setStatus({ pid: 0 }));
    if (held.removeRules) for (const bytes of held.rules) attempt('remove rule', () => deleteIfPresent(c, bytes));
    if (held.enabledChanged) attempt('restore enabled', () => c.setStatus({ enabled: held.initialEnabled }));
    c.close();
  }
  held.registered = false;
  held.rules = [];
  held.enabledChanged = false;
  attempt('close event socket', () => held.events.close());
  if (problems.length) held.log.error('kernel session could not restore everything', { problems });
}

function releaseParked(): void {
  const p = parked;
  if (!p) return;
  parked = undefined;
  clearTimeout(p.timer);
  releaseHeld(p.held);
}

function releaseAll(): void {
  releaseParked();
  for (const held of [...holding]) releaseHeld(held);
}

function hold(held: Held): void {
  holding.add(held);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAll);
  }
}

function deleteIfPresent(c: AuditClient, bytes: Buffer): void {
  try {
    c.deleteRule(bytes);
  } catch (err) {
    if (!(err instanceof NetlinkError && err.errno === 'ENOENT')) throw err;
  }
}

function ownLoginUid(): number {
  try {
    return Number(readFileSync('/proc/self/loginuid', 'utf8').trim());
  } catch {
    return UNSET_AUID;
  }
}

export class KernelSession {
  private closed = false;
  /** the kernel's lost counter once the session was set up (losses before it are not ours) */
  lostAtOpen = 0;
  /** rules the kernel held when this session opened (a reload finds the previous config's) */
  private present = new Set<string>();
  /** rules this session put (or found) in place */
  private readonly appliedNow = new Set<string>();

  private constructor(
    private readonly opts: KernelSessionOptions,
    private readonly control: AuditClient,
    private readonly held: Held,
  ) {}

  /**
   * Takes over the session a stopped input of the same mode parked, or opens a new one (unicast:
   * registers as the audit daemon); then applies settings and rules. A failure gives back
   * everything, also what was taken over.
   */
  static open(opts: KernelSessionOptions): KernelSession {
    let control: AuditClient | undefined;
    let session: KernelSession | undefined;
    try {
      control = new AuditClient();
      const handed = parked?.held.mode === opts.mode ? parked.held : undefined;
      let previousRules: Buffer[] = [];
      let held: Held;
      if (handed) {
        clearTimeout(parked!.timer);
        parked = undefined;
        held = handed;
        held.removeRules = opts.removeRulesOnStop;
        held.log = opts.log;
        previousRules = [...handed.rules];
      } else {
        releaseParked();
        const initial = control.getStatus();
        const native = loadNative();
        held = {
          mode: opts.mode,
          registered: false,
          rules: [],
          removeRules: opts.removeRulesOnStop,
          initialEnabled: initial.enabled,
          enabledChanged: false,
          log: opts.log,
          events: new native.AuditSocket(opts.mode === 'unicast' ? 0 : native.AUDIT_NLGRP_READLOG, opts.maxBatch, opts.receiveRing),
        };
      }
      hold(held);
      session = new KernelSession(opts, control, held);
      session.setUp(!handed, previousRules);
      return session;
    } catch (err) {
      if (session) session.release();
      else control?.close();
      throw err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_NETLINK', (err as Error).message, opts.name);
    }
  }

  /** The socket the kernel's records arrive on. */
  get events(): RawAuditSocket {
    return this.held.events;
  }

  /** Rules this session holds in the kernel. */
  get ruleCount(): number {
    return this.held.rules.length;
  }

  private setUp(fresh: boolean, previousRules: Buffer[]): void {
    const { mode } = this.opts;
    if (fresh && mode === 'unicast') this.register();
    this.held.events.setReceiveBuffer(this.opts.receiveBuffer);

    // backlog settings before any rule goes in; enabled once the rules are in place
    const { enabled, ...before } = effectiveSettings(mode, this.opts.settings);
    if (Object.keys(before).length) this.control.setStatus(before);
    this.present = new Set(this.control.listRules().map(ruleKey));
    // rules first: a -D among them (Debian's 10-base-config.rules has one) would delete the
    // self-exclusion; -A puts the latter first in the list all the same
    if (this.opts.rules.length) this.loadConfiguredRules();
    if (this.opts.excludeSelf) this.excludeSelf();
    // rules of the previous config that this one no longer has
    for (const bytes of previousRules) {
      if (this.appliedNow.has(ruleKey(bytes))) continue;
      deleteIfPresent(this.control, bytes);
      this.held.rules = this.held.rules.filter((b) => !b.equals(bytes));
    }

    const status = this.control.getStatus();
    this.lostAtOpen = status.lost;
    const now = status.enabled;
    if (enabled !== undefined && enabled !== now) this.control.setStatus({ enabled });
    // whoever changed it (the config, or -e in a rules file), the flag goes back at release
    this.held.enabledChanged = (enabled ?? now) !== this.held.initialEnabled;
  }

  /** AUDIT_SET pid from the event socket: the kernel sends records to the socket that asked. */
  private register(): void {
    const viaEvents = new AuditClient({ socket: this.held.events });
    try {
      viaEvents.setStatus({ pid: process.pid });
      this.held.registered = true;
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === 'EEXIST') {
        const holder = this.control.getStatus().pid;
        throw new AuditflowError(
          'AF_ERR_ALREADY_RUNNING',
          `the kernel audit pid is held by pid ${holder} (auditd or another auditflow); stop it or use mode: multicast`,
          this.opts.name,
        );
      }
      throw err;
    }
  }

  private loadConfiguredRules(): void {
    const { name, onError, log } = this.opts;
    // a rules.d that does not exist (no auditd package ever installed) is "no rules", as for
    // auditd: reported, and the daemon still listens
    const targets = this.opts.rules.filter((t) => {
      if (existsSync(t)) return true;
      onError(new AuditflowError('AF_ERR_RULE', `${t} does not exist: no rules loaded from it`, name));
      return false;
    });
    let loaded;
    try {
      loaded = loadRules(targets);
    } catch (err) {
      throw new AuditflowError('AF_ERR_RULE', `cannot read rules: ${(err as Error).message}`, name);
    }
    for (const e of loaded.entries) if (!(e instanceof RuleError)) for (const w of e.warnings) log.warn(`${e.where}: ${w}`);
    const { entries, overridden } = withoutOverriddenSettings(loaded.entries, this.opts.settings);
    for (const o of overridden) {
      log.warn(`${o.where}: ${o.setting} ${o.value} ignored: the config of ${name} sets ${o.setting} ${o.configured}`);
    }
    const res = applyRules(this.control, entries, {
      continueOnError: true,
      existingIsOk: true,
      present: this.present,
      onApplied: (cmd) => {
        if (cmd.kind === 'add') this.keepRule(storedForm(encodeRule(cmd.rule)));
      },
    });
    // like auditd with augenrules: a bad line is reported and the rest still load
    for (const e of res.errors) onError(e);
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
    for (const cmd of parseRuleArgs(words, `${this.opts.name} self-exclusion`).commands) {
      if (cmd.kind !== 'add') continue;
      const bytes = encodeRule(cmd.rule);
      const stored = storedForm(encodeRule(cmd.rule));
      if (!this.present.has(ruleKey(stored))) {
        try {
          this.control.addRule(bytes);
        } catch (err) {
          // left over from a previous session of this very pid (a restart inside the process): fine
          if (!(err instanceof NetlinkError && err.errno === 'EEXIST')) throw err;
        }
      }
      this.keepRule(stored);
    }
  }

  private keepRule(stored: Buffer): void {
    this.appliedNow.add(ruleKey(stored));
    if (!this.held.rules.some((b) => b.equals(stored))) this.held.rules.push(stored);
  }

  /** AUDIT_GET; reports (once) when the audit pid is no longer ours: records then go elsewhere. */
  status(): AuditStatus {
    return this.checkOwner(this.control.getStatus());
  }

  /** status() without holding the event loop while the kernel answers; undefined: no answer in time. */
  async statusAsync(): Promise<AuditStatus | undefined> {
    const s = await this.control.getStatusAsync();
    return s && !this.closed ? this.checkOwner(s) : undefined;
  }

  private checkOwner(s: AuditStatus): AuditStatus {
    if (this.held.registered && s.pid !== process.pid) {
      this.held.registered = false;
      this.opts.onError(
        new AuditflowError('AF_ERR_NETLINK', `the kernel audit pid is now ${s.pid}, not ours (${process.pid}): records go elsewhere`, this.opts.name),
      );
    }
    return s;
  }

  /**
   * Ends the session: with `handoffMs` > 0 what it holds is parked that long for the next
   * session of this process (a reload), otherwise given back now. Either way it is given back
   * at process exit at the latest.
   */
  close(handoffMs: number): void {
    if (this.closed) return;
    if (handoffMs <= 0) {
      this.release();
      return;
    }
    this.closed = true;
    this.control.close();
    this.held.events.stop();
    releaseParked();
    // unref'd: a process that has nothing else to do exits, and its exit hook releases
    parked = { held: this.held, timer: setTimeout(releaseParked, handoffMs).unref() };
  }

  private release(): void {
    this.closed = true;
    this.control.close();
    releaseHeld(this.held);
  }
}
