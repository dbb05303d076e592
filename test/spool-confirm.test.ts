// The spool forgets a record only once its output confirms delivery. Syslog over TCP confirms a
// message only when it is known read, so these tests use receivers that accept and never read (or
// stop reading), close cleanly, or are killed along with the process: every record must arrive at
// least once, and the duplicates a restart makes are counted (`replayed`).
import assert from 'node:assert/strict';
import { octetCountedSequences } from './support/syslog-frames.js';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { withQueue, type QueuedOutput } from '../src/outputs/spool/index.js';
import { SyslogOutput } from '../src/outputs/syslog/sink.js';
import { silentLogger } from '../src/log.js';
import { records } from './support/records.js';
import { TestSink } from './support/test-sink.js';
import { freeTcpPort } from './support/rsyslog.js';
import { sleep, waitFor } from './support/wait.js';

const FEEDER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'outputs', 'feeder.ts');
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

/**
 * A syslog receiver reading octet-counted frames, keeping each record's sequence. With
 * `readBytes` it stops reading after that many bytes (the rest stays in the kernels' buffers);
 * 0: it accepts and never reads at all. It answers our FIN with its own (a clean close).
 */
async function listener(port: number, readBytes = Infinity): Promise<{ seqs: number[]; stop: () => Promise<void> }> {
  const seqs: number[] = [];
  const conns: net.Socket[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (c) => {
    conns.push(c);
    if (readBytes === 0) return;
    let read = 0;
    const frames = octetCountedSequences((n) => seqs.push(n));
    c.on('data', (d) => {
      read += d.length;
      frames(d);
      if (read >= readBytes) c.pause();
    });
    c.on('end', () => c.end());
    c.resume();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    seqs,
    stop: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.destroy();
        server.close(() => r());
      }),
  };
}

interface Report {
  event: string;
  fed: number;
  stats: Record<string, number>;
}

/** The daemon stand-in of test/fixtures/outputs/feeder.ts: one queued output, fed numbered records. */
class Feeder {
  readonly proc: ChildProcess;
  last: Report | null = null;
  stderr = '';
  constructor(opts: Record<string, unknown>) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', FEEDER, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.last = JSON.parse(l);
    });
  }
  async until(cond: (r: Report) => boolean, what: string, ms = 30000): Promise<Report> {
    await waitFor(
      what,
      () => {
        if (this.proc.exitCode !== null) throw new Error(`feeder exited ${this.proc.exitCode}: ${this.stderr}`);
        return this.last !== null && cond(this.last);
      },
      ms,
      () => `${JSON.stringify(this.last?.stats)} ${this.stderr}`,
    );
    return this.last!;
  }
  /** Waits until the output has stopped taking records (a receiver that does not read). */
  async stalled(): Promise<Report> {
    let handed = -1;
    for (;;) {
      const r = await this.until((x) => x.event === 'idle', 'all records fed');
      if (r.stats.handed === handed) return r;
      handed = r.stats.handed;
      await sleep(600); // time is the point: a stall shows only as no progress over a while
    }
  }
  async stop(): Promise<Report> {
    this.proc.kill('SIGTERM');
    const r = await this.until((x) => x.event === 'closed', 'closed');
    await new Promise<void>((res) => (this.proc.exitCode !== null ? res() : this.proc.once('exit', () => res())));
    return r;
  }
  async crash(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise<void>((res) => this.proc.once('exit', () => res()));
    this.proc.kill('SIGKILL');
    await gone;
  }
}

