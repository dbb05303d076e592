// The same scoped exec (or open) storm handled by three audit daemons in turn:
//   auditflow  (`auditflow run`, netlink unicast → JSON lines file)
//   auditd     (Debian's auditd 3.0.9, log_format RAW, no plugins)
//   auditd+laurel (the same auditd feeding laurel as its plugin, laurel writing its JSON log)
// Reported per daemon: exec events/s the storm reached, events the daemon wrote, CPU seconds
// (user+system of the daemon processes, from /proc/<pid>/stat) per 10,000 events, and how much
// the kernel's `lost` counter grew.
//
// The storm: W parallel shells each running /bin/true N times under the bench audit uid (written
// to /proc/self/loginuid first); the only rule is `-a always,exit -F arch=b64 -S execve
// -F auid=<bench uid> -k af-storm`. Kernel safety: backlog_limit >= 8192, backlog_wait_time 0
// (a full backlog loses records instead of slowing the storm, so `lost` shows it), and on any
// exit the rules are deleted, the daemons stopped, the audit pid released, enabled 0, limits back.
//
// Run as root: node --import tsx bench/kernel-storm.bench.ts [kind=exec|open] [execs=20000 | opens=100000] [workers=2]
//   [backlog=8192] [only=auditflow,auditd,laurel] [flush=INCREMENTAL_ASYNC|NONE] [rate=per s] [prof=DIR] [enrich=on|off] [auid=61200]
//   [node=--flag,--flag] (node flags for auditflow) [warmup=N] [receive_buffer=BYTES] [batch_wait=MS] (auditflow's
//   receive_buffer and batch_max_wait_ms; default its own)
//   [fsync=never|interval|batch] (auditflow's file output; default its own, interval)
//   [bin=bin/auditflow.js] (the built daemon, as a host runs it; default: the sources through tsx)
//   (warmup=N: each daemon first handles a storm of N, not counted, so the figures are its steady
//   state: a fresh auditflow runs its code unoptimized and spends its V8 threads compiling it
//   through the first few thousand events, a cost a long-running daemon pays once)
//   (enrich=off: auditflow with `enrich: {process: false, container: false, hash: false}`)
//   (kind=open: openat storm in a rule-scoped directory, as fast as it goes or paced at rate=;
//   kind=exec with rate=: python3 loops posix_spawn /bin/true at that pace instead of shells as fast as they go)

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  openSync,
  readSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { AuditClient } from '../src/netlink/client.js';
import { shebangFlags } from './bin-flags.js';
import { cpuSeconds, peakRssMiB } from './proc.js';

