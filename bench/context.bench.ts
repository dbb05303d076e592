// Context (src/context/) cost, side by side with it off:
//   node --expose-gc --import tsx bench/context.bench.ts [events] [rounds]   (LIVE_ONLY=1: skip part 1)
// 1. normalize events/s on the real sample (parse + reassemble + normalize), without and with the
//    context stage built from events alone (what `normalize --enrich` adds), alternating off and
//    on for `rounds` rounds (default 5) in one process, medians; each replay shifts the pids so
//    the table keeps meeting new processes, as a long log does.
// 2. the live stage per exec record of processes already gone (the exec storm's common case:
//    one failed /proc read each), with the table full, and of a live process (a Map hit).
// 3. process table memory at 100,000 processes (heap after GC, exec records with 3 args).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuditStream } from '../src/audit/stream.js';
import { createContext, defaultEnrichConfig } from '../src/context/index.js';
import type { NormalizedRecord } from '../src/record.js';

const target = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 5);
const sample = readFileSync(fileURLToPath(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url)), 'utf8');
const lines = sample.split('\n').filter((l) => l !== '');
const shift = (l: string, by: number) => (by === 0 ? l : l.replace(/ (pp)?id=(\d+)/g, (_m, pp, n) => ` ${pp ?? ''}id=${Number(n) + by}`));

function run(enrich: boolean): { events: number; ms: number } {
  const ctx = enrich ? createContext(defaultEnrichConfig(), { live: false }) : undefined;
  let events = 0;
  const onRecord = (r: NormalizedRecord) => {
    events++;
    ctx?.apply(r);
  };
  const stream = new AuditStream({ onRecord, onError: () => {} });
  // shifted copies prepared outside the timing
  const rounds: string[][] = [];
  for (let i = 0; events < target && rounds.length < 1000; i++) {
    rounds.push(lines.map((l) => shift(l, i * 100_000)));
    if (rounds.length * 400 > target) break;
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; events < target; i++) {
    const ls = rounds[i % rounds.length];
    for (let j = 0; j < ls.length; j++) stream.line(ls[j], 'bench');
    stream.flush();
  }
  return { events, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
if (!process.env.LIVE_ONLY) {
  run(false);
  run(true); // warm up
  const offRates: number[] = [];
  const onRates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [enrich, into] of [
      [false, offRates],
      [true, onRates],
    ] as const) {
      const r = run(enrich);
      into.push(r.events / (r.ms / 1000));
    }
  }
  const [off, on] = [median(offRates), median(onRates)];
  console.log(`normalize, context off: ${Math.round(off)} events/s (median of ${rounds}: ${offRates.map(Math.round).join(' ')})`);
  console.log(
    `normalize, context on (events alone): ${Math.round(on)} events/s (median of ${rounds}: ${onRates.map(Math.round).join(' ')}), ${((1 - on / off) * 100).toFixed(1)}% slower`,
  );
}

// 2. live stage, per record
const [me, myParent] = [process.pid, process.ppid]; // process.ppid is a system call each time
const live = createContext({ ...defaultEnrichConfig(), hash: false }, { live: true, hostId: 'bench' });
const execRec = (pid: number, ppid: number): NormalizedRecord => ({
  '@timestamp': '2026-11-23T00:53:05.000Z',
  event: { module: 'auditd', action: 'executed', outcome: 'success' },
  process: { pid, parent: { pid: ppid }, name: 'true', executable: '/usr/bin/true', args: ['/usr/bin/true', String(pid)] },
  audit: { session: '5' },
});
const n = 20_000;
// a long storm: the table is full (max_processes 32,768), so every new process evicts one
for (let i = 0; i < 40_000; i++) live.apply(execRec(3_000_000 + i, me));
// CPU time (user + system: the /proc probes are system calls), not wall time: the machine is shared
const cpuUs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return c.user + c.system;
};
let c0 = process.cpuUsage();
for (let i = 0; i < n; i++) live.apply(execRec(4_000_000 + i, me));
const goneUs = cpuUs(c0) / n;
const syscallRec = (): NormalizedRecord => ({
  '@timestamp': '2026-11-23T00:53:05.000Z',
  event: { module: 'auditd', action: 'connected-to' },
  process: { pid: me, parent: { pid: myParent }, name: 'node' },
});
c0 = process.cpuUsage();
for (let i = 0; i < n; i++) live.apply(syscallRec());
const hitUs = cpuUs(c0) / n;
console.log(
  `live stage, CPU: ${goneUs.toFixed(2)} µs per exec of a gone process (${(goneUs * 10).toFixed(1)} ms CPU per 10k), ${hitUs.toFixed(2)} µs per record of a known process`,
);

// 3. memory
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) console.log('memory: run with --expose-gc');
else {
  gc();
  const before = process.memoryUsage().heapUsed;
  const table = createContext({ ...defaultEnrichConfig(), max_processes: 100_000 }, { live: false });
  for (let i = 0; i < 100_000; i++) {
    table.apply({
      '@timestamp': new Date(1_795_000_000_000 + i).toISOString(),
      event: { module: 'auditd', action: 'executed', outcome: 'success' },
      process: {
        pid: 1000 + i,
        parent: { pid: 1000 + Math.floor(i / 4) },
        name: 'worker',
        executable: '/usr/bin/worker',
        args: ['/usr/bin/worker', '--id', String(i)],
      },
      audit: { session: '5' },
    });
  }
  gc();
  const used = process.memoryUsage().heapUsed - before;
  console.log(`memory: ${(used / 1048576).toFixed(1)} MiB for ${table.table.size} processes (${Math.round(used / table.table.size)} bytes each)`);
}
