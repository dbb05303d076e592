// Starts a real rsyslogd (Debian package) on private loopback ports with a private config and
// work directory, writing every received message as one JSON line (rsyslog's own parse of it).

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import dgram from 'node:dgram';
import { sleep } from './wait.js';

export interface Received {
  pri: string;
  hostname: string;
  app: string;
  procid: string;
  msgid: string;
  sd: string;
  msg: string;
  raw: string;
}

/** Skips the test (or fails it under CI) when a tool is missing. */
export function needTool(ctx: Mocha.Context, bin: string, why: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
  } catch {
    const msg = `${bin} not installed: ${why}`;
    if (process.env.CI === 'true') throw new Error(`${msg} (required under CI)`);
    console.log(`      skipped: ${msg}`);
    ctx.skip();
  }
}

/** rsyslog's TLS needs its OpenSSL netstream driver (Debian package rsyslog-openssl). */
export function needRsyslogTls(ctx: Mocha.Context): void {
  const found = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog', '/usr/lib64/rsyslog'].some((d) =>
    existsSync(join(d, 'lmnsd_ossl.so')),
  );
  if (found) return;
  const msg = 'rsyslog TLS driver lmnsd_ossl.so missing (apt-get install rsyslog-openssl)';
  if (process.env.CI === 'true') throw new Error(`${msg} (required under CI)`);
  console.log(`      skipped: ${msg}`);
  ctx.skip();
}

export function rsyslogdPath(): string {
  for (const p of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']) if (existsSync(p)) return p;
  return 'rsyslogd';
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA, a server certificate for localhost/127.0.0.1 and a client certificate. */
export function makePki(dir: string): TestPki {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=auditflow test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    o([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'auditflow-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

export interface RsyslogOptions {
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  pki?: TestPki;
  maxMessageSize?: string;
  /** 'count' writes one short line per message (benchmarks), 'json' rsyslog's parse of each */
  template?: 'json' | 'count';
}

export class Rsyslog {
  readonly dir: string;
  readonly out: string;
  private proc: ChildProcess | null = null;
  private stderr = '';

  constructor(readonly opts: RsyslogOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'auditflow-rsyslog-'));
    this.out = join(this.dir, 'received.jsonl');
    const lines: string[] = [];
    const g = [`workDirectory="${this.dir}"`, `maxMessageSize="${opts.maxMessageSize ?? '64k'}"`];
    if (opts.tlsPort && opts.pki) {
      g.push(
        `DefaultNetstreamDriver="ossl"`,
        `DefaultNetstreamDriverCAFile="${opts.pki.ca}"`,
        `DefaultNetstreamDriverCertFile="${opts.pki.serverCert}"`,
        `DefaultNetstreamDriverKeyFile="${opts.pki.serverKey}"`,
      );
    }
    lines.push(`global(${g.join(' ')})`);
    lines.push(`main_queue(queue.type="direct")`);
    if (opts.udpPort) {
      lines.push(`module(load="imudp")`, `input(type="imudp" address="127.0.0.1" port="${opts.udpPort}" rcvbufSize="16m")`);
    }
    if (opts.tlsPort) {
      // x509/certvalid: the client must present a certificate signed by the CA
      lines.push(`module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid" MaxSessions="50")`);
      lines.push(`input(type="imtcp" address="127.0.0.1" port="${opts.tlsPort}")`);
    } else if (opts.tcpPort) {
      lines.push(`module(load="imtcp" MaxSessions="50")`, `input(type="imtcp" address="127.0.0.1" port="${opts.tcpPort}")`);
    }
    lines.push(`template(name="j" type="list" option.jsonf="on") {
      property(outname="pri" name="pri" format="jsonf")
      property(outname="hostname" name="hostname" format="jsonf")
      property(outname="app" name="app-name" format="jsonf")
      property(outname="procid" name="procid" format="jsonf")
      property(outname="msgid" name="msgid" format="jsonf")
      property(outname="sd" name="structured-data" format="jsonf")
      property(outname="msg" name="msg" format="jsonf")
      property(outname="raw" name="rawmsg" format="jsonf")
    }`);
    lines.push(`template(name="count" type="string" string="%msgid%\\n")`);
    lines.push(`action(type="omfile" file="${this.out}" template="${opts.template === 'count' ? 'count' : 'j'}" flushOnTXEnd="on" asyncWriting="off")`);
    writeFileSync(join(this.dir, 'rsyslog.conf'), lines.join('\n') + '\n');
  }

  async start(): Promise<void> {
    const conf = join(this.dir, 'rsyslog.conf');
    this.stderr = '';
    this.proc = spawn(rsyslogdPath(), ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    const ports = [this.opts.tcpPort, this.opts.tlsPort].filter(Boolean) as number[];
    const until = Date.now() + 10000;
    for (const port of ports) {
      for (;;) {
        if (this.proc.exitCode !== null) throw new Error(`rsyslogd exited: ${this.stderr}`);
        if (await canConnect(port)) break;
        if (Date.now() > until) throw new Error(`rsyslogd did not listen on ${port}: ${this.stderr}`);
        await sleep(50);
      }
    }
    if (this.opts.udpPort) await sleep(300); // imudp gives no readiness signal we can probe: a guess, the only one left
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }

  /** Number of messages received so far (newline count of the output file). */
  receivedCount(): number {
    if (!existsSync(this.out)) return 0;
    const b = readFileSync(this.out);
    let n = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
    return n;
  }

  received(): Received[] {
    if (!existsSync(this.out)) return [];
    const text = readFileSync(this.out, 'utf8');
    const out: Received[] = [];
    const lines = text.split('\n');
    lines.pop(); // rsyslog may be in the middle of writing the last line
    for (const line of lines) if (line) out.push(JSON.parse(line));
    return out;
  }

  /** Waits (bounded) until at least `n` messages arrived; returns what arrived. */
  async waitFor(n: number, timeoutMs = 10000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    let got = this.received();
    while (got.length < n && Date.now() < until) {
      await sleep(50);
      got = this.received();
    }
    return got;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
