// TCP/TLS connection to a syslog receiver that stays up: reconnects with exponential backoff and
// jitter, and queues what is handed to it while down.
//
// Plain syslog over TCP has no acknowledgement, and a write the kernel accepted may sit unread in
// our send buffer and the receiver's receive buffer when the receiver dies. What Linux does tell
// us is an upper bound on those buffers (tcp_wmem/tcp_rmem maxima): once more than that many
// bytes were accepted after a message on the same connection, the receiving process must have
// read it. Until then a message is in doubt and kept; after a dropped connection everything in
// doubt is sent again first (at-least-once; the duplicates are counted). A clean close where the
// receiver answers our FIN with its own confirms the rest. Confirmations go to the queue in send
// order (onConfirm), which advances its spool cursor only that far: a crash resends, never loses.

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
  /** resolves the send(); null once resolved (a chunk in doubt) */
  done: ((err?: Error) => void) | null;
  /** records of the output's write() this chunk stands for (oversize ones dropped included) */
  records: number;
  /** connection offset just past this chunk once the kernel accepted it */
  end: number;
}

export interface StreamStats {
  connected: number;
  connects: number;
  disconnects: number;
  connect_errors: number;
  /** messages known to have been read by the receiver */
  records_out: number;
  /** messages accepted by the kernel but not known to be read (a gauge) */
  in_doubt: number;
  /** messages sent again after a dropped connection: the receiver may see them twice */
  resent_messages: number;
  /** messages that left a resend_bytes window smaller than the socket buffers unconfirmed */
  in_doubt_released: number;
}

const SLACK = 256 * 1024;

/**
 * Most bytes that can have been accepted by our kernel and not yet read by the receiving process:
 * our send buffer's and the receiver's receive buffer's autotuning maxima (the receiver's host is
 * assumed to use this host's limit), plus slack for a TLS library's own buffer.
 */
export function socketBufferBound(read: (p: string) => string = (p) => readFileSync(p, 'utf8')): number {
  const max = (p: string, fallback: number) => {
    try {
      const n = Number(read(p).trim().split(/\s+/).pop());
      return Number.isFinite(n) && n > 0 ? n : fallback;
    } catch {
      return fallback;
    }
  };
  // explicit SO_SNDBUF/SO_RCVBUF settings can reach twice net.core.[wr]mem_max
  const snd = Math.max(max('/proc/sys/net/ipv4/tcp_wmem', 4 << 20), 2 * max('/proc/sys/net/core/wmem_max', 0));
  const rcv = Math.max(max('/proc/sys/net/ipv4/tcp_rmem', 6 << 20), 2 * max('/proc/sys/net/core/rmem_max', 0));
  return snd + rcv + SLACK;
}

export class StreamTransport {
  readonly stats: StreamStats = {
    connected: 0,
    connects: 0,
    disconnects: 0,
    connect_errors: 0,
    records_out: 0,
    in_doubt: 0,
    resent_messages: 0,
    in_doubt_released: 0,
  };
  /** bytes kept in doubt before a message counts as read */
  readonly windowBytes: number;
  private readonly bufferBound: number;
  private socket: net.Socket | null = null;
  private connecting = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending: Chunk[] = [];
  /** written, write callback not yet called */
  private readonly inflight: Chunk[] = [];
  /** accepted by the kernel on this connection, not yet known to be read */
  private readonly doubtful: Chunk[] = [];
  /** bytes the kernel accepted on the current connection */
  private accepted = 0;
  private readonly tlsOptions: tls.ConnectionOptions | null;
  private lastError = '';
  /** told how many more records, in send order, are known read (or released from doubt) */
  onConfirm: (records: number) => void = () => {};

  constructor(
    private readonly cfg: ResolvedSyslogConfig,
    private readonly log: Logger,
    bufferBound = socketBufferBound(),
  ) {
    this.tlsOptions = cfg.protocol === 'tls' ? buildTlsOptions(cfg) : null;
    this.bufferBound = bufferBound;
    this.windowBytes = cfg.resendBytes ?? bufferBound;
    if (this.windowBytes < bufferBound) {
      log.warn('syslog resend_bytes is smaller than the socket buffers: a receiver that dies without reading can lose records', {
        output: cfg.name,
        resend_bytes: this.windowBytes,
        socket_buffers: bufferBound,
      });
    }
  }

  start(): void {
    this.connect();
  }

  /**
   * Resolves once the kernel accepted the data on a live connection; `records` are confirmed later
   * (onConfirm), once the data is known read.
   */
  send(data: string, bytes: number, messages: number, records: number): Promise<void> {
    if (this.closed) return Promise.reject(new AuditflowError('AF_ERR_OUTPUT', 'output is closed', this.cfg.name));
    return new Promise((resolve, reject) => {
      this.pending.push({ data, bytes, messages, records, end: 0, done: (err) => (err ? reject(err) : resolve()) });
      if (this.socket && !this.connecting) this.flush();
    });
  }

