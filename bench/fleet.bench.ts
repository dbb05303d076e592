// Collector throughput per core and agent → collector latency, each side in its own process:
//   node --import tsx bench/fleet.bench.ts [events-per-host]
// The collector is `auditflow run` (an audit_remote input, the default filters, a file output);
// 10 auditflow audit_remote agents (window 128) live in 2 other processes, 5 hosts each, each host
// replaying the real capture under its own node name. Events/s per core = events in the
// collector's file / the collector's CPU seconds (utime + stime from /proc/PID/stat) over the run,
// from the agents' first write to the last event in the file.
// Latency: one more agent in this process sends one event at a time (window 1); write() → its ACK
// (the collector has journaled it) and write() → the event's line in the collector's file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/log.js';
import { AuditStream } from '../src/audit/stream.js';
import type { NormalizedRecord } from '../src/record.js';
import { auditRemoteOutput } from '../src/outputs/audit-remote/index.js';
import { resolveComponent } from '../src/config/resolve.js';
import { cpuSeconds } from './proc.js';

const lines = readFileSync(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function events(host: string, n: number): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  let round = 0;
  while (out.length < n) {
    const s = new AuditStream({
      onRecord: (r) => {
        if (r.event.action !== 'lost-events') out.push(r);
      },
      onError: () => {},
    });
    // each round a new boot's worth of serials, so events stay distinct
    for (const l of lines) s.line(`node=${host} ${l.replace(/:(\d+)\): /, (_, x) => `:${Number(x) + round * 10_000_000}): `)}`, 'x');
    s.flush();
    round++;
  }
  return out.slice(0, n);
}

const agent = (port: number, window: number, node: string, stateDir: string) =>
  auditRemoteOutput.build(resolveComponent(auditRemoteOutput, { type: 'audit_remote', servers: [`127.0.0.1:${port}`], window, node }, 'out').config, {
    stateDir,
    hostName: node,
    log: silentLogger,
  });

if (process.argv[2] === '--agents') {
  // an agent process: builds its hosts' events, says "ready", sends on "go", says "done CPU-SECONDS"
  const [port, perHost, hostList, stateDir] = [Number(process.argv[3]), Number(process.argv[4]), process.argv[5].split(','), process.argv[6]];
  const data = hostList.map((h) => events(h, perHost));
  const agents = hostList.map((h) => agent(port, 128, h, stateDir));
  for (const a of agents) await a.start();
  console.log('ready');
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((r) => rl.once('line', () => r()));
  const cpu0 = process.cpuUsage();
  await Promise.all(
    agents.map(async (a, i) => {
      for (let k = 0; k < data[i].length; k += 500) await a.write(data[i].slice(k, k + 500));
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  console.log(`done ${(cpu.user + cpu.system) / 1e6}`);
  for (const a of agents) await a.close(Date.now() + 500);
  rl.close();
} else {
  const perHost = Number(process.argv[2] ?? 3000);
  const dir = mkdtempSync(join(tmpdir(), 'af-fleet-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const outFile = join(dir, 'events.jsonl');
  writeFileSync(
    join(dir, 'auditflow.yaml'),
    [
      `state_dir: ${dir}/state`,
      'log_level: warn',
      'inputs:',
      `  - { type: audit_remote, name: ar, listen: "127.0.0.1:${port}", max_per_addr: 64, reassembly_timeout_ms: 500 }`,
      'outputs:',
      `  - { type: file, path: ${outFile} }`,
      '',
    ].join('\n'),
  );
  const cli = fileURLToPath(new URL('../test/support/run-cli.ts', import.meta.url));
  const collector = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--config', join(dir, 'auditflow.yaml')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 300 || collector.exitCode !== null) throw new Error('collector did not start');
    await sleep(100);
  }

  // newline count of the collector's file, read incrementally
  let fd = -1;
  let linesSeen = 0;
  let pendingText = '';
  const buf = Buffer.alloc(1 << 20);
  const newLines = (): string[] => {
    if (fd < 0) {
      if (!existsSync(outFile)) return [];
      fd = openSync(outFile, 'r');
    }
    const got: string[] = [];
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      const parts = (pendingText + buf.toString('utf8', 0, n)).split('\n');
      pendingText = parts.pop()!;
      linesSeen += parts.length;
      got.push(...parts);
    }
    return got;
  };

  const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
  const procs: ChildProcess[] = [0, 1].map((k) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--agents',
        String(port),
        String(perHost),
        hosts.slice(k * 5, k * 5 + 5).join(','),
        join(dir, `agents${k}`),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const said = procs.map((p) => {
    const rl = createInterface({ input: p.stdout! });
    const got: string[] = [];
    rl.on('line', (l) => got.push(l));
    return got;
  });
  while (!said.every((s) => s.includes('ready'))) await sleep(50);

  const total = perHost * hosts.length;
  const cpu0 = cpuSeconds(collector.pid!) ?? Number.NaN;
  const t0 = performance.now();
  for (const p of procs) p.stdin!.write('go\n');
  while (linesSeen < total) {
    newLines();
    await sleep(20);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(collector.pid!) ?? Number.NaN) - cpu0;
  while (!said.every((s) => s.some((l) => l.startsWith('done')))) await sleep(50);
  const agentCpu = said.reduce((t, s) => t + Number(s.find((l) => l.startsWith('done'))!.split(' ')[1]), 0);
  console.log(
    `10 hosts × ${perHost} events into one collector: ${Math.round(linesSeen / cpu)} events per collector CPU-second ` +
      `(collector ${cpu.toFixed(2)} CPU-s over ${secs.toFixed(2)} s wall, ${Math.round(linesSeen / secs)} events/s wall; agents ${agentCpu.toFixed(2)} CPU-s)`,
  );

  const lat = agent(port, 1, 'lat', join(dir, 'lat'));
  await lat.start();
  const toAck: number[] = [];
  const toFile: number[] = [];
  for (const r of events('lat', 300)) {
    const t = performance.now();
    await lat.write([r]);
    toAck.push(performance.now() - t);
    for (;;) {
      if (newLines().some((l) => l.includes('"lat"'))) break;
      await new Promise((res) => setImmediate(res));
    }
    toFile.push(performance.now() - t);
  }
  const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)].toFixed(2);
  console.log(
    `agent → collector, one event at a time over ${toAck.length}: ACK p50 ${pct(toAck, 0.5)} ms p99 ${pct(toAck, 0.99)} ms; ` +
      `in the collector's file p50 ${pct(toFile, 0.5)} ms p99 ${pct(toFile, 0.99)} ms`,
  );
  await lat.close(Date.now() + 500);
  for (const p of procs) p.stdin!.end();
  closeSync(fd);
  const exited = new Promise((r) => collector.once('exit', r));
  collector.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
