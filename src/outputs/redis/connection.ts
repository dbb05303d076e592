// One connection to a Redis server: TCP or TLS, AUTH and SELECT on connect, then pipelined
// commands answered in order. Any failure closes it and fails every command still waiting; the
// output decides what to resend.
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand, RespError, RespReader, type Reply } from './resp.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: tls.ConnectionOptions;
  connectTimeoutMs: number;
}

export class RedisConnection {
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private readonly reader = new RespReader();
  private failure: Error | null = null;
  private constructor(private readonly socket: net.Socket) {}

  static async open(t: RedisTarget): Promise<RedisConnection> {
    const socket = t.tls ? tls.connect({ ...t.tls, host: t.host, port: t.port }) : net.connect({ host: t.host, port: t.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${t.connectTimeoutMs} ms`));
      }, t.connectTimeoutMs);
      socket.once(t.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const c = new RedisConnection(socket);
    socket.on('data', (chunk: Buffer) => c.onData(chunk));
    socket.on('error', (err) => c.fail(err));
    socket.on('close', () => c.fail(new Error('connection closed')));
    const hello: Promise<Reply>[] = [];
    if (t.password !== undefined) hello.push(c.command(t.username !== undefined ? ['AUTH', t.username, t.password] : ['AUTH', t.password]));
    if (t.db !== 0) hello.push(c.command(['SELECT', String(t.db)]));
    for (const r of await Promise.all(hello)) {
      if (r instanceof RespError) {
        c.close();
        throw new Error(r.message);
      }
    }
    return c;
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  command(args: readonly string[]): Promise<Reply> {
    return this.pipeline([args])[0];
  }

  /** Writes all commands at once; one promise per reply (error replies resolve as RespError). */
  pipeline(cmds: readonly (readonly string[])[]): Promise<Reply>[] {
    if (this.failure) return cmds.map(() => Promise.reject(this.failure!));
    const out = cmds.map(() => new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.socket.write(Buffer.concat(cmds.map(encodeCommand)));
    return out;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    try {
      for (let r = this.reader.next(); r !== undefined; r = this.reader.next()) this.waiting.shift()?.resolve(r);
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