const AUID = Number(process.argv.find((a) => a.startsWith('auid='))?.slice(5) ?? 61200);
const ENRICH = process.argv.find((a) => a.startsWith('enrich='))?.slice(7) !== 'off';
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'test/support/run-cli.ts');
// bin=FILE: start auditflow as `node FILE run ...` (bin/auditflow.js after `npm run build`: what a
// host runs) instead of from the sources through tsx (its loader thread and source maps)
const BIN = process.argv.find((a) => a.startsWith('bin='))?.slice(4);
const LAUNCH = BIN ? [...shebangFlags(BIN), path.resolve(BIN)] : ['--import', 'tsx', cli];
const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? dflt);
const FSYNC = process.argv.find((a) => a.startsWith('fsync='))?.slice(6);
const KIND = process.argv.find((a) => a.startsWith('kind='))?.slice(5) === 'open' ? 'open' : 'exec';
const EXECS = arg(KIND === 'open' ? 'opens' : 'execs', KIND === 'open' ? 100000 : 20000);
const WORKERS = arg('workers', 2);
const WARMUP = arg('warmup', 0);
const RECEIVE_BUFFER = arg('receive_buffer', 0);
const BATCH_WAIT = arg('batch_wait', -1);
// auditd's flush: INCREMENTAL_ASYNC (Debian's default) or NONE (the man page's least effort)
const AUDITD_FLUSH = process.argv.find((a) => a.startsWith('flush='))?.slice(6) ?? 'INCREMENTAL_ASYNC';
const BACKLOG = arg('backlog', 8192);
// kind=open only: opens/s for all workers together (0: as fast as they go); paced storms find the
// highest rate a daemon takes with lost = 0
const RATE = arg('rate', 0);
// prof=DIR: auditflow runs with --cpu-prof into DIR (written when it stops)
const profDir = process.argv.find((a) => a.startsWith('prof='))?.slice(5);
const PROF = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`] : [];
// node=FLAGS: node flags for auditflow, comma-separated (e.g. node=--single-threaded-gc; some are
// refused in NODE_OPTIONS)
const NODE_FLAGS =
  process.argv
    .find((a) => a.startsWith('node='))
    ?.slice(5)
    .split(',')
    .filter(Boolean) ?? [];
let stormDir = '';
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const rule = () =>
  KIND === 'open'
    ? `-a always,exit -F arch=b64 -S openat -F dir=${stormDir} -F auid=${AUID} -k af-storm`
    : `-a always,exit -F arch=b64 -S execve -F auid=${AUID} -k af-storm`;
/** What marks one storm event in each daemon's output (besides the key). */
const marks = () =>
  KIND === 'open'
    ? { auditflow: '"openat"', auditd: 'type=SYSCALL', laurel: '"SYSCALL"' }
    : { auditflow: '"executed"', auditd: 'type=SYSCALL', laurel: '"EXECVE"' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per thread (by name): CPU ticks and context switches, to see which thread a storm costs. */
interface ThreadSample {
  ticks: number;
  voluntary: number;
  involuntary: number;
  count: number;
}

function threadSamples(pids: number[]): Map<string, ThreadSample> {
  const out = new Map<string, ThreadSample>();
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // the main thread apart from the helpers that share its name (V8's, libuv's pool)
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const name = `${pid === pids[0] ? '' : 'child:'}${tid === String(pid) ? `${comm} (main)` : comm}`;
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
        const t = out.get(name) ?? { ticks: 0, voluntary: 0, involuntary: 0, count: 0 };
        t.ticks += Number(rest[11]) + Number(rest[12]);
        t.voluntary += num('voluntary_ctxt_switches');
        t.involuntary += num('nonvoluntary_ctxt_switches');
        t.count++;
        out.set(name, t);
      } catch {
        /* the thread ended */
      }
    }
  }
  return out;
}

/** What each thread (by name) spent between two samples, per 10,000 events. */
function threadTable(before: Map<string, ThreadSample>, after: Map<string, ThreadSample>, events: number): string[] {
  const per = 10000 / Math.max(1, events);
  const rows: string[] = [];
  for (const [name, a] of after) {
    const b = before.get(name) ?? { ticks: 0, voluntary: 0, involuntary: 0, count: 0 };
    const cpu = (a.ticks - b.ticks) / TICK;
    const vol = a.voluntary - b.voluntary;
    const inv = a.involuntary - b.involuntary;
    if (cpu === 0 && vol === 0 && inv === 0) continue;
    rows.push(
      `  ${`${name} x${a.count}`.padEnd(24)} ${(cpu * per).toFixed(2).padStart(8)} ${Math.round(vol * per)
        .toString()
        .padStart(10)} ${Math.round(inv * per)
        .toString()
        .padStart(10)}`,
    );
  }
  return rows;
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Lines that contain every needle (one line per exec event in each daemon's output). */
function countLines(file: string, ...needles: string[]): number {
  if (!existsSync(file)) return 0;
  // in chunks: a storm of 400,000 opens writes more than one string can hold
  let n = 0;
  let rest = '';
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  try {
    for (let got = readSync(fd, buf); got > 0; got = readSync(fd, buf)) {
      const lines = (rest + buf.toString('utf8', 0, got)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (needles.every((x) => line.includes(x))) n++;
    }
  } finally {
    closeSync(fd);
  }
  if (needles.every((x) => rest.includes(x))) n++;
  return n;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function runStorm(count = EXECS): Promise<number> {
  const t0 = Date.now();
  const per = Math.ceil(count / WORKERS);
  const loop =
    KIND === 'open'
      ? `exec /usr/bin/python3 -c "
import os, time
p = os.path.join('${stormDir}', 'f%d' % os.getpid())
rate = ${RATE / WORKERS}
t0 = time.monotonic()
for i in range(${per}):
    os.close(os.open(p, os.O_RDONLY | os.O_CREAT, 0o600))
    if rate and i % 20 == 19:
        d = t0 + (i + 1) / rate - time.monotonic()
        if d > 0: time.sleep(d)
