// A real rsyslogd as a RELP relay (Debian packages rsyslog + rsyslog-relp): imrelp on one loopback
// port, forwarding everything with omrelp to another, with a disk-assisted action queue that
// retries forever — the usual "reliable relay" setup. Private config and work directory. With
// `routes`, each listed syslog HOSTNAME goes to its own port instead (one omrelp action and queue per
// route), the way a relay pins groups of hosts to collectors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { rsyslogdPath, type TestPki } from './rsyslog.js';

export interface RelpRoute {
  hosts: string[];
  port: number;
}
export interface RelpRelayOptions {
  inPort: number;
  outPort?: number;
  routes?: RelpRoute[];
  pki?: TestPki /** omrelp windowSize (librelp's default: 128) */;
  window?: number;
}

export class RelpRelay {
  readonly dir = mkdtempSync(join(tmpdir(), 'auditflow-relp-relay-'));
  private proc: ChildProcess | null = null;
  stderr = '';
  constructor(readonly o: RelpRelayOptions) {
    const tlsIn = o.pki
      ? ` tls="on" tls.cacert="${o.pki.ca}" tls.mycert="${o.pki.serverCert}" tls.myprivkey="${o.pki.serverKey}" tls.authmode="certvalid"`
      : '';
    const tlsOut = o.pki
      ? ` tls="on" tls.cacert="${o.pki.ca}" tls.mycert="${o.pki.clientCert}" tls.myprivkey="${o.pki.clientKey}" tls.authmode="certvalid"`
      : '';
    writeFileSync(
      join(this.dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${this.dir}" maxMessageSize="64k")`,
        'main_queue(queue.type="direct")',
        'module(load="imrelp")',
        'module(load="omrelp")',
        `input(type="imrelp" address="127.0.0.1" port="${o.inPort}"${tlsIn})`,
        ...(o.routes ?? [{ hosts: [], port: o.outPort! }]).map((r, i) => {
          const action = [
            `action(type="omrelp" target="127.0.0.1" port="${r.port}" template="RSYSLOG_SyslogProtocol23Format"${o.window ? ` windowSize="${o.window}"` : ''}${tlsOut}`,
            // sized so that a next hop's outage never fills it: with the default (1000) the fleet
            // test lost messages the relay had answered 200 (a full queue discards after
            // queue.timeoutEnqueue, 2 s) while imrelp, blocked meanwhile, timed out its senders
            `  queue.type="LinkedList" queue.size="100000" queue.filename="relay${i}" queue.saveOnShutdown="on"`,
            '  action.resumeRetryCount="-1" action.resumeInterval="1")',
          ].join('\n');
          return r.hosts.length ? `if ${r.hosts.map((h) => `$hostname == "${h}"`).join(' or ')} then {\n${action}\n}` : action;
        }),
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    this.proc = spawn(rsyslogdPath(), ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    const until = Date.now() + 10000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`rsyslogd exited: ${this.stderr}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(this.o.inPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > until) throw new Error(`rsyslogd did not listen on ${this.o.inPort}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => p.kill('SIGKILL'), 5000);
        p.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        p.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
