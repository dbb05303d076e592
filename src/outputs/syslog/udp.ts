// UDP to a syslog receiver (RFC 5426): one message per datagram, never framed. UDP has no
// delivery feedback beyond ICMP errors reported on a later send, so a refused or failed send is
// counted, not retried: use tcp or tls where every record must arrive.

import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../log.js';
import type { ResolvedSyslogConfig } from './config.js';

/** Largest UDP payload over IPv4 (65535 - 8 UDP header - 20 IP header). */
export const MAX_UDP_PAYLOAD = 65507;

export class UdpTransport {
  readonly stats = { send_errors: 0 };
  private socket: dgram.Socket | null = null;
  private lastErrorLog = 0;

  constructor(
    private readonly cfg: ResolvedSyslogConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const s = dgram.createSocket(net.isIPv6(this.cfg.host) ? 'udp6' : 'udp4');
    s.on('error', (err) => this.onError(err));
    // connected UDP: the kernel reports ICMP port unreachable (receiver down) as ECONNREFUSED
    await new Promise<void>((resolve) => {
      s.once('error', () => resolve());
      s.connect(this.cfg.port, this.cfg.host, () => resolve());
    });
    this.socket = s;
  }

  /** Sends each message as one datagram; resolves when all were handed to the kernel. */
  send(messages: string[]): Promise<void> {
    const s = this.socket;
    if (!s || messages.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = messages.length;
      const cb = (err: Error | null) => {
        if (err) this.onError(err);
        if (--left === 0) resolve();
      };
      for (const m of messages) {
        try {
          s.send(m, cb);
        } catch (err) {
          cb(err as Error);
        }
      }
    });
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private onError(err: Error): void {
    this.stats.send_errors++;
    const now = Date.now();
    if (now - this.lastErrorLog > 10000) {
      this.lastErrorLog = now;
      this.log.warn('syslog udp send failed', { output: this.cfg.name, error: err.message, send_errors: this.stats.send_errors });
    }
  }
}
