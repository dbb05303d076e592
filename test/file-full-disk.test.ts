// The file and auditlog outputs on a disk that fills up: a real 256 KiB tmpfs mounted for the
// test (root only), filled with a ballast file, then freed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOutput } from '../src/outputs/file.js';
import { AuditlogOutput, rawLine } from '../src/outputs/auditlog.js';
import type { AuditRecord } from '../src/audit/record.js';
import { AuditStream } from '../src/audit/stream.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import { records } from './support/records.js';
import { waitFor } from './support/wait.js';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => 1000 + from + i);

/** Every line of the file parsed (throws on a partial or broken line); the file ends in \n. */
function seqsOf(path: string): number[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'no partial last line');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).event.sequence as number);
}

/** Fills the file system: the ballast gets every byte that is left (writeFileSync stops at ENOSPC). */
function fill(ballast: string): void {
  try {
    writeFileSync(ballast, Buffer.alloc(1 << 20, 0x61));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

describe('file outputs on a full disk (real tmpfs)', function () {
  this.timeout(30000);
  let dir: string;
  let mnt: string;
  let mounted = false;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: mounting a tmpfs needs root');
      this.skip();
    }
  });
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'auditflow-full-'));
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`      skipped: mount -t tmpfs failed: ${r.stderr.trim()}`);
      this.skip();
    }
    mounted = true;
  });
  afterEach(() => {
    if (mounted) spawnSync('umount', [mnt]);
    mounted = false;
    rmSync(dir, { recursive: true, force: true });
  });

  it('ENOSPC: the batch waits and is retried once space returns; the file never holds a partial line', async () => {
    const path = join(mnt, 'events.jsonl');
    const ballast = join(mnt, 'ballast');
    const out = new FileOutput({ type: 'file', path, fsync: 'never' }, { retryInitialMs: 20 });
    try {
      await out.start();
      await out.write(records(10));
      fill(ballast);
      // 8 KiB free: part of the ~35 KiB batch fits, the rest hits ENOSPC mid-line
      truncateSync(ballast, readFileSync(ballast).length - 8192);
      let done = false;
      const w = out.write(records(50, 10)).then(() => {
        done = true;
      });
      await waitFor('three failed attempts', () => out.stats().write_errors >= 3);
      assert.equal(done, false, 'not resolved (not delivered) while the disk is full');
      assert.deepEqual(seqsOf(path), range(0, 10), 'the half-written batch was cut back');
      unlinkSync(ballast);
      await w;
      await out.write(records(5, 60));
      assert.deepEqual(seqsOf(path), range(0, 65), 'every record once, in order');
      assert.equal(out.stats().written, 65);
    } finally {
      await out.close(Date.now() + 1000).catch(() => {});
    }
  });

  it('a restart while the disk is full: the batch is refused at close, a torn tail is cut at start, the replay lands once', async () => {
    const path = join(mnt, 'events.jsonl');
    const ballast = join(mnt, 'ballast');
    const first = new FileOutput({ type: 'file', path, fsync: 'never' }, { retryInitialMs: 20 });
    await first.start();
    await first.write(records(10));
    fill(ballast);
    const w = first.write(records(50, 10));
    w.catch(() => {});
    await waitFor('a failed attempt', () => first.stats().write_errors >= 1);
    await first.close(Date.now() + 200);
    await assert.rejects(w, (e: any) => e.code === 'AF_ERR_OUTPUT' && e.message.includes(path));
    assert.deepEqual(seqsOf(path), range(0, 10));
    unlinkSync(ballast);
    // and a crash mid-write leaves half a line behind
    const torn = JSON.stringify(records(1, 10)[0]);
    appendFileSync(path, torn.slice(0, torn.length >> 1));

    const second = new FileOutput({ type: 'file', path, fsync: 'never' });
    await second.start();
    assert.equal(second.stats().torn_tails, 1);
    // the input replays what was never acknowledged
    await second.write(records(50, 10));
    await second.close(Date.now() + 1000);
    assert.deepEqual(seqsOf(path), range(0, 60));
  });

  it('auditlog: events are written whole or not at all, and arrive once space returns', async () => {
    const sample = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8');
    const events: NormalizedRecord[] = [];
    const s = new AuditStream({
      resolveNames: false,
      onRecord: (r) => events.push(r),
      onError: (w, m) => {
        throw new Error(`${w}: ${m}`);
      },
    });
    sample.split('\n').forEach((l, i) => s.line(l, `sample:${i + 1}`));
    s.flush();
    // as many events as fit in 64 KiB, a quarter of the file system
    let bytes = 0;
    const some = events.filter((e) => (bytes += (e[kRaw] as { body: string }[]).reduce((n, r) => n + r.body.length + 60, 0)) < 65536);
    const path = join(mnt, 'audit.log');
    const ballast = join(mnt, 'ballast');
    const out = new AuditlogOutput({ type: 'auditlog', path }, { hostName: 'h' }, { retryInitialMs: 20 });
    try {
      await out.start();
      fill(ballast);
      truncateSync(ballast, readFileSync(ballast).length - 4096);
      let done = false;
      const w = out.write(some).then(() => {
        done = true;
      });
      await waitFor('failed attempts', () => out.stats().write_errors >= 2);
      assert.equal(done, false);
      const partial = readFileSync(path, 'utf8');
      assert.ok(partial === '' || partial.endsWith('\n'), 'no partial record line');
      unlinkSync(ballast);
      await w;
    } finally {
      await out.close(Date.now() + 1000).catch(() => {});
    }
    const want = some.flatMap((e) => (e[kRaw] as AuditRecord[]).map((r) => rawLine(r, undefined))).sort();
    const got = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .sort();
    assert.deepEqual(got, want, 'every record line once');
    assert.equal(out.stats().events, some.length);
  });
});
