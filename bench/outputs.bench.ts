// Output throughput: records/s into a real rsyslog over TCP (until rsyslog has written them all),
// into the _bulk test server (a separate process, so its memory is not ours), and the disk
// spool's write and read rates; peak RSS of this process for each phase.
//   node --import tsx bench/outputs.bench.ts [records]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { SyslogOutput } from '../src/outputs/syslog/index.js';
import { ElasticsearchOutput } from '../src/outputs/elasticsearch/index.js';
import { withQueue, type QueuedOutput } from '../src/outputs/spool/index.js';
import { silentLogger } from '../src/log.js';
import type { Output } from '../src/pipeline/types.js';
import type { NormalizedRecord } from '../src/record.js';
import { Rsyslog, freeTcpPort } from '../test/support/rsyslog.js';
import { sleep } from '../test/support/wait.js';
import { records } from '../test/support/records.js';

const N = Number(process.argv[2] ?? 200000);
const BATCH = 1000;
const here = dirname(fileURLToPath(import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), 'auditflow-bench-'));
const ctx = { stateDir, hostName: 'benchhost', log: silentLogger };

// a few batches made up front and renumbered before each write (outputs serialize in write()),
// so the phases measure the outputs, and memory holds the outputs' data, not 200k test records
const templates: NormalizedRecord[][] = [];
for (let i = 0; i < 8; i++) templates.push(records(BATCH, i * BATCH));
const avgBytes = Buffer.byteLength(JSON.stringify(templates[0][0]));
function batch(k: number): NormalizedRecord[] {
  const b = templates[k % templates.length];
  for (let i = 0; i < b.length; i++) b[i].event.sequence = 1000 + k * BATCH + i;
  return b;
}
const nBatches = Math.ceil(N / BATCH);

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const mib = (b: number) => (b / 1048576).toFixed(0);
const results: string[] = [];
function report(name: string, n: number, ms: number, extra = ''): void {
  const line = `${name.padEnd(44)} ${String(Math.round(n / (ms / 1000))).padStart(9)} records/s  (${n} in ${ms.toFixed(0)} ms, peak RSS ${mib(peak)} MiB${extra})`;
  results.push(line);
  console.log(line);
}

// sampled per batch as well: a socket that takes every write at once never lets the timer run
const sample = () => {
  const r = process.memoryUsage.rss();
  if (r > peak) peak = r;
};

async function feed(out: Output): Promise<void> {
  for (let k = 0; k < nBatches; k++) {
    await out.write(batch(k));
    sample();
  }
}

/** For outputs that keep the record objects (a memory queue): new records for every batch. */
async function feedFresh(out: Output): Promise<void> {
  for (let k = 0; k < nBatches; k++) {
    await out.write(records(BATCH, k * BATCH));
    sample();
  }
}

async function rsyslogTcp(): Promise<void> {
  const port = await freeTcpPort();
  const rs = new Rsyslog({ tcpPort: port, template: 'count' });
  await rs.start();
  try {
    const out = new SyslogOutput({ type: 'syslog', protocol: 'tcp', port, framing: 'octet_counting' }, ctx);
    await out.start();
    peak = 0;
    const t0 = performance.now();
    await feed(out);
    const handed = performance.now() - t0;
    for (let i = 0; i < 6000 && rs.receivedCount() < N; i++) await sleep(10);
    const all = performance.now() - t0;
    const got = rs.receivedCount();
    report('syslog tcp → rsyslog (written by rsyslog)', got, all, `, handed to the kernel in ${handed.toFixed(0)} ms`);
    if (got !== N) console.log(`  !! rsyslog wrote ${got} of ${N}`);
    await out.close(Date.now() + 2000);
  } finally {
    await rs.dispose();
  }
}

