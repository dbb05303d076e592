// Sink outages with real processes: the sink goes away while records flow, the daemon stand-in
// is restarted while the sink is still down, and after the sink returns every record is there.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Rsyslog, freeTcpPort, needTool } from './support/rsyslog.js';
import { sleep, waitFor } from './support/wait.js';
import { BulkServer } from './support/bulk-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const FEEDER = join(here, 'fixtures', 'outputs', 'feeder.ts');

interface Report {
  event: string;
  fed: number;
  maxQueue: number;
  peakRss: number;
  stats: Record<string, number>;
}

class Feeder {
  readonly proc: ChildProcess;
  last: Report | null = null;
  private listeners: ((r: Report) => void)[] = [];
  stderr = '';
  constructor(opts: Record<string, unknown>) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', FEEDER, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.last = JSON.parse(l);
      for (const f of this.listeners.splice(0)) f(this.last!);
    });
  }
  /** Waits (bounded) for a report that satisfies `cond`. */
  async until(cond: (r: Report) => boolean, ms = 20000): Promise<Report> {
    const end = Date.now() + ms;
    while (!(this.last && cond(this.last))) {
      if (this.proc.exitCode !== null) throw new Error(`feeder exited ${this.proc.exitCode}: ${this.stderr}`);
      if (Date.now() > end) throw new Error(`feeder did not get there: ${JSON.stringify(this.last)} ${this.stderr}`);
      await new Promise<void>((r) => {
        this.listeners.push(() => r());
        setTimeout(r, 100);
      });
    }
    return this.last!;
  }
  async stop(): Promise<Report> {
    const closed = this.until((r) => r.event === 'closed', 30000);
    this.proc.kill('SIGTERM');
    const r = await closed;
    await new Promise<void>((res) => (this.proc.exitCode !== null ? res() : this.proc.once('exit', () => res())));
    return r;
  }
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

const QUEUE = { memory_records: 500, batch_records: 200, disk_bytes: 64 * 1024 * 1024, when_full: 'block' };

describe('outputs through sink outages and a daemon restart', function () {
  this.timeout(120000);
  let stateDir: string;
  const feeders: Feeder[] = [];
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-outage-'));
  });
  afterEach(() => {
    for (const f of feeders.splice(0)) f.kill();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('syslog over TCP: rsyslog stopped while records flow, daemon restarted during the outage: every record arrives', async function () {
    needTool(this, 'rsyslogd', 'the outage test stops and starts a real rsyslog');
    const port = await freeTcpPort();
    const rs = new Rsyslog({ tcpPort: port });
    try {
      await rs.start();
      const output = { type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, reconnect: { initial_ms: 50, max_ms: 400 } };
      const a = new Feeder({ stateDir, output, queue: QUEUE, from: 0, count: 6000, batch: 100, intervalMs: 10, closeMs: 1500 });
      feeders.push(a);
      await a.until((r) => r.fed >= 1500);
      await rs.stop();
      await a.until((r) => r.event === 'fed' || r.event === 'idle');
      const ra = await a.stop();
      assert.ok(ra.maxQueue <= QUEUE.memory_records + QUEUE.batch_records, `memory queue bounded: ${ra.maxQueue}`);
      assert.ok(ra.stats.spool_records > 0, 'the spool held records when the first run stopped');
      // second life, sink still down at first
      const b = new Feeder({ stateDir, output, queue: QUEUE, from: 6000, count: 2000, batch: 100, intervalMs: 5, closeMs: 5000 });
      feeders.push(b);
      await b.until((r) => r.fed >= 1000);
      await rs.start();
      // everything handed to the output; over TCP the last ~40 MiB stay unconfirmed (and spooled)
      // until more traffic or the clean close
      await b.until(
        (r) => r.event === 'idle' && r.stats.spool_records === r.stats.unconfirmed_records && r.stats.queue_records === 0 && r.stats.backlog === 0,
        60000,
      );
      // resent messages count towards the total: wait (bounded) for every distinct record
      const count = () => {
        const seen = new Map<number, number>();
        for (const m of rs.received()) {
          const seq = JSON.parse(m.msg.trimStart()).event.sequence as number;
          seen.set(seq, (seen.get(seq) ?? 0) + 1);
        }
        return seen;
      };
      // the assertion below names what is missing
      await waitFor('every distinct record', () => count().size >= 8000, 20_000).catch(() => {});
      const got = rs.received();
      const seen = count();
      const missing: number[] = [];
      for (let i = 0; i < 8000; i++) if (!seen.has(1000 + i)) missing.push(1000 + i);
      assert.deepEqual(missing, [], 'no record lost');
      const dup = [...seen.values()].filter((n) => n > 1).length;
      console.log(
        `      ${got.length} messages for 8000 records (${dup} resent after the connection dropped); peak RSS ${(ra.peakRss / 1048576).toFixed(0)} MiB`,
      );
      const rb = await b.stop();
      assert.ok(rb.maxQueue <= QUEUE.memory_records + QUEUE.batch_records);
      assert.deepEqual([rb.stats.spool_records, rb.stats.unconfirmed_records], [0, 0], 'rsyslog answered our FIN: all confirmed, the spool empty');
    } finally {
      await rs.dispose();
    }
  });

  it('elasticsearch: 503s and 429s while records flow, restart during the outage: every record indexed exactly once', async () => {
    const server = new BulkServer();
    await server.start();
    try {
      const output = { type: 'elasticsearch', url: server.url, retry: { initial_ms: 20, max_ms: 200 }, batch: { max_events: 200, timeout_ms: 50 } };
      // some items refused for a while even when the cluster answers
      server.itemFault = (_doc, _id, attempt) =>
        attempt === 1 && Math.random() < 0.2 ? { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' } : undefined;
      const a = new Feeder({ stateDir, output, queue: QUEUE, from: 0, count: 5000, batch: 100, intervalMs: 5, closeMs: 1500 });
      feeders.push(a);
      await a.until((r) => r.fed >= 1000);
      server.down = 503;
      await a.until((r) => r.event === 'fed' || r.event === 'idle');
      const ra = await a.stop();
      assert.ok(ra.maxQueue <= QUEUE.memory_records + QUEUE.batch_records, `memory queue bounded: ${ra.maxQueue}`);
      assert.ok(ra.stats.spool_records > 0);
      const b = new Feeder({ stateDir, output, queue: QUEUE, from: 5000, count: 1000, batch: 100, intervalMs: 5, closeMs: 5000 });
      feeders.push(b);
      await b.until((r) => r.fed >= 500);
      server.down = 429;
      await sleep(300); // an outage of a while, under a running feed
      server.down = null;
      await b.until((r) => r.event === 'idle' && r.stats.spool_records === 0 && r.stats.queue_records === 0 && r.stats.backlog === 0, 60000);
      const docs = server.index('logs-auditflow-default');
      const seqs = new Set([...docs.values()].map((d) => d.event.sequence));
      const missing: number[] = [];
      for (let i = 0; i < 6000; i++) if (!seqs.has(1000 + i)) missing.push(1000 + i);
      assert.deepEqual(missing, []);
      assert.equal(docs.size, 6000, 'exactly once: replays met 409');
      await b.stop();
    } finally {
      await server.stop();
    }
  });
});
