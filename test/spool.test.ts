import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync, appendFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withQueue, applyQueue, QueuedOutput } from '../src/outputs/spool/index.js';
import { silentLogger } from '../src/log.js';
import { AuditStream } from '../src/audit/stream.js';
import { AuditlogOutput } from '../src/outputs/auditlog.js';
import type { NormalizedRecord } from '../src/record.js';
import { TestSink } from './support/test-sink.js';
import { sleep, waitFor } from './support/wait.js';
import { records } from './support/records.js';

const seqs = (rs: NormalizedRecord[]) => rs.map((r) => r.event.sequence);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

describe('output queue and disk spool', function () {
  this.timeout(30000);
  let stateDir: string;
  const ctx = () => ({ stateDir, hostName: 'testhost', log: silentLogger });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'auditflow-spool-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('accepts records into memory at once and delivers them in order', async () => {
    const sink = new TestSink();
    const q = withQueue(sink, { memory_records: 1000 }, ctx());
    await q.start();
    for (let b = 0; b < 10; b++) await q.write(records(50, b * 50));
    await waitFor(
      '500 records at sink',
      () => sink.received.length === 500,
      10_000,
      () => sink.received.length,
    );
    assert.deepEqual(seqs(sink.received), range(0, 500));
    await q.close(Date.now() + 1000);
    assert.deepEqual(
      readdirSync(join(stateDir, 'spool', 'test-sink')).filter((f) => f.endsWith('.jsonl')),
      [],
    );
  });

  it('while the sink is down, memory holds at most memory_records and the rest goes to disk; all arrive in order once it is back', async () => {
    const sink = new TestSink();
    sink.up = false;
    const q = withQueue(sink, { memory_records: 500, batch_records: 100, fsync: false }, ctx()) as QueuedOutput;
    await q.start();
    let maxMem = 0;
    for (let b = 0; b < 100; b++) {
      await q.write(records(100, b * 100));
      maxMem = Math.max(maxMem, q.stats().queue_records);
    }
    const st = q.stats();
    assert.ok(maxMem <= 500 + 100, `memory queue bounded (${maxMem})`);
    assert.equal(st.queue_records + st.spool_records, 10000);
    assert.ok(st.spool_bytes > 0);
    sink.up = true;
    await waitFor(
      '10000 records at sink',
      () => sink.received.length === 10000,
      10_000,
      () => sink.received.length,
    );
    assert.deepEqual(seqs(sink.received), range(0, 10000), 'each record once, in order');
    assert.equal(q.stats().spool_records, 0);
    await q.close(Date.now() + 1000);
  });

  it('when_full: block holds writers back until the sink makes room', async () => {
    const sink = new TestSink();
    sink.up = false;
    const q = withQueue(sink, { memory_records: 0, disk_bytes: 65536, fsync: false }, ctx()) as QueuedOutput;
    await q.start();
    let accepted = 0;
    const writes: Promise<void>[] = [];
    for (let b = 0; b < 40; b++)
      writes.push(
        q.write(records(10, b * 10)).then(() => {
          accepted += 10;
        }),
      );
    await waitFor('a write held back', () => accepted > 0 && q.stats().blocked_writes > 0);
    await sleep(100); // time is the point: held writers stay held while the sink is down
    const held = accepted;
    assert.ok(held < 400, `writes beyond the cap wait (${held} accepted)`);
    assert.ok(q.stats().spool_bytes <= 65536 + 20000);
    sink.up = true;
    await Promise.all(writes);
    await waitFor(
      '400 records at sink',
      () => sink.received.length === 400,
      10_000,
      () => sink.received.length,
    );
    assert.deepEqual(seqs(sink.received), range(0, 400));
    assert.equal(q.stats().lost, 0);
    await q.close(Date.now() + 1000);
  });

  it('when_full: drop_oldest drops spooled records, counts them and says so in a lost-events record', async () => {
    const sink = new TestSink();
    sink.up = false;
    const q = withQueue(sink, { memory_records: 0, disk_bytes: 65536, when_full: 'drop_oldest', fsync: false }, ctx()) as QueuedOutput;
    await q.start();
    for (let b = 0; b < 100; b++) await q.write(records(10, b * 10));
    const lost = q.stats().lost;
    assert.ok(lost > 0, 'something had to go');
    assert.ok(q.stats().spool_bytes <= 65536 + 20000, 'the disk cap holds');
    sink.up = true;
    await waitFor(
      'the queue drained into the sink',
      () => sink.received.length >= 1000 - lost && q.stats().spool_records === 0 && q.stats().queue_records === 0,
      10_000,
      () => ({ received: sink.received.length, ...q.stats() }),
    );
    const loss = sink.received.filter((r) => r.event.action === 'lost-events');
    const kept = sink.received.filter((r) => r.event.action !== 'lost-events');
    assert.equal(
      loss.reduce((n, r) => n + (r.audit!.lost as number), 0),
      lost,
    );
    assert.equal(loss[0].event.kind, 'pipeline_error');
    assert.match(loss[0].message!, /records dropped because the queue of output test-sink was full/);
    assert.equal(kept.length + lost, 1000);
    // what survived: the first batch (already handed to the sink when it went down) and the
    // newest records, in order
    assert.deepEqual(seqs(kept.slice(0, 10)), range(0, 10));
    assert.deepEqual(seqs(kept.slice(10)), range(1000 - (kept.length - 10), kept.length - 10));
    await q.close(Date.now() + 1000);
  });

  it('a restart keeps what the spool and the memory queue held: the next run delivers it first, once', async () => {
    const sink1 = new TestSink();
    sink1.up = false;
    const q1 = withQueue(sink1, { memory_records: 300, fsync: true }, ctx());
    await q1.start();
    for (let b = 0; b < 10; b++) await q1.write(records(100, b * 100));
    await q1.close(Date.now() + 300);
    assert.equal(sink1.received.length, 0);
    const sink2 = new TestSink();
    const q2 = withQueue(sink2, { memory_records: 300 }, ctx()) as QueuedOutput;
    await q2.start();
    assert.equal(q2.stats().spool_records, 1000);
    await q2.write(records(100, 1000));
    await waitFor(
      '1100 records at sink2',
      () => sink2.received.length === 1100,
      10_000,
      () => sink2.received.length,
    );
    assert.deepEqual(seqs(sink2.received), range(0, 1100));
    await q2.close(Date.now() + 1000);
  });

  it('an auditlog output behind the spool writes the events it read back from disk after a restart, line for line', async () => {
    const lines = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, 400);
    const events: NormalizedRecord[] = [];
    const stream = new AuditStream({ onRecord: (r) => events.push(r), onError: (where, m) => assert.fail(`${where}: ${m}`) });
    lines.forEach((l, i) => stream.line(l, `sample:${i + 1}`));
    stream.flush();
    const path = join(stateDir, 'audit', 'audit.log');
    const down = new TestSink(`auditlog:${path}`);
    down.up = false;
    const q1 = withQueue(down, { memory_records: 0 }, ctx());
    await q1.start();
    await q1.write(events);
    await q1.close(Date.now() + 300);
    const q2 = withQueue(new AuditlogOutput({ type: 'auditlog', path }, { hostName: 'h' }), {}, ctx()) as QueuedOutput;
    await q2.start();
    await waitFor('the spool emptied', () => q2.stats().spool_records === 0);
    await q2.close(Date.now() + 1000);
    // the sample's lines are what auditd wrote: the same text comes out, event by event
    const written = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    assert.equal(written.length, lines.length);
    assert.deepEqual(new Set(written), new Set(lines));
  });

  it('a partly delivered spool resumes after the last delivered record', async () => {
    const sink1 = new TestSink();
    sink1.up = false;
    const q1 = withQueue(sink1, { memory_records: 0, batch_records: 100, fsync: false }, ctx());
    await q1.start();
    for (let b = 0; b < 5; b++) await q1.write(records(100, b * 100));
    sink1.up = true;
    await waitFor(
      'at least 200 records at sink1',
      () => sink1.received.length >= 200,
      10_000,
      () => sink1.received.length,
    );
    sink1.up = false;
    await q1.close(Date.now() + 300);
    const delivered = sink1.received.length;
    const sink2 = new TestSink();
    const q2 = withQueue(sink2, { memory_records: 0 }, ctx());
    await q2.start();
    await waitFor(
      `${500 - delivered} records at sink2`,
      () => sink2.received.length === 500 - delivered,
      10_000,
      () => sink2.received.length,
    );
    assert.deepEqual(seqs([...sink1.received, ...sink2.received]), range(0, 500));
    await q2.close(Date.now() + 1000);
  });

  it('a torn or corrupt spool line is skipped and counted; the records around it arrive', async () => {
    const sink1 = new TestSink();
    sink1.up = false;
    const q1 = withQueue(sink1, { memory_records: 0, fsync: false }, ctx());
    await q1.start();
    await q1.write(records(3));
    await q1.write(records(3, 3));
    await q1.close(Date.now() + 200);
    const dir = join(stateDir, 'spool', 'test-sink');
    const seg = readdirSync(dir).filter((f) => f.endsWith('.jsonl'))[0];
    appendFileSync(join(dir, seg), '{"@timestamp":"2026-11-23T11:00:00.000Z","event":{"mod\n{"half a rec');
    assert.ok(statSync(join(dir, seg)).size > 0);
    const sink2 = new TestSink();
    const q2 = withQueue(sink2, { memory_records: 0 }, ctx()) as QueuedOutput;
    await q2.start();
    await waitFor('6 records', () => sink2.received.length === 6);
    await q2.close(Date.now() + 500); // closed: nothing more can arrive
    assert.deepEqual(seqs(sink2.received), range(0, 6));
    assert.equal(q2.stats().spool_corrupt, 2, 'the bad line and the torn tail');
  });

  it('by default a resolved write is on disk: a crash (no close) loses nothing acked', async () => {
    const sink1 = new TestSink();
    sink1.up = false;
    const q1 = withQueue(sink1, {}, ctx()) as QueuedOutput;
    await q1.start();
    for (let b = 0; b < 5; b++) await q1.write(records(20, b * 20));
    assert.equal(q1.stats().queue_records + q1.stats().spool_records, 100);
    // the process dies here: no close(), the first run's files are left as they are
    const sink2 = new TestSink();
    const q2 = withQueue(sink2, {}, ctx());
    await q2.start();
    await waitFor(
      '100 records at sink2',
      () => sink2.received.length === 100,
      10_000,
      () => sink2.received.length,
    );
    assert.deepEqual(seqs(sink2.received), range(0, 100));
    await q2.close(Date.now() + 500);
    await q1.close(Date.now()); // only to release the dead run's file handles
  });

  it('writers arriving together share one append and fsync (group commit), order kept', async () => {
    const sink = new TestSink();
    sink.up = false;
    const q = withQueue(sink, { fsync: true }, ctx()) as QueuedOutput;
    await q.start();
    // like the pipeline: many batches in flight at once
    await Promise.all(Array.from({ length: 50 }, (_, b) => q.write(records(10, b * 10))));
    assert.equal(q.stats().spooled, 500);
    assert.ok(q.stats().group_commits < 50, `${q.stats().group_commits} commits for 50 writes`);
    sink.up = true;
    await waitFor(
      '500 records at sink',
      () => sink.received.length === 500,
      10_000,
      () => sink.received.length,
    );
    assert.deepEqual(seqs(sink.received), range(0, 500));
    await q.close(Date.now() + 500);
  });

  it('while the sink keeps up, spooled records are handed over from memory, not read back from disk', async () => {
    const sink = new TestSink();
    const q = withQueue(sink, { fsync: false }, ctx()) as QueuedOutput;
    await q.start();
    const first = records(50);
    await q.write(first);
    for (let b = 1; b < 20; b++) await q.write(records(50, b * 50));
    await waitFor(
      '1000 records at sink',
      () => sink.received.length === 1000,
      10_000,
      () => sink.received.length,
    );
    assert.equal(q.stats().spooled, 1000);
    assert.equal(q.stats().read_back, 0);
    assert.strictEqual(sink.received[0], first[0], 'the very objects written, not copies parsed back');
    // a backlog larger than the in-memory copies is read back from disk, still in order
    sink.up = false;
    for (let b = 0; b < 30; b++) await q.write(records(1000, 1000 + b * 1000));
    sink.up = true;
    await waitFor(
      '31000 records at sink',
      () => sink.received.length === 31000,
      20000,
      () => sink.received.length,
    );
    assert.ok(q.stats().read_back > 0);
    assert.deepEqual(seqs(sink.received), range(0, 31000));
    await q.close(Date.now() + 500);
  });

  it('applyQueue wraps syslog and elasticsearch by default, others only when asked', () => {
    const sink = new TestSink();
    assert.ok(applyQueue(sink, { type: 'syslog' }, ctx()) instanceof QueuedOutput);
    assert.ok(applyQueue(sink, { type: 'elasticsearch' }, ctx()) instanceof QueuedOutput);
    assert.equal(applyQueue(sink, { type: 'syslog', queue: { enabled: false } }, ctx()), sink);
    assert.equal(applyQueue(sink, { type: 'file' }, ctx()), sink);
    assert.ok(applyQueue(sink, { type: 'file', queue: { memory_records: 10 } }, ctx()) instanceof QueuedOutput);
  });
});