async function bulkServer(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'test', 'support', 'bulk-server-main.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const { port } = JSON.parse((await lines.next()).value);
  try {
    const url = `http://127.0.0.1:${port}`;
    const out = new ElasticsearchOutput({ type: 'elasticsearch', url, data_stream: { namespace: 'direct' } }, ctx);
    await out.start();
    peak = 0;
    let t0 = performance.now();
    await feed(out);
    let ms = performance.now() - t0;
    const st = out.stats();
    report('elasticsearch → _bulk test server', st.records_out, ms, `, ${st.requests} requests`);
    await out.close(Date.now() + 2000);
    // as the daemon runs it: behind its queue (memory part only while the sink keeps up)
    const inner = new ElasticsearchOutput({ type: 'elasticsearch', url, data_stream: { namespace: 'queued' } }, ctx);
    const q = withQueue(inner, {}, ctx);
    await q.start();
    peak = 0;
    t0 = performance.now();
    await feedFresh(q);
    for (let i = 0; i < 12000 && inner.stats().records_out < N; i++) await sleep(5);
    ms = performance.now() - t0;
    report(
      'queue → elasticsearch (fresh records each batch)',
      inner.stats().records_out,
      ms,
      `, ${inner.stats().requests} requests, ${q.stats!().read_back} read back from disk`,
    );
    await q.close(Date.now() + 2000);
    // offered at a steady rate like the pipeline (batches of 100, up to 64 in flight): does the
    // queued output keep up, or does a backlog build?
    for (const rate of [40000, 80000]) {
      const innerP = new ElasticsearchOutput({ type: 'elasticsearch', url, data_stream: { namespace: `paced${rate}` } }, ctx);
      const qp = withQueue(innerP, {}, ctx);
      await qp.start();
      peak = 0;
      const t1 = performance.now();
      let sent = 0;
      let maxBacklog = 0;
      const inFlight: Promise<void>[] = [];
      while (performance.now() - t1 < 3000) {
        const due = Math.floor(((performance.now() - t1) / 1000) * rate);
        while (sent < due) {
          inFlight.push(qp.write(records(100, 10_000_000 + sent)));
          sent += 100;
          if (inFlight.length > 64) await inFlight.shift();
        }
        maxBacklog = Math.max(maxBacklog, sent - innerP.stats().records_out);
        sample();
        await sleep(10);
      }
      await Promise.all(inFlight);
      for (let i = 0; i < 12000 && innerP.stats().records_out < sent; i++) await sleep(5);
      const all = performance.now() - t1;
      report(`queue → elasticsearch offered ${rate}/s for 3 s`, sent, all, `, max backlog ${maxBacklog}, ${qp.stats!().read_back} read back`);
      await qp.close(Date.now() + 2000);
    }
  } finally {
    child.kill('SIGTERM');
    const counts = (await lines.next()).value;
    if (counts) console.log(`  (bulk server: ${JSON.parse(counts).created} documents created, ${JSON.parse(counts).conflicts} conflicts)`);
  }
}

class NullSink implements Output {
  readonly name = 'null';
  n = 0;
  up = false;
  private wait: (() => void) | null = null;
  async start(): Promise<void> {}
  async write(r: readonly NormalizedRecord[]): Promise<void> {
    while (!this.up)
      await new Promise<void>((res) => {
        this.wait = res;
      });
    this.n += r.length;
  }
  open(): void {
    this.up = true;
    this.wait?.();
  }
  async close(): Promise<void> {
    this.open();
  }
}

async function spool(fsync: boolean): Promise<void> {
  const sink = new NullSink();
  const q = withQueue(
    sink,
    { memory_records: 0, disk_bytes: 4 * 1024 * 1024 * 1024, fsync, batch_records: 1000 },
    { ...ctx, stateDir: join(stateDir, `spool-${fsync}`) },
  ) as QueuedOutput;
  await q.start();
  peak = 0;
  const t0 = performance.now();
  await feed(q);
  const w = performance.now() - t0;
  report(`spool write (disk, fsync ${fsync ? 'per batch' : 'off'})`, N, w, `, ${mib(q.stats().spool_bytes)} MiB on disk`);
  peak = 0;
  const t1 = performance.now();
  sink.open();
  while (sink.n < N) await sleep(5);
  report('spool read → output', N, performance.now() - t1);
  await q.close(Date.now() + 1000);
}

async function serializeOnly(): Promise<void> {
  peak = 0;
  const t0 = performance.now();
  let bytes = 0;
  for (let k = 0; k < nBatches; k++) {
    for (const r of batch(k)) bytes += JSON.stringify(r).length;
    sample();
  }
  report('JSON.stringify alone (reference)', N, performance.now() - t0, `, ${mib(bytes)} MiB`);
}

try {
  console.log(`baseline RSS ${mib(process.memoryUsage().rss)} MiB`);
  console.log(`${N} exec records, ~${avgBytes} bytes of JSON each, batches of ${BATCH}; node ${process.version}`);
  await serializeOnly();
  await rsyslogTcp();
  await bulkServer();
  await spool(false);
  await spool(true);
} finally {
  clearInterval(sampler);
  rmSync(stateDir, { recursive: true, force: true });
}
