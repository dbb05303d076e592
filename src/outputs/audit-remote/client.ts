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
import type { Logger } from '../../log.js';
import { formatHostPort, type HostPort } from '../../net/address.js';
import { RMW_FATAL_MASK, RMW_REPLY_MASK, RMW_TYPE, RMW_WARN_MASK, RmwDecoder, rmwFrame } from '../../net/rmw.js';

export interface RemoteClientOptions {
  name: string;
  servers: HostPort[];
  window: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  heartbeatMs: number;
  maxBackoffMs: number;
  log: Logger;
}

interface Msg {
  line: string | null;
  seq: number;
  done: () => void;
}

export class RemoteClient {
  /** not yet acknowledged, oldest first; the first `inFlight` of them are on the wire */
  private queue: Msg[] = [];
  private head = 0;
  private inFlight = 0;
  private socket: net.Socket | null = null;
  private connecting = false;
  private server = 0;
  private failuresInRow = 0;
  private seq = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastActivity = Date.now();
  counters = { acked: 0, resent: 0, failovers: 0, heartbeats: 0, disk_low_warnings: 0, refused: 0, connects: 0 };

  constructor(private readonly o: RemoteClientOptions) {}

  /** Resolves when every line is acknowledged by a server. */
  send(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let left = lines.length;
      const done = () => {
        if (--left === 0) resolve();
      };
      for (const line of lines) this.queue.push({ line, seq: 0, done });
      this.pump();
    });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }
  get current(): string {
    return formatHostPort(this.o.servers[this.server]);
  }

  start(): void {
    if (this.o.heartbeatMs > 0) {
      this.heartbeatTimer = setInterval(
        () => {
          if (this.socket && !this.connecting && this.inFlight === 0 && Date.now() - this.lastActivity >= this.o.heartbeatMs) {
            this.counters.heartbeats++;
            this.queue.push({ line: null, seq: 0, done: () => {} });
            this.pump();
          }
        },
        Math.max(100, this.o.heartbeatMs / 2),
      );
      this.heartbeatTimer.unref();
    }
    this.connect();
  }

  /** Waits for the queue to empty until the deadline, then drops the connection. */
  async close(deadlineMs: number): Promise<void> {
    while (this.pending > 0 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    for (const t of [this.ackTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.socket?.end();
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    if (this.closed || this.socket || this.connecting) return;
    this.connecting = true;
    const target = this.o.servers[this.server];
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
    socket.setTimeout(this.o.connectTimeoutMs);
    socket.once('timeout', () => socket.destroy(new Error('connect timed out')));
    const decoder = new RmwDecoder();
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true);
      this.connecting = false;
      this.socket = socket;
      this.failuresInRow = 0;
      this.counters.connects++;
      this.lastActivity = Date.now();
      this.pump();
    });
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      for (let f = decoder.next(); f !== null; f = decoder.next()) {
        if (f.kind !== 'managed') {
          this.drop(socket, `unexpected ${f.kind === 'error' ? f.message : 'text'} from server`);
          return;
        }
        if (!this.reply(socket, f.type, f.seq, f.payload)) return;
      }
    });
    socket.on('error', () => {
      /* close follows */
    });
    socket.on('close', () => this.lost(socket, 'connection closed'));
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
    // replies come in order; a reply for an older sequence was for a message already resent
    let i = this.head;
    const end = this.head + this.inFlight;
    while (i < end && this.queue[i].seq !== seq) i++;
    if (i === end) return true;
    for (let j = this.head; j <= i; j++) {
      const m = this.queue[j];
      if (m.line !== null) this.counters.acked++;
      m.done();
    }
    const n = i - this.head + 1;
    this.head += n;
    this.inFlight -= n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.armAckTimer();
    this.pump();
    return true;
  }

  private pump(): void {
    if (!this.socket) {
      this.connect();
      return;
    }
    const s = this.socket;
    const chunks: Buffer[] = [];
    while (this.inFlight < this.o.window && this.head + this.inFlight < this.queue.length) {
      const m = this.queue[this.head + this.inFlight];
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
      m.seq = this.seq;
      chunks.push(m.line === null ? rmwFrame(RMW_TYPE.HEARTBEAT, m.seq) : rmwFrame(RMW_TYPE.MESSAGE, m.seq, m.line));
      this.inFlight++;
    }
    if (chunks.length === 0) return;
    this.lastActivity = Date.now();
    s.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    this.armAckTimer();
  }

  private armAckTimer(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    if (this.inFlight === 0 || !this.socket) return;
    const s = this.socket;
    this.ackTimer = setTimeout(() => this.drop(s, `no acknowledgement within ${this.o.ackTimeoutMs} ms`), this.o.ackTimeoutMs);
  }

  private drop(socket: net.Socket, why: string): void {
    this.lost(socket, why);
    socket.destroy();
  }

  /** The connection is gone: what it had not acked goes again, to the next server. */
  private lost(socket: net.Socket, why: string): void {
    const wasUp = this.socket === socket;
    if (!wasUp && !this.connecting) return;
    if (!wasUp && this.socket) return; // an older socket closing late
    this.socket = null;
    this.connecting = false;
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    this.counters.resent += this.inFlight;
    this.inFlight = 0;
    if (this.closed) return;
    const from = formatHostPort(this.o.servers[this.server]);
    this.server = (this.server + 1) % this.o.servers.length;
    this.counters.failovers++;
    this.failuresInRow++;
    this.o.log.warn(`audit_remote ${from}: ${why}; trying ${this.current}`, { output: this.o.name, pending: this.pending });
    // a full round of failures backs off; a single failure tries the next server at once
    const rounds = Math.floor((this.failuresInRow - 1) / this.o.servers.length);
    const delay = rounds === 0 ? 0 : Math.min(this.o.maxBackoffMs, 100 * 2 ** (rounds - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
