// The collector side of auditd's remote logging: listens like auditd's tcp_listen_port, takes
// `ascii` and `managed` senders (audisp-remote, auditflow's audit_remote output) on the same
// port, answers managed MESSAGEs and HEARTBEATs with ACKs once their records are in the journal,
// and tells managed senders ENDING when it stops (audisp-remote then reconnects or fails over).

import net from 'node:net';
import { AuditflowError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { InputSink } from '../../pipeline/types.js';
import { type ClientGate, unmapped } from '../../net/allow.js';
import type { Collector } from '../../net/collector.js';
import { RMW_TYPE, RmwDecoder, rmwFrame } from '../../net/rmw.js';
import type { HostPort } from '../../net/address.js';

export interface AuditRemoteServerOptions {
  name: string;
  listen: HostPort;
  gate: ClientGate;
  maxConnections: number;
  collector: Collector;
  log: Logger;
}

interface Conn {
  socket: net.Socket;
  peer: string;
  managed: boolean;
  messages: number;
}

export class AuditRemoteServer {
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  private sink: InputSink | null = null;
  counters = { connections: 0, rejected: 0, protocol_errors: 0, heartbeats: 0, acks_sent: 0, ascii_lines: 0, managed_messages: 0, unknown_types: 0 };

  constructor(private readonly opts: AuditRemoteServerOptions) {}

  async start(sink: InputSink): Promise<void> {
    this.sink = sink;
    const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.accept(s));
    server.maxConnections = this.opts.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new AuditflowError('AF_ERR_INPUT', `cannot listen: ${err.message}`, `${this.opts.name} ${this.opts.listen.host}:${this.opts.listen.port}`)),
      );
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    server.on('error', (err) => this.opts.log.warn('audit_remote listener error', { input: this.opts.name, error: err.message }));
    this.server = server;
  }

  /** The bound port (tests listen on port 0). */
  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const c of this.conns) {
      if (c.managed) c.socket.write(rmwFrame(RMW_TYPE.ENDING, 0));
      c.socket.end();
      c.socket.destroySoon();
    }
    const deadline = Date.now() + 2000;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of this.conns) c.socket.destroy();
    await closed;
  }

  get connections(): number {
    return this.conns.size;
  }

  private accept(socket: net.Socket): void {
    const peer = unmapped(socket.remoteAddress ?? 'unknown');
    const verdict = this.opts.gate.admit(peer);
    if (verdict !== 'ok') {
      this.counters.rejected++;
      this.opts.log.warn(`audit_remote connection from ${peer} refused: ${verdict === 'not-allowed' ? 'not in allow' : 'max_per_addr reached'}`, {
        input: this.opts.name,
      });
      socket.destroy();
      return;
    }
    this.counters.connections++;
    socket.setKeepAlive(true);
    const conn: Conn = { socket, peer, managed: false, messages: 0 };
    this.conns.add(conn);
    const decoder = new RmwDecoder();
    const where = `${this.opts.name} ${peer}:${socket.remotePort}`;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      this.drain(conn, decoder, where);
    });
    socket.on('end', () => {
      const last = decoder.end();
      if (last && last.kind === 'ascii') {
        this.counters.ascii_lines++;
        this.take(conn, [last.payload], [], where);
      }
      socket.end();
    });
    socket.on('error', () => {
      /* a reset sender: close follows */
    });
    socket.on('close', () => {
      this.conns.delete(conn);
      this.opts.gate.release(peer);
    });
  }

  private drain(conn: Conn, decoder: RmwDecoder, where: string): void {
    const lines: string[] = [];
    const acks: Buffer[] = [];
    for (let f = decoder.next(); f !== null; f = decoder.next()) {
      conn.messages++;
      if (f.kind === 'ascii') {
        this.counters.ascii_lines++;
        if (f.payload.length > 0) lines.push(f.payload);
      } else if (f.kind === 'managed') {
        conn.managed = true;
        if (f.type === RMW_TYPE.MESSAGE) {
          this.counters.managed_messages++;
          // one record per message; split anyway so a sender that batches stays readable
          if (f.payload.includes('\n')) {
            for (const l of f.payload.split('\n')) if (l.length > 0) lines.push(l);
          } else if (f.payload.length > 0) lines.push(f.payload);
          acks.push(rmwFrame(RMW_TYPE.ACK, f.seq));
        } else if (f.type === RMW_TYPE.HEARTBEAT) {
          this.counters.heartbeats++;
          acks.push(rmwFrame(RMW_TYPE.ACK, f.seq));
        } else {
          this.counters.unknown_types++;
        }
      } else {
        this.counters.protocol_errors++;
        this.sink?.error(new AuditflowError('AF_ERR_PARSE', `${f.message}; connection closed`, `${where} message ${conn.messages}`));
        // what came before the bad frame is still good
        this.take(conn, lines, acks, where);
        conn.socket.destroy();
        return;
      }
    }
    this.take(conn, lines, acks, where);
  }

  private take(conn: Conn, lines: string[], acks: Buffer[], where: string): void {
    try {
      this.opts.collector.receive(lines, conn.peer, `${where} message ${conn.messages}`);
    } catch (err) {
      // not journaled, so not acknowledged: the sender keeps the records and sends them again
      this.sink?.error(err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_INPUT', String(err), where));
      conn.socket.destroy();
      return;
    }
    if (acks.length > 0) {
      this.counters.acks_sent += acks.length;
      conn.socket.write(acks.length === 1 ? acks[0] : Buffer.concat(acks));
    }
    const room = this.opts.collector.room();
    if (room && !conn.socket.isPaused()) {
      conn.socket.pause();
      void room.then(() => {
        if (!conn.socket.destroyed) conn.socket.resume();
      });
    }
  }
}