describe('spool cursor follows confirmed delivery', function () {
  this.timeout(120000);
  let stateDir: string;
  const ctx = () => ({ stateDir, hostName: 'testhost', log: silentLogger });
  const feeders: Feeder[] = [];
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-confirm-'));
  });
  afterEach(async () => {
    for (const f of feeders.splice(0)) await f.crash();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /**
   * First run: the output's receiver reads at most `readBytes`, the process is SIGKILLed. Second
   * run: a receiver that reads everything. Returns what each receiver got and the runs' reports.
   */
  async function crashThenRestart(readBytes: number) {
    const port = await freeTcpPort();
    const output = { type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port, reconnect: { initial_ms: 20, max_ms: 200 } };
    const queue = { batch_records: 500 };
    const first = await listener(port, readBytes);
    const a = new Feeder({ stateDir, output, queue, from: 0, count: 20000, batch: 200, intervalMs: 0, closeMs: 2000 });
    feeders.push(a);
    const ra = await a.stalled();
    await a.crash();
    await first.stop();
    const second = await listener(port);
    const b = new Feeder({ stateDir, output, queue, from: 20000, count: 1000, batch: 200, intervalMs: 5, closeMs: 5000 });
    feeders.push(b);
    await waitFor('every record read by one receiver or the other', () => new Set(second.seqs).size >= 21000 - new Set(first.seqs).size, 30_000);
    const rb = await b.stop();
    await second.stop();
    return { first: first.seqs, second: second.seqs, ra, rb };
  }

  it('SIGKILL while the receiver accepts and never reads: after a restart every record arrives, those sent before counted as replayed', async () => {
    const { first, second, ra, rb } = await crashThenRestart(0);
    const a = ra.stats;
    assert.ok(a.handed > 1000 && a.handed < 20000, `the kernel took ${a.handed} records nobody read`);
    assert.equal(a.delivered, 0, 'nothing read, nothing confirmed');
    assert.equal(a.unconfirmed_records, a.handed);
    assert.equal(a.spool_records, 20000, 'the spool keeps every record until it is confirmed');
    assert.deepEqual(first, []);
    assert.deepEqual(
      range(0, 21000).filter((s) => !second.includes(s)),
      [],
      'no record lost',
    );
    assert.equal(second.length, 21000, 'nobody read the first copies, so none arrives twice');
    // the cursor is saved before a chunk is handed over: the chunk being written at the kill counts too
    assert.ok(rb.stats.replayed >= a.handed && rb.stats.replayed <= a.handed + 500, `replayed ${rb.stats.replayed}, handed before the crash ${a.handed}`);
    assert.deepEqual([rb.stats.delivered, rb.stats.unconfirmed_records, rb.stats.spool_records], [21000, 0, 0], 'the clean close confirms the rest');
  });

  it('SIGKILL after the receiver read part of it: the records it read arrive again, and no more of them than counted as replayed', async () => {
    const { first, second, ra, rb } = await crashThenRestart(1 << 20);
    assert.ok(first.length > 500, `the first receiver read ${first.length}`);
    assert.equal(ra.stats.delivered, 0, 'what it read is not known read: less than the socket buffers followed it');
    const seen = new Map<number, number>();
    for (const s of [...first, ...second]) seen.set(s, (seen.get(s) ?? 0) + 1);
    assert.deepEqual(
      range(0, 21000).filter((s) => !seen.has(s)),
      [],
      'no record lost',
    );
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    assert.equal(duplicates, first.length, 'each record the first receiver read was sent again');
    assert.ok(duplicates <= rb.stats.replayed, `${duplicates} duplicates, ${rb.stats.replayed} counted as replayed`);
    console.log(`      ${first.length} read before the crash, ${rb.stats.replayed} replayed, ${duplicates} duplicates`);
  });

  it('records from memory the output never confirmed are saved at close and delivered first by the next run', async () => {
    const port = await freeTcpPort();
    const silent = await listener(port, 0);
    const output = () => new SyslogOutput({ type: 'syslog', protocol: 'tcp', host: '127.0.0.1', port }, ctx());
    const q1 = withQueue(output(), { memory_records: 1000 }, ctx()) as QueuedOutput;
    await q1.start();
    for (let b = 0; b < 3; b++) await q1.write(records(100, b * 100));
    await waitFor('the output took all 300', () => q1.stats().handed === 300, 30_000);
    assert.deepEqual([q1.stats().delivered, q1.stats().unconfirmed_records, q1.stats().queue_records], [0, 300, 300], 'held in memory until confirmed');
    await q1.close(Date.now() + 500);
    assert.equal(q1.stats().spool_records, 300, 'saved, not forgotten');
    await silent.stop();
    const good = await listener(port);
    const q2 = withQueue(output(), { memory_records: 1000 }, ctx()) as QueuedOutput;
    await q2.start();
    await q2.write(records(100, 300));
    await waitFor('all 400 read', () => good.seqs.length === 400, 30_000);
    assert.deepEqual(good.seqs, range(0, 400), 'the saved ones first, in order');
    assert.equal(q2.stats().replayed, 300, 'all 300 had been sent before');
    assert.equal(q2.stats().delivered, 0, 'read, not yet known read');
    await q2.close(Date.now() + 2000);
    assert.deepEqual([q2.stats().delivered, q2.stats().spool_records], [400, 0]);
    await good.stop();
  });

  it('an output that confirms late: the cursor waits for it, a restart replays exactly the unconfirmed records', async () => {
    const sink = new LateSink();
    const q1 = withQueue(sink, { batch_records: 100, fsync: false }, ctx()) as QueuedOutput;
    await q1.start();
    for (let b = 0; b < 5; b++) await q1.write(records(100, b * 100));
    await waitFor('all handed over (read ahead of confirmation)', () => sink.received.length === 500, 30_000);
    sink.confirm(250);
    await waitFor('the first two writes confirmed, the cursor past them', () => q1.stats().delivered === 200 && q1.stats().spool_records === 300, 30_000);
    // the third write is half confirmed: it stays whole in the spool
    assert.deepEqual([q1.stats().unconfirmed_records, q1.stats().spool_records], [300, 300]);
    // a crash here: no close; the next run finds the cursor as it is
    const sink2 = new TestSink();
    const q2 = withQueue(sink2, {}, ctx()) as QueuedOutput;
    await q2.start();
    await waitFor('the unconfirmed 300 again', () => sink2.received.length === 300, 30_000);
    assert.deepEqual(
      sink2.received.map((r) => r.event.sequence),
      range(200, 300),
    );
    assert.equal(q2.stats().replayed, 300);
    await q2.close(Date.now() + 500);
    await q1.close(Date.now());
  });
});

/** An output whose writes resolve at once and are confirmed only when the test says so. */
class LateSink extends TestSink {
  private cb: (n: number) => void = () => {};
  onConfirmed(cb: (n: number) => void): void {
    this.cb = cb;
  }
  confirm(n: number): void {
    this.cb(n);
  }
}
