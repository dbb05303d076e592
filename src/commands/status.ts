// `auditflow status [--json]`: what `auditctl -s` prints, plus the running daemon's own counters
// (the netlink input writes them to <state_dir>/netlink-status.json while it runs; --config or
// --state-dir says where, default /var/lib/auditflow).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AuditClient } from '../netlink/client.js';
import { AUDIT_FEATURE_LOGINUID_IMMUTABLE, type AuditFeatures, type AuditStatus } from '../netlink/status.js';
import { AuditflowError, usageError } from '../errors.js';
import { EX_USAGE, type Command, type CommandIO as CliIO } from './types.js';
import { loadConfig } from '../config/load.js';
import { fetchStatus } from '../metrics/index.js';
import { alive } from '../daemon.js';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
const defaultIO: CommandIO = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** Same lines, same order as auditctl -s (auditd 3.0.9). */
export function formatStatus(s: AuditStatus, f: AuditFeatures | undefined): string {
  let out =
    `enabled ${s.enabled}\nfailure ${s.failure}\npid ${s.pid}\nrate_limit ${s.rate_limit}\n` +
    `backlog_limit ${s.backlog_limit}\nlost ${s.lost}\nbacklog ${s.backlog}\n` +
    `backlog_wait_time ${s.backlog_wait_time}\nbacklog_wait_time_actual ${s.backlog_wait_time_actual}\n`;
  if (f) {
    const bit = 1 << AUDIT_FEATURE_LOGINUID_IMMUTABLE;
    out += `loginuid_immutable ${f.features & bit ? 1 : 0} ${f.lock & bit ? 'locked' : 'unlocked'}\n`;
  }
  return out;
}

export function readDaemonCounters(stateDir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, 'netlink-status.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `prefix.a.b value` lines, one per number or string, like auditctl -s. */
function flatten(prefix: string, o: unknown): string {
  if (o === null || typeof o !== 'object') return `${prefix} ${o}\n`;
  let out = '';
  for (const [k, v] of Object.entries(o)) out += flatten(`${prefix}.${k}`, v);
  return out;
}

export async function statusCommand(args: string[], io: CommandIO = defaultIO): Promise<number> {
  let json = false;
  let stateDir = '/var/lib/auditflow';
  let listen: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') json = true;
    else if (args[i] === '--state-dir' && i + 1 < args.length) stateDir = args[++i];
    else if (args[i] === '--config' && i + 1 < args.length) {
      const cfg = loadConfig(args[++i]);
      stateDir = cfg.state_dir;
      if (cfg.metrics && cfg.metrics.enabled !== false) listen = cfg.metrics.listen ?? '127.0.0.1:9464';
    } else throw usageError(`status: unknown argument ${args[i]}`);
  }
  // the whole daemon's counters (pipeline, every input, filter and output) when its endpoint answers
  const pipelineCounters = listen ? await fetchStatus(listen, 1000).catch(() => undefined) : undefined;
  const client = new AuditClient();
  try {
    const status = client.getStatus();
    const features = client.getFeatures();
    const daemon = readDaemonCounters(stateDir);
    // a counters file left by a daemon that is gone, or no longer owns the audit pid, is history
    const live = daemon && alive(Number(daemon.pid)) && (daemon.pid === status.pid || daemon.mode === 'multicast') ? daemon : undefined;
    if (json) {
      io.stdout(JSON.stringify({ kernel: status, loginuid_immutable: features, auditflow: live ?? null, daemon: pipelineCounters ?? null }) + '\n');
    } else {
      io.stdout(formatStatus(status, features));
      if (live) for (const [k, v] of Object.entries(live)) io.stdout(`auditflow.${k} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
      if (pipelineCounters) io.stdout(flatten('auditflow.daemon', pipelineCounters));
    }
    return 0;
  } finally {
    client.close();
  }
}

/** Runs one of these commands with the CLI's streams; usage and kernel errors become exit codes. */
export async function runWithCliIO(fn: (io: CommandIO) => Promise<number>, io: CliIO): Promise<number> {
  const simple: CommandIO = {
    stdout: (s) => {
      io.stdout.write(s);
    },
    stderr: (s) => {
      io.stderr.write(s);
    },
  };
  try {
    return await fn(simple);
  } catch (err) {
    if (!(err instanceof AuditflowError)) throw err;
    io.stderr.write(`auditflow: ${err.message}\n`);
    return err.code === 'AF_ERR_USAGE' ? EX_USAGE : 1;
  }
}

export const statusCmd: Command = {
  name: 'status',
  usage: 'status [--json] [--config FILE | --state-dir DIR]',
  summary: "the kernel audit status like auditctl -s, plus the running daemon's netlink counters",
  run: (args, io) => runWithCliIO((simple) => statusCommand(args, simple), io),
};
