// A RELP session to one of a list of servers (rsyslog imrelp, auditflow's relp input): `open`,
// then up to `window` `syslog` commands in flight, each done only when its `rsp 200` comes back.
// A broken session — closed, `serverclose`, a non-200 answer, no answer within ackTimeoutMs —
// moves on to the next server and sends everything unanswered again in a new session (RELP's
// at-least-once: the receiver may have taken a message whose answer was lost).
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../../log.js';
import { formatHostPort, type HostPort } from '../../net/address.js';
import { nextTxnr, RELP_OFFERS, RelpDecoder, RelpError, relpFrame, rspCode } from '../../net/relp.js';

export interface RelpClientOptions {
  name: string;
  servers: HostPort[];
  tls?: (host: string) => tls.ConnectionOptions;
  window: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  maxBackoffMs: number;
  log: Logger;
}

interface Msg {
  data: Buffer;
  txnr: number;
  done: () => void;
}

export class RelpClient {
  private queue: Msg[] = [];
  private head = 0;
  private inFlight = 0;
  private socket: net.Socket | null = null;
  private ready = false;
  private txnr = 0;
  private server = 0;
  private failuresInRow = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  counters = { acked: 0, resent: 0, failovers: 0, sessions: 0 };

  constructor(private readonly o: RelpClientOptions) {}

  send(messages: readonly Buffer[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let left = messages.length;
      const done = () => {
        if (--left === 0) resolve();
      };
      for (const data of messages) this.queue.push({ data, txnr: 0, done });
      this.pump();
    });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }
  private get current(): string {
    return formatHostPort(this.o.servers[this.server]);
  }

  start(): void {
    this.connect();
  }

  async close(deadlineMs: number): Promise<void> {
    while (this.pending > 0 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    for (const t of [this.ackTimer, this.retryTimer]) if (t) clearTimeout(t);
    const s = this.socket;
    this.socket = null;
    if (s && this.ready) {
      this.txnr = nextTxnr(this.txnr);
      s.end(relpFrame(this.txnr, 'close'));
    }
    s?.destroySoon();
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    const target = this.o.servers[this.server];
    const socket = this.o.tls
      ? tls.connect({ ...this.o.tls(target.host), host: target.host, port: target.port })
      : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.ready = false;
    this.txnr = 1;
    socket.setTimeout(this.o.connectTimeoutMs);
    socket.once('timeout', () => this.drop(socket, 'connect timed out'));
    socket.once(this.o.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true);
      socket.write(relpFrame(1, 'open', RELP_OFFERS));
      this.armAckTimer();
    });
    const decoder = new RelpDecoder();
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      try {
        for (let f = decoder.next(); f !== null; f = decoder.next()) {
          if (f.command === 'serverclose') {
            this.drop(socket, 'server closed the session');
            return;
          }
          if (f.command !== 'rsp') continue;
          const code = rspCode(f.data);
          if (code !== 200) {
            this.drop(socket, `server answered ${f.data.toString('utf8', 0, 120)}`);
            return;
          }
          if (!this.ready) {
            if (f.txnr !== 1) {
              this.drop(socket, 'answer before open');
              return;
            }
            this.ready = true;
            this.failuresInRow = 0;
            this.counters.sessions++;
            this.pump();
            continue;
          }
          this.answered(f.txnr);
        }
      } catch (err) {
        this.drop(socket, err instanceof RelpError ? `not RELP: ${err.message}` : String(err));
      }
    });
    socket.on('error', () => {
      /* close follows */
    });
    socket.on('close', () => this.lost(socket, 'connection closed'));
  }

  /** rsp for txnr: every message up to it is done (rsyslog answers in order). */
  private answered(txnr: number): void {
    let i = this.head;
    const end = this.head + this.inFlight;
    while (i < end && this.queue[i].txnr !== txnr) i++;
    if (i === end) return;
    for (let j = this.head; j <= i; j++) this.queue[j].done();
    const n = i - this.head + 1;
    this.counters.acked += n;
    this.head += n;
    this.inFlight -= n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.armAckTimer();
    this.pump();
  }

  private pump(): void {
    if (!this.socket) {
      if (!this.retryTimer) this.connect();
      return;
    }
    if (!this.ready) return;
    const chunks: Buffer[] = [];
    while (this.inFlight < this.o.window && this.head + this.inFlight < this.queue.length) {
      const m = this.queue[this.head + this.inFlight];
      this.txnr = nextTxnr(this.txnr);
      m.txnr = this.txnr;
      chunks.push(relpFrame(m.txnr, 'syslog', m.data));
      this.inFlight++;
    }
    if (chunks.length === 0) return;
    this.socket.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    this.armAckTimer();
  }

  private armAckTimer(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    const s = this.socket;
    if (!s || (this.ready && this.inFlight === 0)) return;
    this.ackTimer = setTimeout(() => this.drop(s, `no answer within ${this.o.ackTimeoutMs} ms`), this.o.ackTimeoutMs);
  }

  private drop(socket: net.Socket, why: string): void {
    this.lost(socket, why);
    socket.destroy();
  }

  private lost(socket: net.Socket, why: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.ready = false;
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    this.counters.resent += this.inFlight;
    this.inFlight = 0;
    if (this.closed) return;
    const from = this.current;
    this.server = (this.server + 1) % this.o.servers.length;
    this.counters.failovers++;
    this.failuresInRow++;
    this.o.log.warn(`relp ${from}: ${why}; trying ${this.current}`, { output: this.o.name, pending: this.pending });
    const rounds = Math.floor((this.failuresInRow - 1) / this.o.servers.length);
    const delay = rounds === 0 ? 0 : Math.min(this.o.maxBackoffMs, 100 * 2 ** (rounds - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
