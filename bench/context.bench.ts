// Context (src/context/) cost, side by side with it off:
//   node --expose-gc --import tsx bench/context.bench.ts [events] [rounds]   (LIVE_ONLY=1: skip part 1)
// 1. normalize on the real sample (parse + reassemble + normalize + JSON lines, what `normalize`
//    does but the output's write) three ways: context off; the table only (every record feeds the
//    table built from events alone, nothing is written into records: what keeping it costs); and
//    on (what `normalize --enrich` adds: the table, the fields written, their JSON). Rotated in one
//    process for `rounds` rounds (default 7): CPU time (user + system; the machine is shared),
//    medians and the medians of the per-round ratios to off. Two inputs: the sample replicated as
//    it is (its processes met again in every copy, as a long log of one host meets its shells and
//    daemons), and each copy with pids and ppids moved (every record's process new: the table's
//    worst case).
// 2. the live stage per exec record of processes already gone (the exec storm's common case:
//    one failed /proc probe each), with the table full, and of a live process (a Map hit): back
//    to back, and one record per wake-up as a paced storm brings them (caches cold).
// 3. process table memory at 100,000 processes (heap after GC, exec records with 3 args), in a
//    process of its own (MEMORY_ONLY=1: only this part).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuditStream } from '../src/audit/stream.js';
import { createContext, defaultEnrichConfig } from '../src/context/index.js';
import { JsonLinesEncoder } from '../src/outputs/json-lines.js';
import type { NormalizedRecord } from '../src/record.js';

if (process.env.MEMORY_ONLY) {
  tableMemory();
  process.exit(0);
}

const target = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 7);
const sample = readFileSync(fileURLToPath(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url)), 'utf8');
const lines = sample.split('\n').filter((l) => l !== '');
const shift = (l: string, by: number) => (by === 0 ? l : l.replace(/ (pp|p)?id=(\d+)/g, (_m, pp, n) => ` ${pp ?? ''}id=${Number(n) + by}`));
// shifted copies prepared once, outside the timing
const copies: string[][] = [];
for (let i = 0; copies.length * 300 < target && copies.length < 1000; i++) copies.push(lines.map((l) => shift(l, i * 100_000)));
const inputs = { 'sample as is': [lines], 'every process new': copies };

interface Cpu {
  events: number;
  user: number;
  system: number;
}

type Side = 'off' | 'table only' | 'on';
const SIDES: Side[] = ['off', 'table only', 'on'];