  /**
   * Records that need no bytes (all dropped as oversize) are confirmed together with the newest
   * chunk not yet confirmed, or now when there is none, so confirmations stay in send order.
   */
  confirmWithLast(records: number): void {
    const last = this.pending.at(-1) ?? this.inflight.at(-1) ?? this.doubtful.at(-1);
    if (last) last.records += records;
    else this.onConfirm(records);
  }

  get backlog(): number {
    return this.pending.length + this.inflight.length;
  }

  /**
   * Waits for queued data to be written until the deadline, then closes the connection: if the
   * receiver answers our FIN with its own, it read everything and the doubt is lifted. Sends not
   * yet resolved are rejected; messages still in doubt are never confirmed (the queue keeps them).
   */
  async close(deadlineMs: number): Promise<void> {
    while (this.backlog > 0 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const err = new AuditflowError(
      'AF_ERR_OUTPUT',
      `closed with ${this.backlog} undelivered writes (${this.lastError || 'receiver not reachable'})`,
      this.cfg.name,
    );
    for (const c of [...this.inflight.splice(0), ...this.pending.splice(0)]) c.done?.(err);
    const s = this.socket;
    this.socket = null;
    let confirmed = false;
    if (s && !this.connecting) {
      confirmed = await new Promise<boolean>((resolve) => {
        let peerEnded = false;
        s.once('end', () => {
          peerEnded = true;
        });
        s.once('close', (hadError) => resolve(peerEnded && !hadError));
        s.end();
        setTimeout(
          () => {
            s.destroy();
            resolve(false);
          },
          Math.max(0, deadlineMs - Date.now()),
        ).unref();
      });
    } else {
      s?.destroy();
    }
    const rest = this.doubtful.splice(0);
    if (confirmed) {
      for (const c of rest) {
        this.stats.records_out += c.messages;
        this.onConfirm(c.records);
      }
    }
    this.stats.in_doubt = 0;
  }

  private connect(): void {
    if (this.closed) return;
    this.connecting = true;
    const { host, port } = this.cfg;
    const s = this.tlsOptions ? tls.connect({ ...this.tlsOptions, host, port }) : net.connect({ host, port });
    s.setNoDelay(true);
    s.setKeepAlive(true, 30000);
    this.socket = s;
    s.once(this.tlsOptions ? 'secureConnect' : 'connect', () => {
      if (this.socket !== s) return;
      this.connecting = false;
      this.attempt = 0;
      this.accepted = 0;
      this.stats.connects++;
      this.stats.connected = 1;
      this.log.info('syslog connected', { output: this.cfg.name });
      this.flush();
    });
    // receivers never talk back; reading lets us see their FIN ('end') as soon as it arrives
    s.on('data', () => {});
    s.on('end', () => {
      if (this.socket === s) s.destroy();
    });
    s.on('error', (err) => {
      this.lastError = err.message;
    });
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
    const again = [...this.doubtful.splice(0), ...this.inflight.splice(0)];
    for (const c of again) if (!c.done) this.stats.resent_messages += c.messages;
    this.stats.in_doubt = 0;
    if (again.length) this.pending.unshift(...again);
    const delay = Math.min(this.cfg.reconnectMaxMs, this.cfg.reconnectInitialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    const jittered = Math.round(delay / 2 + (Math.random() * delay) / 2);
    if (wasConnected || this.attempt === 1 || this.attempt % 10 === 0) {
      this.log.warn('syslog connection lost, retrying', { output: this.cfg.name, error: this.lastError, retry_ms: jittered, resending: again.length });
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, jittered);
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
        this.accepted += c.bytes;
        c.end = this.accepted;
        this.doubtful.push(c);
        this.stats.in_doubt += c.messages;
        this.confirmOld();
        const done = c.done;
        c.done = null;
        done?.();
      });
    }
  }

  /** Messages followed by more accepted bytes than the buffers can hold were read. */
  private confirmOld(): void {
    while (this.doubtful.length && this.doubtful[0].end <= this.accepted - Math.min(this.windowBytes, this.bufferBound)) {
      const c = this.doubtful.shift()!;
      this.stats.in_doubt -= c.messages;
      if (this.windowBytes < this.bufferBound) this.stats.in_doubt_released += c.messages;
      else this.stats.records_out += c.messages;
      // released ones too: the output gives up knowing, and says so in in_doubt_released
      this.onConfirm(c.records);
    }
  }
}

function buildTlsOptions(cfg: ResolvedSyslogConfig): tls.ConnectionOptions {
  const t = cfg.tls;
  const read = (f: string, what: string) => {
    try {
      return readFileSync(f);
    } catch (err) {
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
