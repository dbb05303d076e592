// The delivery engine shared by the acknowledged stream outputs (audit_remote, relp): a queue of
// messages not yet acknowledged, up to `window` of them on the wire, send() resolving once its whole
// batch is acknowledged, failover along the server list with backoff after every full round, and
// what a lost connection had not acknowledged sent again on the next one (at-least-once). A protocol
// client supplies the socket, framing, handshake and the reading of acknowledgements; the servers
// answer in order, so an acknowledgement covers every message sent before it.

import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import { formatHostPort, type HostPort } from './address.js';

export interface WindowedClientOptions {
  name: string;
  servers: HostPort[];
  window: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  maxBackoffMs: number;
  log: Logger;
}

interface Msg<T> {
  /** null: a protocol message of its own (a heartbeat), not counted as acknowledged data */
  payload: T | null;
  id: number;
  done: () => void;
}

const noop = () => {};

export abstract class WindowedClient<T> {
  /** not yet acknowledged, oldest first; the first `inFlight` of them are on the wire */
  private queue: Msg<T>[] = [];
  private head = 0;
  protected inFlight = 0;
  /** the current connection, from the moment it is dialled */
  protected socket: net.Socket | null = null;
  /** connected and past the handshake: messages may be sent */
  protected ready = false;
  private server = 0;
  private failuresInRow = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  protected closed = false;
  protected lastActivity = Date.now();
  abstract readonly counters: { acked: number; resent: number; failovers: number };

  constructor(
    private readonly w: WindowedClientOptions,
    /** names the protocol in log lines */
    private readonly label: string,
  ) {}

  /** Opens the connection to `target` (net or tls; a TLSSocket is ready at secureConnect). */
  protected abstract dial(target: HostPort): net.Socket;
  /** The connection is up: start the handshake, or call established() when there is none. */
  protected abstract connected(socket: net.Socket): void;
  /** The handler of what the server sends on this connection. */
  protected abstract reader(socket: net.Socket): (chunk: Buffer) => void;
  /** The id the next message on the wire carries. */
  protected abstract nextId(): number;
  protected abstract frame(id: number, payload: T | null): Buffer;
  /** Ends the connection at close(); `ready` says whether the handshake was done. */
  protected abstract hangUp(socket: net.Socket, ready: boolean): void;

  /** Resolves when every message is acknowledged by a server. */
  send(payloads: readonly T[]): Promise<void> {
    if (payloads.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let left = payloads.length;
      const done = () => {
        if (--left === 0) resolve();
      };
      for (const payload of payloads) this.queue.push({ payload, id: 0, done });
      this.pump();
    });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }
  get current(): string {
    return formatHostPort(this.w.servers[this.server]);
  }

  start(): void {
    this.connect();
  }

  /** Waits for the queue to empty until the deadline, then drops the connection. */
  async close(deadlineMs: number): Promise<void> {
    while (this.pending > 0 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    for (const t of [this.ackTimer, this.retryTimer]) if (t) clearTimeout(t);
    const s = this.socket;
    this.socket = null;
    if (s) this.hangUp(s, this.ready);
  }

  /** Queues a protocol message of its own (acknowledged like the rest, resolving nobody). */
  protected sendControl(): void {
    this.queue.push({ payload: null, id: 0, done: noop });
    this.pump();
  }

  /** The handshake is done: sending starts and the failure streak ends. */
  protected established(): void {
    this.ready = true;
    this.failuresInRow = 0;
    this.pump();
  }

  /** The server acknowledged `id`: it and every message sent before it are done. */
  protected acked(id: number): void {
    let i = this.head;
    const end = this.head + this.inFlight;
    // an id not on the wire was for a message already sent again
    while (i < end && this.queue[i].id !== id) i++;
    if (i === end) return;
    for (let j = this.head; j <= i; j++) {
      const m = this.queue[j];
      if (m.payload !== null) this.counters.acked++;
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
  }

  protected armAckTimer(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    const s = this.socket;
    // before the handshake is answered the timer guards the handshake
    if (!s || (this.ready && this.inFlight === 0)) return;
    this.ackTimer = setTimeout(() => this.drop(s, `no acknowledgement within ${this.w.ackTimeoutMs} ms`), this.w.ackTimeoutMs);
  }

  protected drop(socket: net.Socket, why: string): void {
    this.lost(socket, why);
    socket.destroy();
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    const socket = this.dial(this.w.servers[this.server]);
    this.socket = socket;
    this.ready = false;
    socket.setTimeout(this.w.connectTimeoutMs);
    socket.once('timeout', () => this.drop(socket, 'connect timed out'));
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true);
      this.connected(socket);
    });
    socket.on('data', this.reader(socket));
    socket.on('error', () => {
      /* close follows */
    });
    socket.on('close', () => this.lost(socket, 'connection closed'));
  }

  private pump(): void {
    if (!this.socket) {
      if (!this.retryTimer) this.connect();
      return;
    }
    if (!this.ready) return;
    const chunks: Buffer[] = [];
    while (this.inFlight < this.w.window && this.head + this.inFlight < this.queue.length) {
      const m = this.queue[this.head + this.inFlight];
      m.id = this.nextId();
      chunks.push(this.frame(m.id, m.payload));
      this.inFlight++;
    }
    if (chunks.length === 0) return;
    this.lastActivity = Date.now();
    this.socket.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    this.armAckTimer();
  }

  /** The connection is gone: what it had not acked goes again, to the next server. */
  private lost(socket: net.Socket, why: string): void {
    if (this.socket !== socket) return; // an older socket closing late
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
    this.server = (this.server + 1) % this.w.servers.length;
    this.counters.failovers++;
    this.failuresInRow++;
    this.w.log.warn(`${this.label} ${from}: ${why}; trying ${this.current}`, { output: this.w.name, pending: this.pending });
    // a full round of failures backs off; a single failure tries the next server at once
    const rounds = Math.floor((this.failuresInRow - 1) / this.w.servers.length);
    const delay = rounds === 0 ? 0 : Math.min(this.w.maxBackoffMs, 100 * 2 ** (rounds - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
