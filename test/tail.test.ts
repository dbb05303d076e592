import assert from 'node:assert/strict';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tailer, type TailChunk, type TailOptions } from '../src/inputs/tail/tail.js';
import { CheckpointStore } from '../src/inputs/tail/checkpoint.js';
import { createSnoopyInput } from '../src/inputs/snoopy/input.js';
import type { NormalizedRecord } from '../src/record.js';
import type { AuditflowError } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { sleep, waitFor } from './support/wait.js';
import { collectInto } from './support/collect.js';

interface Harness {
  tailer: Tailer;
  lines: { path: string; text: string; start: number; end: number; line: number; truncated?: boolean }[];
  errors: AuditflowError[];
  texts(): string[];
}

/** A tailer that records every line and commits at once (unless commit is false). */
async function startTailer(dir: string, opts: Partial<TailOptions> & { include: string[] }, commit = true): Promise<Harness> {
  const h: Harness = {
    tailer: undefined as unknown as Tailer,
    lines: [],
    errors: [],
    texts: () => h.lines.map((l) => l.text),
  };
  h.tailer = new Tailer({
    checkpointPath: join(dir, 'state', 'cp.json'),
    log: silentLogger,
    pollMs: 20,
    scanMs: 50,
    checkpointMs: 30,
    rotateWaitMs: 300,
    onChunk: async (c: TailChunk) => {
      for (const l of c.lines) h.lines.push({ path: c.file.path, ...l });
      if (commit && c.lines.length) {
        const last = c.lines[c.lines.length - 1];
        h.tailer.commit(c.file, c.gen, last.end, last.line);
      }
    },
    onError: (e) => h.errors.push(e),
    ...opts,
  });
  await h.tailer.start();
  return h;
}

async function stopTailer(h: Harness) {
  await h.tailer.stop();
  h.tailer.close();
}

/** How many of this process's file descriptors point at `path` (/proc/self/fd). */
function fdsOpenOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