/** CPU seconds of one pass over `target` events, user and system apart. */
function run(side: Side, input: string[][]): Cpu {
  const ctx = side === 'off' ? undefined : createContext({ ...defaultEnrichConfig(), process: side === 'on', container: side === 'on' }, { live: false });
  // fed by every record, as for a filter that walks the table, but writing nothing
  if (side === 'table only') ctx!.retain();
  const enc = new JsonLinesEncoder();
  let events = 0;
  const onRecord = (r: NormalizedRecord) => {
    events++;
    ctx?.apply(r);
    enc.add(r);
    if (enc.pending > 1 << 20) enc.take();
  };
  const stream = new AuditStream({ onRecord, onError: () => {} });
  const c0 = process.cpuUsage();
  for (let i = 0; events < target; i++) {
    const ls = input[i % input.length];
    for (let j = 0; j < ls.length; j++) stream.line(ls[j], 'bench');
    stream.flush();
  }
  enc.take();
  const c = process.cpuUsage(c0);
  return { events, user: c.user / 1e6, system: c.system / 1e6 };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const perEventUs = (c: Cpu) => ((c.user + c.system) * 1e6) / c.events;
if (!process.env.LIVE_ONLY) {
  for (const [name, input] of Object.entries(inputs)) {
    for (const side of SIDES) run(side, input); // warm up
    const cpu: Record<Side, Cpu[]> = { off: [], 'table only': [], on: [] };
    for (let i = 0; i < rounds; i++) {
      // rotated: no side always runs first (the heap and the machine drift through a run)
      for (let k = 0; k < SIDES.length; k++) {
        const side = SIDES[(i + k) % SIDES.length];
        cpu[side].push(run(side, input));
      }
    }
    console.log(`normalize, ${name}, ${rounds} rounds:`);
    for (const side of SIDES) {
      const xs = cpu[side];
      const ratios = xs.map((c, i) => perEventUs(c) / perEventUs(cpu.off[i]));
      console.log(
        `  ${side.padEnd(10)} ${median(xs.map(perEventUs)).toFixed(2)} µs CPU per event (median; user ${median(xs.map((c) => (c.user * 1e6) / c.events)).toFixed(2)}, ` +
          `system ${median(xs.map((c) => (c.system * 1e6) / c.events)).toFixed(2)})` +
          (side === 'off' ? '' : `, /off per round ${ratios.map((r) => r.toFixed(3)).join(' ')} (median ${median(ratios).toFixed(3)})`),
      );
    }
  }
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
// CPU time, user and system apart (the /proc probes are system calls), not wall time: the machine is shared
const cpuUs = (from: NodeJS.CpuUsage, per: number) => {
  const c = process.cpuUsage(from);
  return { user: c.user / per, system: c.system / per, total: (c.user + c.system) / per };
};
let c0 = process.cpuUsage();
for (let i = 0; i < n; i++) live.apply(execRec(4_000_000 + i, me));
const gone = cpuUs(c0, n);
const syscallRec = (): NormalizedRecord => ({
  '@timestamp': '2026-11-23T00:53:05.000Z',
  event: { module: 'auditd', action: 'connected-to' },
  process: { pid: me, parent: { pid: myParent }, name: 'node' },
});
c0 = process.cpuUsage();
for (let i = 0; i < n; i++) live.apply(syscallRec());
const hit = cpuUs(c0, n);
console.log(
  `live stage, CPU: ${gone.total.toFixed(2)} µs per exec of a gone process (user ${gone.user.toFixed(2)}, system ${gone.system.toFixed(2)}; ` +
    `${(gone.total * 10).toFixed(1)} ms per 10k), ${hit.total.toFixed(2)} µs per record of a known process`,
);
// The same records as the daemon meets them in a paced storm: a few per wake-up, the machine
// busy with other work between. Back to back (above) the stage's code and data stay in the
// CPU's caches; one record after a 2 ms sleep finds them cold, and costs several times more: the
// figure the live storm's on/off difference is made of. Per record CPU from a cpuUsage() pair
// around it (the pair itself costs ~1-2 µs of that).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const coldUs = { gone: [] as number[], known: [] as number[] };
for (let i = 0; i < 600; i++) {
  await sleep(2);
  const r = i % 2 === 0 ? execRec(5_000_000 + i, me) : syscallRec();
  const c = process.cpuUsage();
  live.apply(r);
  const d = process.cpuUsage(c);
  (i % 2 === 0 ? coldUs.gone : coldUs.known).push(d.user + d.system);
}
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `live stage, one record per wake-up (2 ms apart), CPU: ${mean(coldUs.gone).toFixed(1)} µs per exec of a gone process (median ${med(coldUs.gone)}), ` +
    `${mean(coldUs.known).toFixed(1)} µs per record of a known process (median ${med(coldUs.known)})`,
);

// 3. memory, in a process of its own: here, the bytecode of parts 1 and 2 is flushed by the GCs
// the fill runs (V8 drops bytecode not run for a while), ~14 MiB that came off the heap while the
// table grew and made it look 28.0 MiB instead of 42
const alone = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
  env: { ...process.env, MEMORY_ONLY: '1' },
  encoding: 'utf8',
});
process.stdout.write(alone.stdout + alone.stderr);

function tableMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    console.log('memory: run with --expose-gc');
    return;
  }
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