"`
      : RATE
        ? // paced: the same arrival pattern whatever else the machine does, so runs compare like for like
          `exec /usr/bin/python3 -c "
import os, time
rate = ${RATE / WORKERS}
t0 = time.monotonic()
for i in range(${per}):
    os.waitpid(os.posix_spawn('/bin/true', ['true'], {}), 0)
    d = t0 + (i + 1) / rate - time.monotonic()
    if d > 0: time.sleep(d)
"`
        : `i=0; while [ $i -lt ${per} ]; do /bin/true; i=$((i+1)); done`;
  await Promise.all(
    Array.from(
      { length: WORKERS },
      () =>
        new Promise<void>((resolve, reject) => {
          const p = spawn('/bin/sh', ['-c', `echo ${AUID} > /proc/self/loginuid && ${loop}`], { stdio: 'ignore' });
          p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`storm worker exited ${code}`))));
        }),
    ),
  );
  return Date.now() - t0;
}

interface Daemon {
  name: string;
  pids: () => number[];
  delivered: () => number;
  stop: () => Promise<void>;
  /** what the daemon says about itself (auditflow: the netlink input's counters) */
  report?: () => string;
}

interface Result {
  name: string;
  stormMs: number;
  execsPerSec: number;
  delivered: number;
  cpuS: number;
  /** of cpuS, in the kernel (system time) */
  sysS: number;
  cpuPer10k: number;
  lost: number;
  /** the largest daemon process's peak resident set over the whole run (VmHWM), MiB */
  peakMiB: number;
  /** per thread name: CPU s, voluntary and involuntary context switches per 10k events */
  threads: string[];
  report: string;
}

/** Samples the daemons' CPU until it stops growing (they have written what they got). */
async function settle(d: Daemon): Promise<void> {
  let last = -1,
    stable = 0;
  for (let i = 0; i < 600 && stable < 10; i++) {
    const n = d.delivered();
    stable = n === last ? stable + 1 : 0;
    last = n;
    await sleep(100);
  }
}

/** CPU seconds of all the daemon's processes (stime alone: 'sys'). */
function daemonCpu(d: Daemon, which: 'all' | 'sys' = 'all'): number {
  return d.pids().reduce((s, p) => s + (cpuSeconds(p, which) ?? 0), 0);
}

/**
 * Waits until the daemon is idle before the storm's CPU is counted. Its start and `enabled 1`
 * make records of the daemon and of this bench, both `node`: with enrichment on, the daemon
 * hashes that 99 MB executable once (~0.4 s of CPU, as it would for any new executable, but
 * here it is the bench's own and would land in the first seconds of the storm).
 */
async function quiet(d: Daemon): Promise<void> {
  let last = daemonCpu(d);
  for (let i = 0, still = 0; i < 60 && still < 3; i++) {
    await sleep(250);
    const now = daemonCpu(d);
    still = now - last <= 0.02 ? still + 1 : 0;
    last = now;
  }
}

async function measure(client: AuditClient, d: Daemon): Promise<Result> {
  if (WARMUP > 0) {
    await runStorm(WARMUP);
    await settle(d);
  }
  await quiet(d);
  const delivered0 = d.delivered();
  const cpu0 = daemonCpu(d);
  const sys0 = daemonCpu(d, 'sys');
  const lost0 = client.getStatus().lost;
  const threads0 = threadSamples(d.pids());
  const stormMs = await runStorm();
  await settle(d);
  const cpuS = daemonCpu(d) - cpu0;
  const sysS = daemonCpu(d, 'sys') - sys0;
  const lost = client.getStatus().lost - lost0;
  const delivered = d.delivered() - delivered0;
  const threads = threadTable(threads0, threadSamples(d.pids()), delivered);
  // each process's own peak (auditd and laurel are two), as GNU time gives it
  const peakMiB = Math.max(...d.pids().map((p) => peakRssMiB(p) ?? 0));
  return {
    peakMiB,
    name: d.name,
    stormMs,
    execsPerSec: Math.round(EXECS / (stormMs / 1000)),
    delivered,
    cpuS,
    sysS,
    cpuPer10k: (cpuS * 10000) / Math.max(1, delivered),
    lost,
    threads,
    report: d.report?.() ?? '',
  };
}

