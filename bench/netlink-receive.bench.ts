// Receive rate of the audit netlink addon (batched recvmmsg, one JS call per wake-up) against
// the npm `netlink` package's RawNetlinkSocket (one 'message' event per datagram), both reading
// the same kernel stream from the AUDIT_NLGRP_READLOG multicast group, each in its own process so
// each one's CPU time is its own. A third process holds the audit pid (unicast) and only counts,
// so the kernel has a daemon to deliver to.
//
// The stream: a scoped openat storm (rule with -F auid=<bench uid> -F dir=<tmp dir>, the storm
// process writes that uid to /proc/self/loginuid), 5 records per open (SYSCALL, CWD, PATH,
// PROCTITLE, EOE). Kernel safety: backlog_limit >= 8192, backlog_wait_time 0, everything restored
// in `finally` (rule deleted, pid released, enabled 0, old limits back).
//
// Run as root: node --import tsx bench/netlink-receive.bench.ts [opens=200000]
// AF_BENCH_RCVBUF=4194304 gives both readers the same receive buffer (the npm package cannot go
// past net.core.rmem_max; the addon uses SO_RCVBUFFORCE).
// The npm package is installed only for this benchmark:
//   mkdir -p bench/out/deps && cd bench/out/deps && npm init -y && npm install netlink

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { AuditClient } from '../src/netlink/client.js';
import { loadNative } from '../src/netlink/load.js';
import { encodeRule } from '../src/audit/rules/encode.js';
import { parseRuleArgs } from '../src/audit/rules/parse.js';

const AUID = 61100;
const here = fileURLToPath(import.meta.url);
const role = ['sink', 'addon', 'npm'].includes(process.argv[2]) ? process.argv[2] : undefined;
const RCVBUF = Number(process.env.AF_BENCH_RCVBUF ?? 32 * 1024 * 1024);

