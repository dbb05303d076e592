// Records/s of parseLine + Reassembler, in process (no I/O, no normalization): the real capture
// in test/fixtures/audit is repeated with serials and times shifted per copy, so every copy's
// events are new events (not late records) in time order, gaps and interleaving included.
// Rates are given by wall time and by this process's CPU time (user + system): on a shared,
// loaded machine the CPU-time rate is the steadier of the two.
//   node --import tsx bench/parse.bench.ts [--copies N] [--runs N]

import { readFileSync } from 'node:fs';
import { parseLine, isFailure, type AuditRecord } from '../src/audit/record.js';
import { Reassembler } from '../src/audit/reassembler.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : dflt;
}
const copies = arg('--copies', 200);
const runs = arg('--runs', 5);

const sample = readFileSync(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);
const parts = sample.map((l) => {
  const m = /audit\((\d+)\.(\d+):(\d+)\)/.exec(l)!;
  return { pre: l.slice(0, m.index), post: l.slice(m.index + m[0].length), sec: +m[1], ms: m[2], serial: +m[3], daemon: l.startsWith('type=DAEMON_') };
});
const kernel = parts.filter((p) => !p.daemon);
const serialSpan = Math.max(...kernel.map((p) => p.serial)) - Math.min(...kernel.map((p) => p.serial)) + 1;
const secSpan = Math.max(...parts.map((p) => p.sec)) - Math.min(...parts.map((p) => p.sec)) + 1;
const lines: string[] = [];
for (let k = 0; k < copies; k++) {
  for (const p of parts) {
    const serial = p.daemon ? p.serial : p.serial + k * serialSpan;
    lines.push(`${p.pre}audit(${p.sec + k * secSpan}.${p.ms}:${serial})${p.post}`);
  }
}
const bytes = lines.reduce((a, l) => a + l.length + 1, 0);

function run(reassemble: boolean): { ms: number; cpuMs: number; events: number; failures: number } {
  let events = 0,
    failures = 0;
  const r = new Reassembler({
    onEvent: () => {
      events++;
    },
  });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const rec = parseLine(lines[i]);
    if (isFailure(rec)) {
      failures++;
      continue;
    }
    if (reassemble) r.push(rec as AuditRecord);
  }
  r.flush();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  if (reassemble && r.counters.late + r.counters.evicted + r.counters.outliers !== 0) {
    throw new Error(`unexpected counters ${JSON.stringify(r.counters)}`);
  }
  return { ms, cpuMs, events, failures };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`input: ${lines.length.toLocaleString()} records (${copies} copies of the capture), ${(bytes / 1048576).toFixed(1)} MiB, node ${process.version}`);
for (const [name, reassemble] of [
  ['parseLine', false],
  ['parseLine + Reassembler', true],
] as const) {
  run(reassemble); // warm-up
  const times: number[] = [],
    cpu: number[] = [];
  let events = 0;
  for (let i = 0; i < runs; i++) {
    const r = run(reassemble);
    if (r.failures) throw new Error(`${r.failures} lines failed to parse`);
    times.push(r.ms);
    cpu.push(r.cpuMs);
    events = r.events;
  }
  const per = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString();
  const ms = median(times),
    cpuMs = median(cpu);
  const eps = reassemble ? `; ${per(events, ms)} events/s wall, ${per(events, cpuMs)} events/s CPU (${events.toLocaleString()} events)` : '';
  console.log(
    `${name}: median of ${runs} runs ${ms.toFixed(0)} ms wall / ${cpuMs.toFixed(0)} ms CPU: ${per(lines.length, ms)} records/s wall, ${per(lines.length, cpuMs)} records/s CPU, ${(bytes / 1048576 / (cpuMs / 1000)).toFixed(0)} MiB/s CPU${eps}`,
  );
}
// Shapes that would be quadratic for a scanner that searches from every field start: each should
// take about as long per MiB as an ordinary line.
const H = 'type=SYSCALL msg=audit(1795395184.672:94972): ';
const worst: Record<string, string> = {
  'bare words': H + 'x '.repeat(500_000) + 'a=1',
  "no spaces, nested msg='": H + "msg='".repeat(200_000),
  'one quote after another': H + '"'.repeat(1_000_000),
  'ENRICHED braces': H + '\x1d' + 'A={ '.repeat(250_000),
  '200,000 distinct fields': H + Array.from({ length: 200_000 }, (_, i) => `k${i}=${i}`).join(' '),
};
for (const [name, line] of Object.entries(worst)) {
  const c0 = process.cpuUsage();
  parseLine(line);
  const c = process.cpuUsage(c0);
  console.log(`worst case "${name}": ${(line.length / 1048576).toFixed(1)} MiB in ${((c.user + c.system) / 1000).toFixed(1)} ms CPU`);
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
