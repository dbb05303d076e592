// auditflow as the agent of auditd's remote logging, in place of audisp-remote: the `managed`
// format, every record a MESSAGE that counts as delivered only when the server's ACK with its
// sequence comes back (auditd acks once the record is in its log). Unlike audisp-remote's
// stop-and-wait, up to `window` messages are in flight at once: auditd and auditflow's collector
// both answer each message in order. A server that closes, says ENDING, reports a full or broken
// disk (a FATAL reply) or stays silent past `ackTimeoutMs` is left for the next in the list; what
// it had not acked is sent again there (at-least-once). When every server has failed, retries
// back off up to `maxBackoffMs` and write() keeps waiting — the `queue:` spool in front of the
// output holds what arrives meanwhile.

import net from 'node:net';
import type { HostPort } from '../../net/address.js';
import { RMW_FATAL_MASK, RMW_REPLY_MASK, RMW_TYPE, RMW_WARN_MASK, RmwDecoder, rmwFrame } from '../../net/rmw.js';
import { WindowedClient, type WindowedClientOptions } from '../../net/windowed-client.js';

export interface RemoteClientOptions extends WindowedClientOptions {
  heartbeatMs: number;
}

export class RemoteClient extends WindowedClient<string> {
  private seq = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  counters = { acked: 0, resent: 0, failovers: 0, heartbeats: 0, disk_low_warnings: 0, refused: 0, connects: 0 };

  constructor(private readonly o: RemoteClientOptions) {
    super(o, 'audit_remote');
  }

  override start(): void {
    if (this.o.heartbeatMs > 0) {
      this.heartbeatTimer = setInterval(
        () => {
          if (this.ready && this.inFlight === 0 && Date.now() - this.lastActivity >= this.o.heartbeatMs) {
            this.counters.heartbeats++;
            this.sendControl();
          }
        },
        Math.max(100, this.o.heartbeatMs / 2),
      );
      this.heartbeatTimer.unref();
    }
    super.start();
  }

  override async close(deadlineMs: number): Promise<void> {
    await super.close(deadlineMs);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
  }

  protected dial(target: HostPort): net.Socket {
    return net.connect({ host: target.host, port: target.port, noDelay: true });
  }

  protected connected(): void {
    this.counters.connects++;
    this.lastActivity = Date.now();
    this.established();
  }

  protected reader(socket: net.Socket): (chunk: Buffer) => void {
    const decoder = new RmwDecoder();
    return (chunk) => {
      decoder.push(chunk);
      for (let f = decoder.next(); f !== null; f = decoder.next()) {
        if (f.kind !== 'managed') {
          this.drop(socket, `unexpected ${f.kind === 'error' ? f.message : 'text'} from server`);
          return;
        }
        if (!this.reply(socket, f.type, f.seq, f.payload)) return;
      }
    };
  }

  protected nextId(): number {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** a null line is a heartbeat */
  protected frame(seq: number, line: string | null): Buffer {
    return line === null ? rmwFrame(RMW_TYPE.HEARTBEAT, seq) : rmwFrame(RMW_TYPE.MESSAGE, seq, line);
  }

  protected hangUp(socket: net.Socket): void {
    socket.end();
    socket.destroy();
  }

  /** false when the connection was dropped */
  private reply(socket: net.Socket, type: number, seq: number, text: string): boolean {
    this.lastActivity = Date.now();
    if (type === RMW_TYPE.ENDING) {
      this.drop(socket, `server is going down${text ? `: ${text}` : ''}`);
      return false;
    }
    if ((type & RMW_REPLY_MASK) === 0) return true; // the server's own messages: nothing to answer
    if (type & RMW_FATAL_MASK) {
      this.counters.refused++;
      this.drop(socket, `server refused the record (type 0x${type.toString(16)}${text ? `: ${text}` : ''})`);
      return false;
    }
    if (type & RMW_WARN_MASK) {
      if (this.counters.disk_low_warnings++ === 0) this.o.log.warn(`audit_remote server ${this.current} warns: ${text || 'disk low'}`, { output: this.o.name });
    }
    this.acked(seq);
    return true;
  }
}
