// The syslog output: formats each record (header + JSON), keeps it within the receiver's message
// size, frames it for the transport and hands a whole batch to the socket at once. Over TCP/TLS a
// write is confirmed (onConfirmed) only once known read; UDP's is confirmed when sent.

import type { NormalizedRecord } from '../../record.js';
import type { BuildContext, Output } from '../../pipeline/types.js';
import type { Logger } from '../../log.js';
import { resolveSyslogConfig, type ResolvedSyslogConfig, type SyslogConfig } from './config.js';
import { createFormatter, frameOctetCounted, type SyslogFormatter } from './format.js';
import { fitJson } from './fit.js';
import { StreamTransport } from './stream.js';
import { MAX_UDP_PAYLOAD, UdpTransport } from './udp.js';

export class SyslogOutput implements Output {
  readonly name: string;
  private readonly cfg: ResolvedSyslogConfig;
  private readonly fmt: SyslogFormatter;
  private readonly log: Logger;
  private readonly maxBytes: number;
  private stream: StreamTransport | null = null;
  private udp: UdpTransport | null = null;
  private readonly counters = { records_out: 0, records_sent: 0, bytes_out: 0, truncated: 0, dropped_oversize: 0 };
  private confirmed: (records: number) => void = () => {};

  constructor(config: SyslogConfig, ctx: BuildContext) {
    this.cfg = resolveSyslogConfig(config);
    this.name = this.cfg.name;
    this.fmt = createFormatter(this.cfg, ctx.hostName);
    this.log = ctx.log;
    this.maxBytes = this.cfg.protocol === 'udp' ? Math.min(this.cfg.maxMessageBytes, MAX_UDP_PAYLOAD) : this.cfg.maxMessageBytes;
    if (this.cfg.protocol === 'udp') this.udp = new UdpTransport(this.cfg, this.log);
    else this.stream = new StreamTransport(this.cfg, this.log);
    if (this.cfg.protocol === 'tls' && this.cfg.tls.verify === false) {
      this.log.warn('syslog tls certificate verification is off: anyone on the path can read and forge records', { output: this.name });
    }
  }

  async start(): Promise<void> {
    if (this.udp) await this.udp.start();
    // a receiver that is down at start is retried in the background; writes wait (or spool)
    this.stream?.start();
  }

  /** One syslog message for `rec`, or null when it cannot be made to fit (counted). */
  message(rec: NormalizedRecord): string | null {
    const head = this.fmt.header(rec) + this.fmt.cookie;
    const json = JSON.stringify(rec);
    // a UTF-16 unit is at most 3 UTF-8 bytes: small records skip the exact count
    if ((head.length + json.length) * 3 <= this.maxBytes) return head + json;
    const msg = head + json;
    const bytes = Buffer.byteLength(msg);
    if (bytes <= this.maxBytes) return msg;
    if (this.cfg.onOversize === 'truncate_fields') {
      const fit = fitJson(json, this.maxBytes - Buffer.byteLength(head));
      if (fit) {
        this.counters.truncated++;
        return head + fit.json;
      }
    }
    this.counters.dropped_oversize++;
    this.log.warn('syslog record too large for max_message_bytes, dropped', { output: this.name, bytes, max: this.maxBytes, sequence: rec.event?.sequence });
    return null;
  }

  onConfirmed(cb: (records: number) => void): void {
    this.confirmed = cb;
    if (this.stream) this.stream.onConfirm = cb;
  }

  async write(records: readonly NormalizedRecord[]): Promise<void> {
    if (this.udp) {
      const msgs: string[] = [];
      let bytes = 0;
      for (const r of records) {
        const m = this.message(r);
        if (m !== null) {
          msgs.push(m);
          bytes += m.length;
        }
      }
      await this.udp.send(msgs);
      // UDP says nothing about delivery: handed to the kernel is all there is
      this.counters.records_out += msgs.length;
      this.counters.records_sent += msgs.length;
      this.counters.bytes_out += bytes;
      this.confirmed(records.length);
      return;
    }
    let out = '';
    let n = 0;
    const octets = this.cfg.framing === 'octet_counting';
    let bytes = 0;
    for (const r of records) {
      const m = this.message(r);
      if (m === null) continue;
      if (octets) {
        const len = Buffer.byteLength(m);
        out += frameOctetCounted(m, len);
        bytes += len + 1 + String(len).length;
      } else {
        // JSON escapes every control character, so a message never contains a raw LF
        out += m + '\n';
      }
      n++;
    }
    if (n === 0) {
      this.stream!.confirmWithLast(records.length);
      return;
    }
    if (!octets) bytes = Buffer.byteLength(out);
    await this.stream!.send(out, bytes, n, records.length);
    this.counters.records_sent += n;
    this.counters.bytes_out += bytes;
  }

  async close(deadlineMs: number): Promise<void> {
    await this.udp?.close();
    await this.stream?.close(deadlineMs);
  }

  /** Over TCP/TLS, records_out counts messages known to be read (see stream.ts), not those sent. */
  stats(): Record<string, number> {
    return { ...this.counters, ...(this.udp?.stats ?? {}), ...(this.stream?.stats ?? {}), backlog: this.stream?.backlog ?? 0 };
  }
}
