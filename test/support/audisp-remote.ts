// Runs the real audisp-remote (Debian audispd-plugins) against a loopback port. Its config path is
// fixed (/etc/audit/audisp-remote.conf), so the test's config is bind-mounted over it inside a
// private mount namespace: the host's file is never touched. Records go in on stdin, as auditd's
// dispatcher would write them; when stdin ends it sends what it queued and exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const AUDISP_REMOTE = '/usr/sbin/audisp-remote';

export interface AudispRemoteOptions {
  dir: string;
  port: number;
  format: 'managed' | 'ascii';
  heartbeatTimeout?: number;
}

export function audispRemoteConfig(o: AudispRemoteOptions): string {
  return [
    'remote_server = 127.0.0.1',
    `port = ${o.port}`,
    'transport = tcp',
    `queue_file = ${join(o.dir, 'remote.queue')}`,
    'mode = immediate',
    'queue_depth = 20000',
    `format = ${o.format}`,
    'network_retry_time = 1',
    'max_tries_per_record = 60',
    'max_time_per_record = 60',
    `heartbeat_timeout = ${o.heartbeatTimeout ?? 0}`,
    'network_failure_action = syslog',
    'disk_low_action = ignore',
    'disk_full_action = ignore',
    'disk_error_action = ignore',
    'remote_ending_action = reconnect',
    'generic_error_action = syslog',
    'generic_warning_action = syslog',
    'queue_error_action = syslog',
    'overflow_action = syslog',
    'startup_failure_action = warn_once_continue',
    '',
  ].join('\n');
}

/** Starts audisp-remote; write records to child.stdin, end it to make the process finish. */
export function startAudispRemote(o: AudispRemoteOptions): ChildProcess {
  const conf = join(o.dir, `audisp-remote-${o.port}-${o.format}.conf`);
  writeFileSync(conf, audispRemoteConfig(o), { mode: 0o600 });
  return spawn(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind "$1" /etc/audit/audisp-remote.conf && exec ${AUDISP_REMOTE}`, 'sh', conf],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
}

/**
 * Feeds lines, waits until `done()` says the receiver has them all, then closes stdin and waits for
 * the exit. (audisp-remote stops at end of input without sending what is still queued, so stdin
 * stays open while it works.)
 */
export async function runAudispRemote(o: AudispRemoteOptions, lines: readonly string[], done: () => boolean, timeoutMs = 30000): Promise<number | null> {
  const child = startAudispRemote(o);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdin!.on('error', () => {
    /* exited early: the exit code says why */
  });
  child.stdin!.write(lines.map((l) => l + '\n').join(''));
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