describe('tailer', function () {
  let dir: string;
  const open: Harness[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-tail-'));
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await stopTailer(h).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (...a: Parameters<typeof startTailer>) => {
    const h = await startTailer(...a);
    open.push(h);
    return h;
  };

  it('reads a file from the beginning, then what is appended, with byte offsets', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'one\ntwo\n');
    const h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    appendFileSync(f, 'three\n');
    await waitFor('3 lines', () => h.lines.length === 3);
    assert.deepEqual(
      h.lines.map(({ text, start, end }) => ({ text, start, end })),
      [
        { text: 'one', start: 0, end: 4 },
        { text: 'two', start: 4, end: 8 },
        { text: 'three', start: 8, end: 14 },
      ],
    );
  });

  it('start_at end skips what exists at startup, but a file appearing later is read whole', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'old1\nold2\n');
    const h = await start(dir, { include: [join(dir, '*.log')], startAt: 'end' });
    appendFileSync(f, 'new1\n');
    writeFileSync(join(dir, 'b.log'), 'b1\nb2\n');
    await waitFor('3 lines', () => h.lines.length === 3);
    assert.deepEqual(h.texts().sort(), ['b1', 'b2', 'new1']);
  });

  it('holds a partial last line until its newline arrives', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'complete\npart');
    const h = await start(dir, { include: [f] });
    await waitFor(
      'every byte read, the partial line too',
      () => h.tailer.stats().bytes === 13,
      5000,
      () => h.tailer.stats(),
    );
    assert.deepEqual(h.texts(), ['complete']);
    appendFileSync(f, 'ial line\n');
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(h.lines[1], { path: f, text: 'partial line', start: 9, end: 22, line: 2 });
  });

  it('reads a 128 KiB line whole and cuts a line over max_line_bytes, reporting it, without stalling', async () => {
    const f = join(dir, 'a.log');
    const big = 'type=EXECVE msg=audit(1.2:3): argc=2 a0="x" a1="' + 'A'.repeat(128 * 1024) + '"';
    const huge = 'B'.repeat(3 << 20);
    writeFileSync(f, `${big}\n${huge}\nafter\n`);
    const h = await start(dir, { include: [f], maxLineBytes: 1 << 20 });
    await waitFor('3 lines', () => h.lines.length === 3);
    assert.equal(h.lines[0].text, big);
    assert.equal(h.lines[1].text.length, 1 << 20);
    assert.equal(h.lines[1].truncated, true);
    assert.equal(h.lines[1].end, big.length + 1 + huge.length + 1);
    assert.deepEqual(h.lines[2], { path: f, text: 'after', start: big.length + huge.length + 2, end: big.length + huge.length + 8, line: 3 });
    assert.equal(h.lines[1].line, 2);
    assert.equal(h.errors.length, 1);
    assert.match(h.errors[0].message, /longer than 1048576 bytes/);
    assert.equal(h.tailer.stats().long_lines, 1);
  });

  it('shows bytes that are not UTF-8 as \\xNN, keeps the UTF-8 around them, and goes on', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(
      f,
      Buffer.concat([
        Buffer.from('ok '),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
        Buffer.from(' latin1 caf\xe9\nnext \u00e9t\u00e9\n', 'latin1'),
        Buffer.from('utf8 \u00e9t\u00e9 \u{1f680}\n'),
      ]),
    );
    const h = await start(dir, { include: [f] });
    await waitFor('3 lines', () => h.lines.length === 3);
    assert.deepEqual(h.texts(), ['ok \\xff\\xfe\\xc3( latin1 caf\\xe9', 'next \\xe9t\\xe9', 'utf8 \u00e9t\u00e9 \u{1f680}']);
  });

  it('rename rotation: finishes the old file (late writes included), then reads the new one from 0', async () => {
    const f = join(dir, 'app.log');
    const fd = openSync(f, 'a');
    writeSync(fd, 'a1\na2\n');
    const h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    renameSync(f, f + '.1');
    writeSync(fd, 'a3-late\n'); // the writer has not reopened yet
    writeFileSync(f, 'b1\n');
    await waitFor(
      'the rotation noticed (the new file read)',
      () => h.texts().includes('b1'),
      5000,
      () => h.texts(),
    );
    writeSync(fd, 'a4-later\n');
    closeSync(fd);
    appendFileSync(f, 'b2\n');
    await waitFor('6 lines', () => h.lines.length === 6);
    assert.deepEqual(
      h.lines.filter((l) => l.path.endsWith('.1') || l.text.startsWith('a')).map((l) => l.text),
      ['a1', 'a2', 'a3-late', 'a4-later'],
    );
    assert.deepEqual(
      h.lines.filter((l) => l.text.startsWith('b')).map((l) => l.text),
      ['b1', 'b2'],
    );
    assert.equal(h.tailer.stats().rotations, 1);
    await waitFor('old file let go', () => h.tailer.openFiles().length === 1, 3000);
    assert.deepEqual(h.errors, []);
  });

  it('copytruncate: notices the shrink, reports possible loss, reads the new content from 0', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'x1\nx2\nx3\n');
    const h = await start(dir, { include: [f] });
    await waitFor('3 lines', () => h.lines.length === 3);
    copyFileSync(f, f + '.1');
    truncateSync(f, 0);
    await waitFor(
      'the shrink noticed',
      () => h.tailer.stats().truncations === 1,
      5000,
      () => h.tailer.stats(),
    );
    appendFileSync(f, 'y1\n');
    await waitFor('4 lines', () => h.lines.length === 4);
    assert.deepEqual(h.lines[3], { path: f, text: 'y1', start: 0, end: 3, line: 1 });
    assert.equal(h.tailer.stats().truncations, 1);
    assert.equal(h.errors.length, 1);
    assert.equal(h.errors[0].code, 'AF_ERR_INPUT');
    assert.equal(h.errors[0].where, f);
    assert.match(h.errors[0].message, /shrank.*may be lost/);
  });

  it('a truncate-and-rewrite that grows past the offset before we look is caught by the head fingerprint', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'line-0001\n');
    const h = await start(dir, { include: [f], pollMs: 200, watch: false });
    await waitFor('1 line', () => h.lines.length === 1);
    writeFileSync(f, 'other-001\nother-002\n'); // truncate + write in one go
    await waitFor('3 lines', () => h.lines.length === 3);
    assert.deepEqual(h.texts(), ['line-0001', 'other-001', 'other-002']);
    assert.equal(h.tailer.stats().truncations, 1);
    assert.match(h.errors[0].message, /rewritten/);
  });

  it('restarts from the committed checkpoint: committed lines are not read again, uncommitted ones are', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'l1\nl2\nl3\n');
    let h = await start(dir, { include: [f] });
    await waitFor('3 lines', () => h.lines.length === 3);
    await stopTailer(h);
    const cp = JSON.parse(readFileSync(join(dir, 'state', 'cp.json'), 'utf8'));
    assert.equal(cp.version, 1);
    assert.equal(cp.checkpoints.length, 1);
    assert.equal(cp.checkpoints[0].offset, 9);
    assert.equal(cp.checkpoints[0].path, f);
    assert.equal(cp.checkpoints[0].ino, statSync(f).ino);
    assert.equal(cp.checkpoints[0].line, 3, 'lines before the offset, so messages can name lines after a restart');

    appendFileSync(f, 'l4\nl5\n');
    h = await start(dir, { include: [f] }, false); // reads but never commits
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(h.texts(), ['l4', 'l5']);
    assert.deepEqual(
      h.lines.map((l) => l.line),
      [4, 5],
    );
    await stopTailer(h);
    assert.equal(JSON.parse(readFileSync(join(dir, 'state', 'cp.json'), 'utf8')).checkpoints[0].offset, 9);

    h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(h.texts(), ['l4', 'l5'], 'the uncommitted lines come again');
  });

  it('ignores a checkpoint whose inode now holds a different file (head fingerprint), reporting it', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'new content 1\nnew content 2\n');
    const st = statSync(f);
    const store = new CheckpointStore(join(dir, 'state', 'cp.json'));
    store.set(f, { dev: st.dev, ino: st.ino, headLen: 14, head: 'aa'.repeat(20) }, 14);
    store.flush();
    const h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(h.texts(), ['new content 1', 'new content 2']);
    assert.match(h.errors[0].message, /same inode, different first bytes/);
  });

  it('after a restart, finishes a checkpointed file that was rotated to a sibling name meanwhile', async () => {
    const f = join(dir, 'snoopy.log');
    writeFileSync(f, 'r1\nr2\n');
    let h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    await stopTailer(h);
    appendFileSync(f, 'r3\n'); // written while auditflow was down
    renameSync(f, f + '.1'); // then rotated
    writeFileSync(f, 's1\n');
    h = await start(dir, { include: [f] });
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(h.texts().sort(), ['r3', 's1']);
    assert.equal(h.tailer.stats().recovered_rotated, 1);
  });

  it('a rotated file being finished when auditflow stopped is finished after the next restart too (its checkpoint names the rotated path)', async () => {
    const f = join(dir, 'snoopy.log');
    writeFileSync(f, 'r1\n');
    let h = await start(dir, { include: [f] });
    await waitFor('1 line', () => h.lines.length === 1);
    await stopTailer(h);
    appendFileSync(f, 'r2\n');
    renameSync(f, f + '.1');
    writeFileSync(f, 's1\n');
    h = await start(dir, { include: [f] }, false); // reads but never commits: as if killed before the acks
    await waitFor('2 lines', () => h.lines.length === 2);
    await stopTailer(h);
    assert.ok(JSON.parse(readFileSync(join(dir, 'state', 'cp.json'), 'utf8')).checkpoints.some((c: { path: string }) => c.path === f + '.1'));
    h = await start(dir, { include: [f] });
    await waitFor(
      '2 lines',
      () => h.lines.length === 2,
      5000,
      () => h.texts(),
    );
    assert.deepEqual(h.texts().sort(), ['r2', 's1']);
    assert.equal(h.tailer.stats().recovered_rotated, 1);
  });

  // What a SIGKILL soon after a copytruncate leaves on disk: the checkpoint still has the file's
  // old head and offset, and while auditflow was down the file was rotated away. The rotated file
  // holds everything written since the truncation; only the old bytes past the checkpoint are gone.
  for (const [what, rewritten] of [
    ['shorter than the checkpoint', 'n1\nn2\n'],
    ['grown past the checkpoint', 'n1\nn2\nn3-longer-than-the-old-content\n'],
  ] as const) {
    it(`after a restart, reads a rotated sibling truncated while auditflow was down (${what}) from 0, reporting the loss`, async () => {
      const f = join(dir, 'snoopy.log');
      const fd = openSync(f, 'a');
      writeSync(fd, 'old1\nold2\n');
      let h = await start(dir, { include: [f] });
      await waitFor('2 lines', () => h.lines.length === 2);
      await stopTailer(h);
      writeSync(fd, 'old3-never-read\n');
      truncateSync(f, 0); // copytruncate's truncate (O_APPEND writer goes on at 0)
      writeSync(fd, rewritten);
      renameSync(f, f + '.1'); // then rename rotation
      writeSync(fd, 'late\n');
      closeSync(fd);
      writeFileSync(f, 's1\n');
      h = await start(dir, { include: [f] });
      const want = [...rewritten.split('\n').filter(Boolean), 'late', 's1'];
      await waitFor(
        `${want.length} lines`,
        () => h.lines.length >= want.length,
        5000,
        () => h.texts(),
      );
      assert.deepEqual(h.texts().sort(), want.sort());
      assert.equal(h.lines.find((l) => l.text === 'n1')!.path, f + '.1');
      assert.equal(h.errors.length, 1);
      assert.equal(h.errors[0].where, f + '.1');
      assert.match(h.errors[0].message, /truncated or rewritten while auditflow was not running.*bytes from 10 of its earlier content may be lost/);
      assert.equal(h.tailer.stats().truncations, 1);
      assert.equal(h.tailer.stats().recovered_rotated, 1);
    });
  }

  it('discovers files matching a glob in directories created later (/home/*/.bash_history style)', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'alice'), { recursive: true });
    writeFileSync(join(home, 'alice', '.bash_history'), 'ls\n');
    writeFileSync(join(home, 'alice', '.profile'), 'not me\n');
    const h = await start(dir, { include: [join(home, '*', '.bash_history')] });
    await waitFor('1 line', () => h.lines.length === 1);
    mkdirSync(join(home, 'bob'));
    writeFileSync(join(home, 'bob', '.bash_history'), 'id\n');
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.deepEqual(
      h.lines.map((l) => [l.path, l.text]),
      [
        [join(home, 'alice', '.bash_history'), 'ls'],
        [join(home, 'bob', '.bash_history'), 'id'],
      ],
    );
  });

  it('many files appended to at once: every line once, in order per file, and a restart resumes each', async () => {
    const files = Array.from({ length: 20 }, (_, i) => join(dir, `f${i}.log`));
    for (const f of files) writeFileSync(f, '');
    let h = await start(dir, { include: [join(dir, '*.log')] });
    for (let n = 0; n < 50; n++) for (const f of files) appendFileSync(f, `${n}\n`);
    await waitFor('1000 lines', () => h.lines.length === 1000);
    for (const f of files)
      assert.deepEqual(
        h.lines.filter((l) => l.path === f).map((l) => l.text),
        Array.from({ length: 50 }, (_, n) => String(n)),
      );
    await stopTailer(h);
    for (const f of files) appendFileSync(f, '50\nend\n');
    h = await start(dir, { include: [join(dir, '*.log')] });
    // a file is read in order: once its 'end' is in, anything read again from it came before
    await waitFor(
      'every file read to its end',
      () => h.texts().filter((t) => t === 'end').length === 20,
      5000,
      () => h.lines.length,
    );
    assert.deepEqual(
      h.texts().filter((t) => t !== 'end'),
      Array(20).fill('50'),
    );
    assert.deepEqual(
      h.lines.filter((l) => l.text === '50').map((l) => l.line),
      Array(20).fill(51),
      'line numbers carried by the checkpoints',
    );
  });

  it('leaves files matching exclude alone (rotated and compressed siblings of a glob)', async () => {
    writeFileSync(join(dir, 'a.log'), 'a\n');
    writeFileSync(join(dir, 'a.log.1'), 'old\n');
    writeFileSync(join(dir, 'a.log.2.gz'), 'gz\n');
    const h = await start(dir, { include: [join(dir, 'a.log*')], exclude: [join(dir, '*.gz')] });
    await waitFor('2 lines', () => h.lines.length === 2);
    writeFileSync(join(dir, 'a.log.3'), 'later\n');
    // the rescan that finds a.log.3 sees the .gz again: exclude holds there too
    await waitFor(
      'the later sibling read',
      () => h.texts().includes('later'),
      5000,
      () => h.texts(),
    );
    assert.deepEqual(h.texts().sort(), ['a', 'later', 'old']);
  });

  it('keeps tailing when checkpoints cannot be written, reporting it once', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'c1\n');
    writeFileSync(join(dir, 'not-a-dir'), '');
    const h = await start(dir, { include: [f], checkpointPath: join(dir, 'not-a-dir', 'cp.json') });
    await waitFor('1 line', () => h.lines.length === 1);
    appendFileSync(f, 'c2\n');
    await waitFor('2 lines', () => h.lines.length === 2);
    await sleep(150); // time is the point: several failed checkpoint intervals, still one report
    await stopTailer(h);
    assert.equal(h.errors.length, 1);
    assert.match(h.errors[0].message, /checkpoint write failed/);
  });

  it('drains a deleted file, lets it go, and drops its checkpoint', async () => {
    const f = join(dir, 'a.log');
    const fd = openSync(f, 'a');
    writeSync(fd, 'd1\n');
    const h = await start(dir, { include: [f] });
    await waitFor('1 line', () => h.lines.length === 1);
    unlinkSync(f);
    writeSync(fd, 'd2\n');
    closeSync(fd);
    await waitFor('2 lines', () => h.lines.length === 2);
    await waitFor('file let go', () => h.tailer.openFiles().length === 0, 3000);
    await stopTailer(h);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'state', 'cp.json'), 'utf8')).checkpoints, []);
  });

  it('options given as undefined keep their defaults (an idle tailer sleeps, long lines are still cut at 1 MiB)', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'z'.repeat(1_500_000) + '\nafter\n');
    const h = await start(dir, {
      include: [f],
      pollMs: undefined,
      scanMs: undefined,
      checkpointMs: undefined,
      rotateWaitMs: undefined,
      maxLineBytes: undefined,
      safetyPollMs: undefined,
    });
    await waitFor('2 lines', () => h.lines.length === 2);
    assert.equal(h.lines[0].text.length, 1 << 20);
    assert.equal(h.lines[0].truncated, true);
    const before = h.tailer.stats().wakeups;
    await sleep(1000); // time is the point: what an idle second costs
    // the old bug: pollMs undefined over the default made setTimeout(undefined), a ~1 ms loop
    assert.ok(h.tailer.stats().wakeups - before <= 6, `idle for 1 s: ${h.tailer.stats().wakeups - before} wakeups`);
  });

  it('an idle watched file is read as soon as it is written, with no polling in between', async () => {
    // the log apart from the state dir, as in production: checkpoint writes are no notifications
    mkdirSync(join(dir, 'logs'));
    const f = join(dir, 'logs', 'a.log');
    writeFileSync(f, 'first\n');
    const h = await start(dir, { include: [f], pollMs: 60_000, safetyPollMs: 60_000, scanMs: 60_000 });
    await waitFor('1 line', () => h.lines.length === 1);
    // the Tailer has no public "watching and parked" signal: its own flags (set on chokidar's
    // 'ready', and while the loop awaits its sleep) are what the next 500 ms rely on
    const parked = h.tailer as unknown as { watching: boolean; wakeResolve?: () => void };
    await waitFor('the watcher ready and the loop asleep', () => parked.watching && parked.wakeResolve !== undefined);
    const before = h.tailer.stats().wakeups;
    await sleep(500); // time is the point: an idle watched file costs no wakeups
    assert.equal(h.tailer.stats().wakeups, before, 'no wakeup while nothing happens');
    appendFileSync(f, 'second\n');
    await waitFor('the write read (only a notification can wake the loop before 60 s)', () => h.lines.length === 2);
    assert.deepEqual(h.texts(), ['first', 'second']);
  });

  it('a busy directory: writes to other files in it wake nothing; a write to the tailed file, and a rotation, are seen at once', async () => {
    mkdirSync(join(dir, 'logs'));
    const f = join(dir, 'logs', 'audit.log');
    const other = join(dir, 'logs', 'events.jsonl');
    writeFileSync(f, 'first\n');
    const h = await start(dir, { include: [f], pollMs: 60_000, safetyPollMs: 60_000, scanMs: 60_000, rotateWaitMs: 60_000 });
    await waitFor('1 line', () => h.lines.length === 1);
    const parked = h.tailer as unknown as { watching: boolean; wakeResolve?: () => void };
    await waitFor('the watcher ready and the loop asleep', () => parked.watching && parked.wakeResolve !== undefined);
    const before = h.tailer.stats().wakeups;
    for (let i = 0; i < 50; i++) {
      appendFileSync(other, `{"n":${i}}\n`);
      writeFileSync(join(dir, 'logs', `tmp-${i % 3}`), 'x');
      renameSync(join(dir, 'logs', `tmp-${i % 3}`), join(dir, 'logs', `done-${i % 3}`));
    }
    await sleep(200); // time is the point: events about other files must not wake the loop
    assert.equal(h.tailer.stats().wakeups, before, 'no wakeup for other files');
    appendFileSync(f, 'second\n');
    await waitFor('the write read (only a notification can wake the loop before 60 s)', () => h.lines.length === 2);
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, 'late\n');
    writeFileSync(f, 'new\n');
    await waitFor('the late line and the new file read', () => h.lines.length === 4);
    assert.deepEqual(h.texts().slice(0, 2), ['first', 'second']);
    assert.deepEqual(new Set(h.texts().slice(2)), new Set(['late', 'new']));
  });

  it('a tailed path whose directory appears later is read once it does, and watched from then on', async () => {
    const f = join(dir, 'later', 'audit.log');
    const h = await start(dir, { include: [f], pollMs: 20, safetyPollMs: 60_000, scanMs: 50 });
    const w = h.tailer as unknown as { watching: boolean };
    assert.equal(w.watching, false, 'a missing directory cannot be watched: polled');
    mkdirSync(join(dir, 'later'));
    writeFileSync(f, 'one\n');
    await waitFor('the file found', () => h.lines.length === 1);
    await waitFor('the directory watched', () => w.watching);
    appendFileSync(f, 'two\n');
    await waitFor('the write read', () => h.lines.length === 2);
    assert.deepEqual(h.texts(), ['one', 'two']);
  });

  it('per-file fairness: a flood and a giant line in one file do not hold back another file', async () => {
    const flood = join(dir, 'flood.log');
    const quiet = join(dir, 'quiet.log');
    writeFileSync(flood, 'G'.repeat(4 << 20) + '\n' + 'flood line\n'.repeat(50_000));
    writeFileSync(quiet, 'quiet line\n');
    const h = await start(dir, { include: [join(dir, '*.log')] });
    await waitFor('every line', () => h.lines.length === 50_002, 20_000);
    const quietAt = h.lines.findIndex((l) => l.path === quiet);
    assert.ok(quietAt < 200, `the quiet file's line came at index ${quietAt}, not after the flood`);
    assert.equal(h.tailer.stats().long_lines, 1);
  });

  it('a flood goes out in small chunks, several per round of the loop (one fstat and one pause for I/O per round)', async () => {
    const f = join(dir, 'flood.log');
    writeFileSync(f, '');
    const line = (i: number) => `${String(i).padStart(6, '0')} ${'x'.repeat(56)}\n`; // 64 bytes
    // reads of 4 KiB (64 lines) cut chunks of at least 16 lines: one read each, four reads a round
    const h = await start(dir, { include: [f], readBytes: 4096, maxChunkLines: 16, watch: false, pollMs: 50 });
    const sizes: number[] = [];
    const o = (h.tailer as unknown as { o: TailOptions }).o;
    const onChunk = o.onChunk;
    o.onChunk = (c) => {
      if (c.lines.length) sizes.push(c.lines.length);
      return onChunk(c);
    };
    const before = h.tailer.stats().wakeups;
    writeFileSync(f, Array.from({ length: 1024 }, (_, i) => line(i)).join(''));
    await waitFor('every line', () => h.lines.length === 1024);
    const rounds = h.tailer.stats().wakeups - before;
    assert.deepEqual(
      h.texts(),
      Array.from({ length: 1024 }, (_, i) => line(i).slice(0, -1)),
    );
    assert.deepEqual(sizes, Array(16).fill(64));
    // one chunk a round would be 16 rounds
    assert.ok(rounds <= 8, `${rounds} rounds for 16 chunks`);
  });

  it('closes a rotated file once drained and rotate_wait_ms passed (its descriptor is gone from /proc/self/fd)', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'a1\n');
    const h = await start(dir, { include: [f], rotateWaitMs: 200 });
    await waitFor('1 line', () => h.lines.length === 1);
    assert.equal(fdsOpenOn(f), 1);
    renameSync(f, f + '.1');
    writeFileSync(f, 'b1\n');
    await waitFor('the new file read', () => h.lines.length === 2);
    assert.equal(fdsOpenOn(f + '.1'), 1, 'kept open for late writes');
    await waitFor('the rotated file closed', () => fdsOpenOn(f + '.1') === 0, 3000);
    assert.equal(fdsOpenOn(f), 1);
    assert.deepEqual(
      h.tailer.openFiles().map((o) => o.path),
      [f],
    );
  });

  it('writes checkpoints while running (no stop needed), in a 0700 directory as 0600 files', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'k1\nk2\n');
    await start(dir, { include: [f], checkpointMs: 100 });
    const cp = join(dir, 'state', 'cp.json');
    await waitFor('the checkpoint at the end of the file', () => existsSync(cp) && JSON.parse(readFileSync(cp, 'utf8')).checkpoints[0]?.offset === 6);
    appendFileSync(f, 'k3\n');
    await waitFor('the checkpoint moved on', () => JSON.parse(readFileSync(cp, 'utf8')).checkpoints[0].offset === 9);
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    assert.equal(statSync(cp).mode & 0o777, 0o600);
  });
});