async function startAuditflow(dir: string): Promise<Daemon> {
  const rules = path.join(dir, 'storm.rules');
  writeFileSync(rules, rule() + '\n');
  const out = path.join(dir, 'auditflow.jsonl');
  const cfg = path.join(dir, 'auditflow.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      state_dir: path.join(dir, 'af-state'),
      inputs: [
        {
          type: 'netlink',
          mode: 'unicast',
          rules: [rules],
          status_interval_ms: 1000,
          backlog_limit: BACKLOG,
          ...(RECEIVE_BUFFER ? { receive_buffer: RECEIVE_BUFFER } : {}),
          ...(BATCH_WAIT >= 0 ? { batch_max_wait_ms: BATCH_WAIT } : {}),
        },
      ],
      outputs: [{ type: 'file', path: out, ...(FSYNC ? { fsync: FSYNC } : {}) }],
      ...(ENRICH ? {} : { enrich: { process: false, container: false, hash: false } }),
    }),
  );
  // under the bench uid, so its self-exclusion rule is scoped like every rule here
  const child = spawn(
    '/bin/sh',
    ['-c', `echo ${AUID} > /proc/self/loginuid && exec "$@"`, 'sh', process.execPath, ...PROF, ...NODE_FLAGS, ...LAUNCH, 'run', '--config', cfg],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const client = new AuditClient();
  try {
    await waitFor(() => client.getStatus().pid === child.pid && client.listRules().length >= 2, 30000, 'auditflow to register');
  } finally {
    client.close();
  }
  await sleep(500);
  return {
    name: 'auditflow',
    pids: () => [child.pid!],
    delivered: () => countLines(out, '"af-storm"', marks().auditflow),
    report: () => {
      try {
        return readFileSync(path.join(dir, 'af-state', 'netlink-status.json'), 'utf8').trim();
      } catch {
        return '';
      }
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15000).unref();
  });
}

