// Starts a real redis-server (Debian package) on a loopback port with a private config and
// working directory, no persistence unless asked (`appendonly`: the AOF, written before Redis
// replies, so a restart on the same dir keeps every acknowledged command); optionally a password
// and a TLS port.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import type { TestPki } from './rsyslog.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServer {
  port: number;
  tlsPort?: number;
  child: ChildProcess;
  cli(args: string[]): string;
  stop(): Promise<void>;
}

export async function startRedis(
  dir: string,
  opts: { port: number; password?: string; tlsPort?: number; pki?: TestPki; appendonly?: boolean },
): Promise<RedisServer> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines = [
    'bind 127.0.0.1',
    `port ${opts.port}`,
    `dir ${dir}`,
    'save ""',
    opts.appendonly ? 'appendonly yes' : 'appendonly no',
    'appendfsync everysec',
    'daemonize no',
    'protected-mode yes',
    'logfile ""',
    'databases 16',
  ];
  if (opts.password) lines.push(`requirepass ${opts.password}`);
  if (opts.tlsPort && opts.pki) {
    lines.push(
      `tls-port ${opts.tlsPort}`,
      `tls-cert-file ${opts.pki.serverCert}`,
      `tls-key-file ${opts.pki.serverKey}`,
      `tls-ca-cert-file ${opts.pki.ca}`,
      'tls-auth-clients no',
    );
  }
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o600 });
  const child = spawn(REDIS_SERVER, [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  const end = Date.now() + 10000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(opts.port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > end) throw new Error(`redis-server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const auth = opts.password ? ['--no-auth-warning', '-a', opts.password] : [];
  return {
    port: opts.port,
    tlsPort: opts.tlsPort,
    child,
    cli: (args) => execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(opts.port), ...auth, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