interface Report {
  role: string;
  datagrams: number;
  cpuMs: number;
  enobufs: number;
  rcvbuf: number;
  crashed?: string;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A reader: counts datagrams until the parent says stop, then reports its CPU time. */
function reader(kind: string): void {
  let datagrams = 0;
  let enobufs = 0;
  let rcvbuf = 0;
  let close: () => void;
  let cpu0 = 0;
  if (kind === 'npm') {
    const require = createRequire(path.join(path.dirname(here), 'out/deps/package.json'));
    const { RawNetlinkSocket } = require('netlink') as { RawNetlinkSocket: new (p: number, o?: object) => any };
    const sock = new RawNetlinkSocket(9 /* NETLINK_AUDIT */, { recvBufferSize: RCVBUF, sendBufferSize: 65536 });
    sock.addMembership(1);
    try {
      sock.setRecvBufferSize(RCVBUF);
    } catch {
      /* capped by rmem_max */
    }
    rcvbuf = sock.getRecvBufferSize();
    sock.on('message', () => {
      datagrams++;
    });
    sock.on('error', (e: { code?: string }) => {
      if (e.code === 'ENOBUFS') enobufs++;
    });
    close = () => sock.close();
  } else {
    const native = loadNative();
    const sock = new native.AuditSocket(kind === 'sink' ? 0 : native.AUDIT_NLGRP_READLOG, 1024);
    rcvbuf = sock.setReceiveBuffer(RCVBUF);
    if (kind === 'sink') new AuditClient({ socket: sock }).setStatus({ pid: process.pid });
    sock.start((_err, batch) => {
      if (batch) datagrams += batch.meta.length / 2;
    });
    close = () => {
      enobufs = sock.stats().enobufs;
      sock.stop();
      if (kind === 'sink') {
        const c = new AuditClient();
        c.setStatus({ pid: 0 });
        c.close();
      }
      sock.close();
    };
  }
  // progress every 100 ms, so a reader that dies (the npm package's native code can abort the
  // process on a receive error) still leaves its count behind
  let started = false;
  setInterval(() => {
    if (started) process.send!({ progress: true, role: kind, datagrams, cpuMs: cpuMs() - cpu0, enobufs, rcvbuf });
  }, 100).unref();
  process.on('message', (m: string) => {
    if (m === 'go') {
      datagrams = 0;
      cpu0 = cpuMs();
      started = true;
      process.send!('ready');
    }
    if (m === 'stop') {
      const cpu = cpuMs() - cpu0;
      close();
      process.send!({ role: kind, datagrams, cpuMs: cpu, enobufs, rcvbuf } satisfies Report);
      process.exit(0);
    }
  });
  process.send!('up');
}

interface Kid {
  proc: ChildProcess;
  next: () => Promise<unknown>;
  last: Report | undefined;
  kind: string;
}

function child(kind: string): Promise<Kid> {
  const proc = fork(here, [kind], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  const kid: Kid = { proc, next: () => Promise.resolve(), last: undefined, kind };
  const deliver = (m: unknown) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  proc.on('message', (m) => {
    if (m && typeof m === 'object' && (m as { progress?: boolean }).progress) {
      kid.last = m as Report;
      return;
    }
    deliver(m);
  });
  proc.on('error', () => {
    /* reported through exit */
  });
  proc.on('exit', (code, sig) => {
    if (code !== 0) deliver({ ...(kid.last ?? { role: kind, datagrams: 0, cpuMs: 0, enobufs: 0, rcvbuf: 0 }), crashed: `${sig ?? code}` });
  });
  kid.next = () =>
    new Promise<unknown>((r) => {
      if (queue.length) r(queue.shift());
      else waiters.push(r);
    });
  return kid.next().then(() => kid);
}

function send(k: Kid, m: string): void {
  if (k.proc.connected) k.proc.send(m);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the benchmark reads the kernel audit stream');
  const opens = Number(process.argv.find((a) => a.startsWith('opens='))?.slice(6) ?? 200000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'af-bench-rx-'));
  const client = new AuditClient();
  const before = client.getStatus();
  if (before.pid !== 0) throw new Error(`audit pid ${before.pid} is held: stop auditd first`);
  if (client.listRules().length) throw new Error('kernel holds audit rules already; refusing');
  const cmd = parseRuleArgs(['-a', 'always,exit', '-F', 'arch=b64', '-S', 'openat', '-F', `dir=${dir}`, '-F', `auid=${AUID}`, '-k', 'af-bench'], 'bench')
    .commands[0];
  if (cmd.kind !== 'add') throw new Error('bench rule did not parse as a rule');
  const rule = encodeRule(cmd.rule);
  const kids: ChildProcess[] = [];
  // the kernel must be given back even if this process dies mid-run: the client is synchronous,
  // so an 'exit' handler can do it
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      client.deleteRule(rule);
    } catch {
      /* not added */
    }
    try {
      client.setStatus({ enabled: 0 });
    } catch {
      /* keep going */
    }
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    try {
      const s = client.getStatus();
      if (s.pid !== 0) client.setStatus({ pid: 0 });
    } catch {
      /* the holder's own release is the normal path */
    }
    try {
      client.setStatus({ backlog_limit: before.backlog_limit, backlog_wait_time: before.backlog_wait_time });
    } catch {
      /* keep going */
    }
  };
  process.on('exit', restore);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      restore();
      process.exit(1);
    });
  try {
    client.setStatus({ backlog_limit: Math.max(before.backlog_limit, 65536), backlog_wait_time: 0 });
    const sink = await child('sink');
    const addon = await child('addon');
    const npm = await child('npm');
    kids.push(sink.proc, addon.proc, npm.proc);
    client.addRule(rule);
    client.setStatus({ enabled: 1 });
    const lost0 = client.getStatus().lost;
    for (const k of [sink, addon, npm]) {
      send(k, 'go');
      await k.next();
    }
    const t0 = Date.now();
    const storm = spawnSync(
      '/bin/sh',
      [
        '-c',
        `echo ${AUID} > /proc/self/loginuid && exec /usr/bin/python3 -c "
import os
p = os.path.join('${dir}', 'f')
for i in range(${opens}):
    os.close(os.open(p, os.O_RDONLY | os.O_CREAT, 0o600))
"`,
      ],
      { stdio: 'inherit' },
    );
    const stormMs = Date.now() - t0;
    if (storm.status !== 0) throw new Error('storm failed');
    await new Promise((r) => setTimeout(r, 2000)); // let the readers drain
    const lost = client.getStatus().lost - lost0;
    client.setStatus({ enabled: 0 });
    const reports: Report[] = [];
    for (const k of [sink, addon, npm]) {
      send(k, 'stop');
      reports.push((await k.next()) as Report);
    }
    const expected = opens * 5;
    console.log(`storm: ${opens} opens in ${stormMs} ms (${Math.round(opens / (stormMs / 1000))} opens/s, about ${expected} records); kernel lost ${lost}`);
    console.log('reader        datagrams   missed   enobufs   rcvbuf     cpu ms   cpu µs/datagram');
    for (const r of reports) {
      console.log(
        `${r.role.padEnd(12)} ${String(r.datagrams).padStart(10)} ${String(Math.max(0, reports[0].datagrams - r.datagrams)).padStart(8)} ${String(r.enobufs).padStart(9)} ${String(r.rcvbuf).padStart(9)} ${r.cpuMs.toFixed(0).padStart(9)} ${((r.cpuMs * 1000) / Math.max(1, r.datagrams)).toFixed(2).padStart(10)}${r.crashed ? `  (process died: ${r.crashed})` : ''}`,
      );
    }
  } finally {
    restore();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (role) reader(role);
else await main();
