// TCP/TLS connection to a syslog receiver that stays up: reconnects with exponential backoff and
// jitter, and queues what is handed to it while down. Plain syslog over TCP has no application
// acknowledgement, so bytes accepted by the kernel just before the receiver went away may never
// have been read; the last `resendBytes` of written data are therefore sent again after every
// dropped connection (at-least-once: duplicates are possible, losses within the window are not).

import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { AuditflowError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ResolvedSyslogConfig } from './config.js';

interface Chunk {
  data: string;
  bytes: number;
  messages: number;
  /** resolves the send(); null once resolved (a chunk in the resend window) */
  done: ((err?: Error) => void) | null;
  /** what the data was made from, handed back if it is in doubt at close */
  source: unknown;
}

export interface StreamStats {
  connected: number;
  connects: number;
  disconnects: number;
  connect_errors: number;
  resent_messages: number;
}

export class StreamTransport {
  readonly stats: StreamStats = { connected: 0, connects: 0, disconnects: 0, connect_errors: 0, resent_messages: 0 };
  private socket: net.Socket | null = null;
  private connecting = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending: Chunk[] = [];
  /** written, write callback not yet called */
  private readonly inflight: Chunk[] = [];
  /** written and acknowledged by the kernel, kept for resending */
  private readonly window: Chunk[] = [];
  private windowBytes = 0;
  private readonly tlsOptions: tls.ConnectionOptions | null;
  private lastError = '';
  private readonly doubt: unknown[] = [];

  constructor(private readonly cfg: ResolvedSyslogConfig, private readonly log: Logger) {
    this.tlsOptions = cfg.protocol === 'tls' ? buildTlsOptions(cfg) : null;
  }

  start(): void {
    this.connect();
  }

  /** Resolves once the kernel accepted the data on a live connection. */
  send(data: string, bytes: number, messages: number, source: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new AuditflowError('AF_ERR_OUTPUT', 'output is closed', this.cfg.name));
    return new Promise((resolve, reject) => {
      this.pending.push({ data, bytes, messages, source, done: (err) => (err ? reject(err) : resolve()) });
      if (this.socket && !this.connecting) this.flush();
    });
  }

  /** Sources of resolved sends that were still waiting to be resent when the transport closed. */
  inDoubt(): unknown[] {
    return this.doubt.splice(0);
  }

  get backlog(): number {
    return this.pending.length + this.inflight.length;
  }

  /**
   * Waits for queued data to be written until the deadline, then drops the connection. Sends not
   * yet resolved are rejected (their callers keep the records); data whose send had resolved but
   * that was waiting to be resent after a dropped connection is returned by inDoubt().
   */
  async close(deadlineMs: number): Promise<void> {
    while (this.backlog > 0 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const err = new AuditflowError('AF_ERR_OUTPUT', `closed with ${this.backlog} undelivered writes (${this.lastError || 'receiver not reachable'})`, this.cfg.name);
    for (const c of [...this.inflight.splice(0), ...this.pending.splice(0)]) {
      if (c.done) c.done(err);
      else this.doubt.push(c.source);
    }
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((r) => { s.once('close', () => r()); s.end(); setTimeout(() => { s.destroy(); r(); }, Math.max(0, deadlineMs - Date.now())).unref(); });
  }

  private connect(): void {
    if (this.closed) return;
    this.connecting = true;
    const { host, port } = this.cfg;
    const s = this.tlsOptions
      ? tls.connect({ ...this.tlsOptions, host, port })
      : net.connect({ host, port });
    s.setNoDelay(true);
    s.setKeepAlive(true, 30000);
    this.socket = s;
    s.once(this.tlsOptions ? 'secureConnect' : 'connect', () => {
      if (this.socket !== s) return;
      this.connecting = false;
      this.attempt = 0;
      this.stats.connects++;
      this.stats.connected = 1;
      this.log.info('syslog connected', { output: this.cfg.name });
      this.flush();
    });
    // receivers never talk back; reading lets us see their FIN ('end') as soon as it arrives
    s.on('data', () => {});
    s.on('end', () => s.destroy());
    s.on('error', (err) => { this.lastError = err.message; });
    s.on('close', () => this.onClose(s));
  }

  private onClose(s: net.Socket): void {
    if (this.socket !== s) return;
    const wasConnected = !this.connecting;
    this.socket = null;
    this.connecting = false;
    this.stats.connected = 0;
    if (wasConnected) this.stats.disconnects++;
    else this.stats.connect_errors++;
    if (this.closed) return;
    // everything that may not have reached the receiver goes first, in the order it was sent
    const again = [...this.window, ...this.inflight.splice(0)];
    for (const c of this.window) { this.stats.resent_messages += c.messages; c.done = null; }
    this.window.length = 0;
    this.windowBytes = 0;
    if (again.length) this.pending.unshift(...again);
    const delay = Math.min(this.cfg.reconnectMaxMs, this.cfg.reconnectInitialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    const jittered = Math.round(delay / 2 + Math.random() * delay / 2);
    if (wasConnected || this.attempt === 1 || this.attempt % 10 === 0) {
      this.log.warn('syslog connection lost, retrying', { output: this.cfg.name, error: this.lastError, retry_ms: jittered });
    }
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, jittered);
  }

  private flush(): void {
    const s = this.socket;
    if (!s || this.connecting) return;
    while (this.pending.length) {
      const c = this.pending.shift()!;
      this.inflight.push(c);
      s.write(c.data, (err) => {
        if (err || this.socket !== s) return; // onClose puts it back in front
        const i = this.inflight.indexOf(c);
        if (i >= 0) this.inflight.splice(i, 1);
        this.remember(c);
        const done = c.done;
        c.done = null;
        done?.();
      });
    }
  }

  private remember(c: Chunk): void {
    if (this.cfg.resendBytes <= 0) return;
    this.window.push(c);
    this.windowBytes += c.bytes;
    while (this.windowBytes > this.cfg.resendBytes && this.window.length > 1) {
      this.windowBytes -= this.window.shift()!.bytes;
    }
  }
}

function buildTlsOptions(cfg: ResolvedSyslogConfig): tls.ConnectionOptions {
  const t = cfg.tls;
  const read = (f: string, what: string) => {
    try { return readFileSync(f); } catch (err) {
      throw new AuditflowError('AF_ERR_CONFIG', `cannot read ${what} ${f}: ${(err as Error).message}`, `${cfg.name}.tls`);
    }
  };
  const opts: tls.ConnectionOptions = {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: t.verify !== false,
    servername: t.server_name ?? (net.isIP(cfg.host) ? undefined : cfg.host),
  };
  if (t.ca_file) opts.ca = read(t.ca_file, 'CA file');
  if (t.cert_file) opts.cert = read(t.cert_file, 'client certificate');
  if (t.key_file) opts.key = read(t.key_file, 'client key');
  // with an IP address as host, Node checks the certificate's IP SANs; with server_name, that name
  if (t.server_name) {
    const name = t.server_name;
    opts.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
  }
  return opts;
}
