// Collector throughput and agent → collector latency, in one process on loopback:
//   node --import tsx bench/fleet.bench.ts [records-per-host]
// 10 auditflow audit_remote agents (window 128) each replay the real capture under their own
// node name into one audit_remote collector; events/s counts the collector's normalized events
// over wall time (both sides share the process, so per core ≈ the figure divided by CPU use).
// Latency: one record at a time (window 1), from write() to the collector's batch.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { AuditStream } from '../src/audit/stream.js';
import type { NormalizedRecord } from '../src/record.js';
import { auditRemoteInput } from '../src/inputs/audit-remote/index.js';
import { auditRemoteOutput } from '../src/outputs/audit-remote/index.js';
import { resolveComponent } from '../src/config/resolve.js';

const perHost = Number(process.argv[2] ?? 3000);
const lines = readFileSync(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8').split('\n').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'af-fleet-bench-'));
const ctx = { stateDir: dir, hostName: 'bench', log: silentLogger };

function events(host: string, n: number): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  let round = 0;
  while (out.length < n) {
    const s = new AuditStream({ onRecord: (r) => { if (r.event.action !== 'lost-events') out.push(r); }, onError: () => {} });
    // each round a new boot's worth of serials, so events stay distinct
    for (const l of lines) s.line(`node=${host} ${l.replace(/:(\d+)\): /, (_, x) => `:${Number(x) + round * 10_000_000}): `)}`, 'x');
    s.flush();
    round++;
  }
  return out.slice(0, n);
}

const port = 20000 + Math.floor(Math.random() * 20000);
const inDef = auditRemoteInput;
const input = inDef.build(resolveComponent(inDef, { type: 'audit_remote', listen: `127.0.0.1:${port}`, max_per_addr: 64 }, 'in').config, ctx);
let got = 0;
const arrivals: number[] = [];
await input.start({ push: async (b) => { got += b.records.length; for (let i = 0; i < b.records.length; i++) arrivals.push(performance.now()); b.ack?.(); }, error: () => {} });
const agent = (window: number, node: string) => auditRemoteOutput.build(resolveComponent(auditRemoteOutput, { type: 'audit_remote', servers: [`127.0.0.1:${port}`], window, node }, 'out').config, ctx);

const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
const data = hosts.map((h) => events(h, perHost));
const agents = hosts.map((h) => agent(128, h));
for (const a of agents) await a.start();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(agents.map(async (a, i) => { for (let k = 0; k < data[i].length; k += 500) await a.write(data[i].slice(k, k + 500)); }));
while (got < perHost * 10 * 0.99) await new Promise((r) => setTimeout(r, 10));
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
console.log(`10 hosts × ${perHost} events: ${Math.round(got / secs)} events/s wall, ${Math.round(got / cpuSecs)} events per CPU-second (agents and collector in one process)`);

const lat: number[] = [];
const one = agent(1, 'lat');
await one.start();
const probe = events('lat', 200);
for (const r of probe) {
  const before = arrivals.length;
  const t = performance.now();
  await one.write([r]);
  while (arrivals.length === before) await new Promise((res) => setImmediate(res));
  lat.push(arrivals[arrivals.length - 1] - t);
}
lat.sort((a, b) => a - b);
console.log(`agent → collector latency over ${lat.length} events: p50 ${lat[Math.floor(lat.length * 0.5)].toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)} ms`);
for (const a of [...agents, one]) await a.close(Date.now() + 500);
await input.stop();
rmSync(dir, { recursive: true, force: true });