describe('a file input built from {type, path} alone (schema defaults)', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-tail-defaults-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads, checkpoints within checkpoint_interval_ms (1 s) while running, and idles', async () => {
    const f = join(dir, 'snoopy.log');
    writeFileSync(f, '[uid:0 sid:1 tty:(none) cwd:/]: ls\n');
    const input = createSnoopyInput({ type: 'snoopy', path: f }, { stateDir: join(dir, 'state'), hostName: 'h', log: silentLogger });
    const records: NormalizedRecord[] = [];
    await input.start(collectInto(records));
    try {
      await waitFor('1 record', () => records.length === 1);
      const cpDir = join(dir, 'state', 'checkpoints');
      const offset = () => {
        const n = existsSync(cpDir) ? readdirSync(cpDir).find((x) => x.endsWith('.json')) : undefined;
        return n ? JSON.parse(readFileSync(join(cpDir, n), 'utf8')).checkpoints[0]?.offset : undefined;
      };
      await waitFor('the checkpoint written', () => offset() === statSync(f).size, 3000);
      const tailer = (input as ReturnType<typeof createSnoopyInput> & { tailer(): Tailer }).tailer();
      const before = tailer.stats().wakeups;
      await sleep(1000); // time is the point: what an idle second costs
      assert.ok(tailer.stats().wakeups - before <= 6, `idle for 1 s: ${tailer.stats().wakeups - before} wakeups`);
    } finally {
      await input.stop();
    }
  });
});

