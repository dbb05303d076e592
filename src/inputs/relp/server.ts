// The RELP receiver (rsyslog omrelp, auditflow's relp output as senders): answers `open` with its
// offers, each `syslog` with `rsp 200 OK` once the record is in the collector's journal, `close`
// with 200; sends `serverclose` to every session when it stops. Plain TCP or TLS.
import net from 'node:net';
import tls from 'node:tls';
import { AuditflowError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { InputSink } from '../../pipeline/types.js';
import type { HostPort } from '../../net/address.js';
import { type ClientGate, unmapped } from '../../net/allow.js';
import type { Collector } from '../../net/collector.js';
import { RELP_OFFERS, RelpDecoder, RelpError, relpFrame } from '../../net/relp.js';
import { parseSyslog, payloadOf } from '../../net/syslog-message.js';

export interface RelpServerOptions {
  name: string;
  listen: HostPort;
  tls?: tls.TlsOptions;
  gate: ClientGate;
  maxConnections: number;
  collector: Collector;
  log: Logger;
}

interface Session {
  socket: net.Socket;
  peer: string;
  open: boolean;
  messages: number;
}

export class RelpServer {
  private server: net.Server | null = null;
  private readonly sessions = new Set<Session>();
  private sink: InputSink | null = null;
  counters = { sessions: 0, rejected: 0, protocol_errors: 0, messages: 0, not_audit: 0 };

  constructor(private readonly o: RelpServerOptions) {}

  async start(sink: InputSink): Promise<void> {
    this.sink = sink;
    const onConn = (s: net.Socket) => this.accept(s);
    const server = this.o.tls ? tls.createServer(this.o.tls, onConn) : net.createServer(onConn);
    server.maxConnections = this.o.maxConnections;
    if (this.o.tls)
      server.on('tlsClientError', () => {
        this.counters.rejected++;
      });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new AuditflowError('AF_ERR_INPUT', `cannot listen: ${err.message}`, `${this.o.name}`)));
      server.listen(this.o.listen.port, this.o.listen.host, () => resolve());
    });
    server.on('error', (err) => this.o.log.warn('relp listener error', { input: this.o.name, error: err.message }));
    this.server = server;
  }

  get connections(): number {
    return this.sessions.size;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sessions) {
      if (s.open) s.socket.write(relpFrame(0, 'serverclose'));
      s.socket.end();
    }
    const deadline = Date.now() + 2000;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const s of this.sessions) s.socket.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    const peer = unmapped(socket.remoteAddress ?? 'unknown');
    const verdict = this.o.gate.admit(peer);
    if (verdict !== 'ok') {
      this.counters.rejected++;
      this.o.log.warn(`relp connection from ${peer} refused: ${verdict === 'not-allowed' ? 'not in allow' : 'max_per_addr reached'}`, { input: this.o.name });
      socket.destroy();
      return;
    }
    this.counters.sessions++;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const session: Session = { socket, peer, open: false, messages: 0 };
    this.sessions.add(session);
    const decoder = new RelpDecoder();
    const where = `${this.o.name} ${peer}:${socket.remotePort}`;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      this.drain(session, decoder, where);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sessions.delete(session);
      this.o.gate.release(peer);
    });
  }

  private drain(s: Session, decoder: RelpDecoder, where: string): void {
    const lines: string[] = [];
    const origins: string[] = [];
    const replies: Buffer[] = [];
    let closeAfter = false;
    try {
      for (let f = decoder.next(); f !== null; f = decoder.next()) {
        if (f.command === 'open') {
          s.open = true;
          replies.push(relpFrame(f.txnr, 'rsp', `200 OK\n${RELP_OFFERS}`));
          continue;
        }
        if (f.command === 'close') {
          replies.push(relpFrame(f.txnr, 'rsp', '200 OK'));
          closeAfter = true;
          break;
        }
        if (f.command !== 'syslog') {
          replies.push(relpFrame(f.txnr, 'rsp', `500 command ${f.command} not supported`));
          continue;
        }
        if (!s.open) {
          replies.push(relpFrame(f.txnr, 'rsp', '500 session not open'));
          continue;
        }
        s.messages++;
        this.counters.messages++;
        const { host, msg } = parseSyslog(f.data.toString('utf8'));
        const payload = payloadOf(msg);
        if (payload === undefined) {
          // answered all the same: sending it again would not make it an audit record
          this.counters.not_audit++;
          this.sink?.error(
            new AuditflowError('AF_ERR_PARSE', 'syslog message holds neither an audit record nor an auditflow JSON record', `${where} message ${s.messages}`),
          );
        } else if (payload.charCodeAt(0) === 0x7b) {
          lines.push(payload.includes('\n') ? payload.replace(/\n/g, ' ') : payload);
          origins.push(host ?? s.peer);
        } else {
          for (const l of payload.split('\n'))
            if (l.length > 0) {
              lines.push(l);
              origins.push(host ?? s.peer);
            }
        }
        replies.push(relpFrame(f.txnr, 'rsp', '200 OK'));
      }
    } catch (err) {
      this.counters.protocol_errors++;
      this.sink?.error(
        new AuditflowError('AF_ERR_PARSE', `${err instanceof RelpError ? err.message : String(err)}; session closed`, `${where} message ${s.messages + 1}`),
      );
      closeAfter = true;
      // answers for what was read before the bad frame still go out below
    }
    try {
      // one sender's messages may name several hosts (a relay): group by origin, keep order
      let i = 0;
      while (i < lines.length) {
        let j = i + 1;
        while (j < lines.length && origins[j] === origins[i]) j++;
        this.o.collector.receive(lines.slice(i, j), origins[i], `${where} message ${s.messages}`);
        i = j;
      }
    } catch (err) {
      this.sink?.error(err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_INPUT', String(err), where));
      s.socket.destroy();
      return;
    }
    if (replies.length > 0) s.socket.write(Buffer.concat(replies));
    if (closeAfter) {
      s.socket.end();
      return;
    }
    const room = this.o.collector.room();
    if (room && !s.socket.isPaused()) {
      s.socket.pause();
      void room.then(() => {
        if (!s.socket.destroyed) s.socket.resume();
      });
    }
  }
}
