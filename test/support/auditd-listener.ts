// A real auditd (Debian package) as a pure network listener: `local_events = no` keeps it off the
// kernel's audit netlink entirely (checked: no NETLINK_AUDIT socket, no audit pid taken), it is
// started with -n (no fork) on a private config, log dir and plugin dir, and inside a private
// mount namespace with its own /run so its pid file never meets the host's. auditd binds its
// tcp_listen_port on every address (it has no listen-address option); tests only talk to it on
// 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export const AUDITD = '/usr/sbin/auditd';

export interface AuditdListener {
  child: ChildProcess;
  log: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startAuditdListener(dir: string, port: number): Promise<AuditdListener> {
  mkdirSync(join(dir, 'log'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'plugins'), { recursive: true, mode: 0o700 });
  const log = join(dir, 'log', 'audit.log');
  writeFileSync(
    join(dir, 'auditd.conf'),
    [
      'local_events = no',
      'write_logs = yes',
      `log_file = ${log}`,
      'log_group = root',
      'log_format = RAW',
      'flush = INCREMENTAL_ASYNC',
      'freq = 50',
      'max_log_file = 64',
      'num_logs = 2',
      'priority_boost = 0',
      'name_format = NONE',
      'max_log_file_action = ROTATE',
      'space_left = 2',
      'space_left_action = IGNORE',
      'admin_space_left = 1',
      'admin_space_left_action = IGNORE',
      'disk_full_action = IGNORE',
      'disk_error_action = IGNORE',
      'use_libwrap = no',
      `tcp_listen_port = ${port}`,
      'tcp_listen_queue = 16',
      'tcp_max_per_addr = 16',
      'tcp_client_ports = 1-65535',
      'tcp_client_max_idle = 0',
      'transport = TCP',
      'distribute_network = no',
      `plugin_dir = ${join(dir, 'plugins')}`,
      'q_depth = 2000',
      'overflow_action = IGNORE',
      'max_restarts = 0',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  let err = '';
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /run && exec "$1" -n -c "$2"', 'sh', AUDITD, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const end = Date.now() + 10000;
  // ready once its DAEMON_START is in the log
  while (!(existsSync(log) && readFileSync(log, 'utf8').includes('DAEMON_START'))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`auditd did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    log,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Inodes of NETLINK_AUDIT (protocol 9) sockets the process holds: must be none. */
export function auditNetlinkSockets(pid: number): string[] {
  const audit = new Set(
    readFileSync('/proc/net/netlink', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === '9')
      .map((f) => f[9]),
  );
  const held: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && audit.has(m[1])) held.push(m[1]);
  }
  return held;
}
