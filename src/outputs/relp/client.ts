// A RELP session to one of a list of servers (rsyslog imrelp, auditflow's relp input): `open`,
// then up to `window` `syslog` commands in flight, each done only when its `rsp 200` comes back.
// A broken session — closed, `serverclose`, a non-200 answer, no answer within ackTimeoutMs —
// moves on to the next server and sends everything unanswered again in a new session (RELP's
// at-least-once: the receiver may have taken a message whose answer was lost).
import net from 'node:net';
import tls from 'node:tls';
import type { HostPort } from '../../net/address.js';
import { nextTxnr, RELP_OFFERS, RelpDecoder, RelpError, relpFrame, rspCode } from '../../net/relp.js';
import { WindowedClient, type WindowedClientOptions } from '../../net/windowed-client.js';

export interface RelpClientOptions extends WindowedClientOptions {
  tls?: (host: string) => tls.ConnectionOptions;
}

export class RelpClient extends WindowedClient<Buffer> {
  private txnr = 0;
  counters = { acked: 0, resent: 0, failovers: 0, sessions: 0 };

  constructor(private readonly o: RelpClientOptions) {
    super(o, 'relp');
  }

  protected dial(target: HostPort): net.Socket {
    const socket = this.o.tls
      ? tls.connect({ ...this.o.tls(target.host), host: target.host, port: target.port })
      : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    this.txnr = 1; // the open
    return socket;
  }

  protected connected(socket: net.Socket): void {
    socket.write(relpFrame(1, 'open', RELP_OFFERS));
    this.armAckTimer();
  }

  protected reader(socket: net.Socket): (chunk: Buffer) => void {
    const decoder = new RelpDecoder();
    return (chunk) => {
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
            this.counters.sessions++;
            this.established();
            continue;
          }
          this.acked(f.txnr);
        }
      } catch (err) {
        this.drop(socket, err instanceof RelpError ? `not RELP: ${err.message}` : String(err));
      }
    };
  }

  protected nextId(): number {
    this.txnr = nextTxnr(this.txnr);
    return this.txnr;
  }

  protected frame(txnr: number, data: Buffer | null): Buffer {
    return relpFrame(txnr, 'syslog', data ?? Buffer.alloc(0));
  }

  protected hangUp(socket: net.Socket, ready: boolean): void {
    if (ready) socket.end(relpFrame(this.nextId(), 'close'));
    socket.destroySoon();
  }
}