describe('checkpoint store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-cp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const id = { dev: 1, ino: 2, headLen: 3, head: 'abc' };

  it('writes only when something changed', () => {
    const s = new CheckpointStore(join(dir, 'cp.json'));
    s.set('/x', id, 10);
    assert.equal(s.flush(), true);
    s.set('/x', id, 10);
    s.touch(id);
    assert.equal(s.flush(), false);
    s.set('/x', id, 11);
    assert.equal(s.flush(), true);
    assert.equal(s.writes, 2);
    assert.equal(existsSync(join(dir, 'cp.json.tmp')), false);
  });

  it('recovers from a complete temp file left by a crash before the rename, and ignores a torn one', () => {
    const p = join(dir, 'cp.json');
    const s = new CheckpointStore(p);
    s.set('/x', id, 10);
    s.flush();
    writeFileSync(p + '.tmp', JSON.stringify({ version: 1, checkpoints: [{ path: '/x', ...id, offset: 20, seen: 1 }] }));
    const a = new CheckpointStore(p);
    assert.deepEqual(a.load(), { source: 'tmp', entries: 1 });
    assert.equal(a.get(id)!.offset, 20);
    assert.equal(existsSync(p + '.tmp'), false, 'the temp state became the stable one');
    writeFileSync(p + '.tmp', '{"version":1,"checkpoints":[{"pa');
    const b = new CheckpointStore(p);
    assert.deepEqual(b.load(), { source: 'stable', entries: 1 });
    assert.equal(b.get(id)!.offset, 20);
  });

  it('expires entries not seen for the TTL', () => {
    const s = new CheckpointStore(join(dir, 'cp.json'));
    s.set('/old', { ...id, ino: 5 }, 1, undefined, 1000);
    s.set('/new', id, 1, undefined, 5000);
    assert.equal(s.expire(2000, 5500), 1);
    assert.deepEqual(
      [...s.all()].map((c) => c.path),
      ['/new'],
    );
  });
});