async function startAuditd(dir: string, withLaurel: boolean): Promise<Daemon> {
  const name = withLaurel ? 'auditd+laurel' : 'auditd';
  const conf = path.join(dir, name);
  const plugins = path.join(conf, 'plugins.d');
  mkdirSync(plugins, { recursive: true });
  const log = path.join(conf, 'audit.log');
  writeFileSync(
    path.join(conf, 'auditd.conf'),
    [
      'local_events = yes',
      'write_logs = yes',
      `log_file = ${log}`,
      'log_format = RAW',
      `flush = ${AUDITD_FLUSH}`,
      'freq = 50',
      'max_log_file = 1000',
      'num_logs = 2',
      'max_log_file_action = IGNORE',
      'name_format = NONE',
      'priority_boost = 4',
      'space_left = 2',
      'space_left_action = IGNORE',
      'admin_space_left = 1',
      'admin_space_left_action = IGNORE',
      'disk_full_action = IGNORE',
      'disk_error_action = SYSLOG',
      'q_depth = 2000',
      'overflow_action = SYSLOG',
      'max_restarts = 0',
      `plugin_dir = ${plugins}`,
      'end_of_event_timeout = 2',
      '',
    ].join('\n'),
  );
  let laurelLog = '';
  if (withLaurel) {
    const ldir = path.join(conf, 'laurel');
    mkdirSync(ldir, { recursive: true });
    chownSync(ldir, Number(execFileSync('id', ['-u', '_laurel'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', '_laurel'], { encoding: 'utf8' })));
    chmodSync(conf, 0o755);
    chmodSync(dir, 0o755);
    laurelLog = path.join(ldir, 'audit.log');
    const toml = path.join(conf, 'laurel.toml');
    writeFileSync(
      toml,
      [
        `directory = "${ldir}"`,
        'user = "_laurel"',
        'statusreport-period = 0',
        '[auditlog]',
        'file = "audit.log"',
        'size = 1000000000',
        'generations = 2',
        '[transform]',
        'execve-argv = [ "array" ]',
        '[enrich]',
        'pid = true',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(plugins, 'laurel.conf'),
      ['active = yes', 'direction = out', 'type = always', 'format = string', 'path = /usr/sbin/laurel', `args = --config ${toml}`, ''].join('\n'),
    );
  }
  const child = spawn('/sbin/auditd', ['-n', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const client = new AuditClient();
  try {
    await waitFor(() => client.getStatus().pid === child.pid, 30000, `${name} to register`);
  } finally {
    client.close();
  }
  execFileSync('auditctl', rule().split(' '));
  if (withLaurel) await waitFor(() => children(child.pid!).length > 0, 10000, 'laurel to start');
  await sleep(500);
  return {
    name,
    pids: () => [child.pid!, ...children(child.pid!)],
    delivered: () => (withLaurel ? countLines(laurelLog, '"af-storm"', marks().laurel) : countLines(log, marks().auditd, 'key="af-storm"')),
    stop: async () => {
      await stopChild(child);
      execFileSync('auditctl', ['-D']);
    },
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const client = new AuditClient();
  const before = client.getStatus();
  if (before.pid !== 0) throw new Error(`audit pid ${before.pid} is held: stop auditd first`);
  if (client.listRules().length) throw new Error('kernel holds audit rules already; refusing');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'af-bench-storm-'));
  stormDir = path.join(dir, 'storm');
  mkdirSync(stormDir);
  let current: Daemon | undefined;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      for (const r of client.listRules()) client.deleteRule(r);
    } catch {
      /* keep going */
    }
    try {
      client.setStatus({ enabled: 0 });
    } catch {
      /* keep going */
    }
    try {
      if (client.getStatus().pid !== 0) client.setStatus({ pid: 0 });
    } catch {
      /* the daemon's own release is the normal path */
    }
    try {
      client.setStatus({ backlog_limit: before.backlog_limit, backlog_wait_time: before.backlog_wait_time });
    } catch {
      /* keep going */
    }
  };
  process.on('exit', () => {
    for (const p of current?.pids() ?? []) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    restore();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(1));
  const results: Result[] = [];
  try {
    client.setStatus({ backlog_limit: Math.max(BACKLOG, 8192), backlog_wait_time: 0 });
    const only = (process.argv.find((a) => a.startsWith('only='))?.slice(5) ?? 'auditflow,auditd,laurel').split(',');
    const runs = [
      ['auditflow', () => startAuditflow(dir)],
      ['auditd', () => startAuditd(dir, false)],
      ['laurel', () => startAuditd(dir, true)],
    ] as const;
    for (const [, start] of runs.filter(([n]) => only.includes(n))) {
      current = await start();
      client.setStatus({ enabled: 1 });
      try {
        results.push(await measure(client, current));
      } finally {
        await current.stop();
        current = undefined;
        client.setStatus({ enabled: 0 });
        for (const r of client.listRules()) client.deleteRule(r);
      }
      await sleep(500);
    }
  } finally {
    restore();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    KIND === 'open'
      ? `open storm: ${EXECS} openat calls from ${WORKERS} parallel python3 loops${RATE ? ` paced at ${RATE}/s in all` : ''}, ${os.cpus().length} cores`
      : `exec storm: ${EXECS} execs of /bin/true from ${WORKERS} parallel ${RATE ? `python3 loops paced at ${RATE}/s in all` : 'shells'}, ${os.cpus().length} cores`,
  );
  if (WARMUP > 0) console.log(`after a warm-up storm of ${WARMUP} per daemon, not counted`);
  console.log(`kernel backlog_limit ${Math.max(BACKLOG, 8192)}, backlog_wait_time 0`);
  console.log(`daemon         ${KIND}s/s   events written   CPU s   CPU s/10k events   kernel lost`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(15)} ${String(r.execsPerSec).padStart(7)} ${String(r.delivered).padStart(16)} ${r.cpuS.toFixed(2).padStart(7)} ${r.cpuPer10k.toFixed(2).padStart(18)} ${String(r.lost).padStart(13)}   (system ${r.sysS.toFixed(2)} s)`,
    );
  }
  console.log(`peak RSS (the largest process, whole run): ${results.map((r) => `${r.name} ${Math.round(r.peakMiB)} MiB`).join(', ')}`);
  console.log('per 10k events, by thread: CPU s, voluntary and involuntary context switches');
  for (const r of results) console.log(`${r.name}\n${r.threads.join('\n')}`);
  for (const r of results) if (r.report) console.log(`${r.name} counters: ${r.report}`);
}

await main();
