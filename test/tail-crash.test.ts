// Process-level: the snoopy input in its own process (test/fixtures/tail/harness.ts: input →
// Pipeline → a file output), killed with SIGKILL, its file rotated and truncated under it, its
// output taken down. What must hold: every line arrives at least once, except lines a truncation
// the daemon reported may have taken; duplicates bounded; a down output never moves the checkpoint.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, waitFor } from './support/wait.js';

const harnessPath = new URL('./fixtures/tail/harness.ts', import.meta.url).pathname;

class Daemon {
  proc: ChildProcess | undefined;
  stderr = '';
  starts = 0;
  constructor(private readonly cfg: Record<string, unknown>) {}
  async start(): Promise<void> {
    this.starts++;
    const p = spawn(process.execPath, ['--import', 'tsx', harnessPath, JSON.stringify(this.cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      p.on('exit', (code) => reject(new Error(`harness exited (${code}) before ready: ${this.stderr}`)));
    });
  }
  kill(): Promise<void> {
    const p = this.proc!;
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
  async term(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 5000).unref();
    });
  }
}

/** Numbers carried by the output's records ("... ]: line 42" → 42). */
function received(out: string): number[] {
  if (!existsSync(out)) return [];
  const nums: number[] = [];
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line) continue;
    const cmd = JSON.parse(line).process.command_line as string;
    nums.push(Number(cmd.slice(5)));
  }
  return nums;
}

function ranges(xs: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const x of xs) {
    const r = out[out.length - 1];
    if (r && r[1] === x - 1) r[1] = x;
    else out.push([x, x]);
  }
  return out;
}

const entry = (n: number) => `[uid:0 sid:1 tty:(none) cwd:/w]: line ${n}\n`;

/** The output's records as line numbers, read incrementally (the output grows to megabytes). */
class Received {
  private offset = 0;
  private readonly count = new Map<number, number>();
  total = 0;
  constructor(private readonly path: string) {}
  private update(): void {
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(fstatSync(fd).size - this.offset);
      buf = buf.subarray(0, readSync(fd, buf, 0, buf.length, this.offset));
    } finally {
      closeSync(fd);
    }
    const end = buf.lastIndexOf(10) + 1; // a line still being written, or torn by a SIGKILL (the next start cuts it), is not read yet
    if (end === 0) return;
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      const k = Number((JSON.parse(line).process.command_line as string).slice(5));
      this.count.set(k, (this.count.get(k) ?? 0) + 1);
      this.total++;
    }
    this.offset += end;
  }
  has(k: number): boolean {
    this.update();
    return this.count.has(k);
  }
  counts(): Map<number, number> {
    this.update();
    return new Map(this.count);
  }
  describe(last: number): { missing: [number, number][] } {
    this.update();
    return { missing: ranges(Array.from({ length: last }, (_, i) => i + 1).filter((i) => !this.count.has(i))).slice(0, 20) };
  }
}

/** The offset in the input's (only) checkpoint file, or undefined before it exists. */
function checkpointOffset(stateDir: string): number | undefined {
  const dir = join(stateDir, 'checkpoints');
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length === 0) return undefined;
  assert.equal(names.length, 1, `one checkpoint file in ${dir}`);
  const cp = JSON.parse(readFileSync(join(dir, names[0]), 'utf8'));
  return cp.checkpoints.length ? Math.max(...cp.checkpoints.map((c: { offset: number }) => c.offset)) : 0;
}

/** The checkpointed offset of the file with inode `ino`, or undefined when it has none yet. */
function checkpointOf(stateDir: string, ino: number): number | undefined {
  const dir = join(stateDir, 'checkpoints');
  const name = existsSync(dir) ? readdirSync(dir).find((x) => x.endsWith('.json')) : undefined;
  if (!name) return undefined;
  const cp = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { checkpoints: { ino: number; offset: number }[] };
  return cp.checkpoints.find((c) => c.ino === ino)?.offset;
}

describe('file inputs under crashes, rotation and a down output (process-level)', function () {
  this.timeout(120000);
  let dir: string;
  let daemon: Daemon | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'af-crash-'));
  });
  afterEach(async () => {
    await daemon?.term();
    daemon = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('rename rotation, copytruncate and SIGKILL restarts back to back: every line at least once, losses only inside reported truncations, duplicates bounded', async () => {
    const log = join(dir, 'snoopy.log');
    const out = join(dir, 'out.jsonl');
    const stateDir = join(dir, 'state');
    daemon = new Daemon({ type: 'snoopy', path: log, stateDir, out, checkpoint_interval_ms: 200, poll_interval_ms: 50, rotate_wait_ms: 1000 });
    const got = new Received(out);

    // The writer: 10 lines every 5 ms, on its own timer while the test rotates/kills.
    let fd = openSync(log, 'a');
    let n = 0;
    let incarnationFirst = 1;
    const truncWindows: [number, number][] = [];
    const write = (k: number) => {
      let s = '';
      for (let i = 0; i < k; i++) s += entry(++n);
      writeSync(fd, s);
    };
    const timer = setInterval(() => write(10), 5);
    let rotations = 0,
      copytruncates = 0,
      kills = 0;
    const rotate = () => {
      renameSync(log, `${log}.r${++rotations}`);
      write(3); // late writes to the renamed file
      closeSync(fd);
      fd = openSync(log, 'a');
      incarnationFirst = n + 1;
    };
    const copytruncate = () => {
      copyFileSync(log, `${log}.ct${++copytruncates}`);
      write(2); // lines landing between copy and truncate
      truncateSync(log, 0);
      truncWindows.push([incarnationFirst, n]);
      incarnationFirst = n + 1;
    };
    const killAndRestart = async (whileDown?: () => void) => {
      await daemon!.kill();
      kills++;
      whileDown?.();
      const upAgainAt = n + 200; // the writer goes on while the daemon is down
      await waitFor(`line ${upAgainAt} written while down`, () => n >= upAgainAt);
      await daemon!.start();
    };
    const seen = () => ({ n, truncWindows, ...got.describe(n), stderr: process.env.AF_DEBUG ? daemon!.stderr : undefined });
    /** The daemon has delivered a line written after the last disruption (so it has read past it). */
    const delivered = async () => {
      const target = n + 1;
      await waitFor(`line ${target} written`, () => n >= target);
      await waitFor(`line ${target} delivered`, () => got.has(target), 20_000, seen);
      return target;
    };
    /** ... and checkpointed: the current file's checkpoint has passed that line. */
    const settled = async () => {
      const target = await delivered();
      const { ino, size } = fstatSync(fd); // the writer's file ends past line `target` now
      await waitFor(
        `checkpoint of the current file past line ${target}`,
        () => {
          const off = checkpointOf(stateDir, ino);
          // a checkpoint past the file's current size is the stale one from before a truncation
          return off !== undefined && off >= size && off <= fstatSync(fd).size;
        },
        20_000,
        () => ({ ino, size, checkpoint: checkpointOf(stateDir, ino), ...seen() }),
      );
    };

    try {
      // Each disruption waits only for what it is about; no sleep orders them.
      await daemon.start();
      await settled();
      rotate();
      await settled();
      await killAndRestart();
      // killed right after a copytruncate (its checkpoint still the old file's), rotated while down:
      // the lines written since the truncation are only in the rotated file
      await settled();
      copytruncate();
      write(5);
      await killAndRestart(rotate);
      // the same once the truncation was read and delivered (its checkpoint written or not)
      await settled();
      copytruncate();
      await delivered();
      await killAndRestart(rotate);
      await settled();
      await killAndRestart();
      await settled();
      rotate();
      // killed right after a copytruncate, not rotated: same inode, different first bytes
      await settled();
      copytruncate();
      await killAndRestart();
      await settled();
    } finally {
      clearInterval(timer);
    }
    write(10);
    closeSync(fd);
    const last = n;
    const inWindow = (i: number) => truncWindows.some(([a, b]) => i >= a && i <= b);
    // done once every line is in, except those a copytruncate may have taken (the assertions below say which)
    await waitFor(
      `lines 1-${last} delivered`,
      () => {
        for (let i = 1; i <= last; i++) if (!got.has(i) && !inWindow(i)) return false;
        return true;
      },
      30_000,
      seen,
    );
    await daemon.term(); // stopped: nothing more can arrive
    const counts = got.counts();
    const missing: number[] = [];
    for (let i = 1; i <= last; i++) if (!counts.has(i)) missing.push(i);
    const outsideWindows = missing.filter((m) => !inWindow(m));
    const duplicates = got.total - counts.size;
    const truncationReports = (daemon.stderr.match(/restarting at 0/g) ?? []).length;
    console.log(
      `      ${last} lines written, ${rotations} rotations, ${copytruncates} copytruncates, ${kills} SIGKILLs: ` +
        `${missing.length} missing (all inside truncation windows: ${outsideWindows.length === 0}), ${duplicates} duplicates, ${truncationReports} truncations reported`,
    );
    if (process.env.AF_DEBUG) console.log(JSON.stringify({ truncWindows, missingRanges: ranges(missing) }), daemon.stderr);
    assert.deepEqual(outsideWindows, [], 'no line lost outside a truncation');
    if (missing.length) assert.ok(truncationReports >= 1, 'lines were lost, so a truncation was reported');
    assert.ok(truncationReports >= copytruncates, 'every copytruncate was noticed and reported');
    // at-least-once: a restart re-reads at most what was read since the last checkpoint write
    // (200 ms interval) plus what was in flight, or a truncated file whole; the writer does 2000 lines/s.
    assert.ok(duplicates <= kills * 2000, `duplicates ${duplicates} bounded by ${kills} restarts × 2000`);
    assert.ok(
      [...counts.keys()].every((k) => k >= 1 && k <= last),
      'nothing made up',
    );
  });

  /** A snoopy log, the daemon stand-in tailing it into out.jsonl, and a writer of numbered entries. */
  function snoopyDaemon() {
    const log = join(dir, 'snoopy.log');
    const out = join(dir, 'out.jsonl');
    const stateDir = join(dir, 'state');
    const d = new Daemon({ type: 'snoopy', path: log, stateDir, out, checkpoint_interval_ms: 50, poll_interval_ms: 20 });
    let n = 0;
    const append = (k: number) => {
      let s = '';
      for (let i = 0; i < k; i++) s += entry(++n);
      writeFileSync(log, s, { flag: 'a' });
    };
    return { log, out, stateDir, append, d };
  }

  it('a blocked output: the checkpoint does not move (not even across a SIGKILL); once it returns everything arrives once', async () => {
    const { log, out, stateDir, append, d } = snoopyDaemon();
    daemon = d;
    append(50);
    await daemon.start();
    await waitFor('50 delivered', () => received(out).length === 50, 20_000);
    const sizeBefore = readFileSync(log).length;
    await waitFor('checkpoint at the end of the 50 lines', () => checkpointOffset(stateDir) === sizeBefore, 5000);

    writeFileSync(out + '.down', '');
    // time is the point: appends spread over a down period of many read (20 ms) and checkpoint
    // (50 ms) intervals, none of which may move the checkpoint
    for (let i = 0; i < 5; i++) {
      append(100);
      await sleep(100);
    }
    await sleep(500);
    assert.equal(checkpointOffset(stateDir), sizeBefore, 'checkpoint held while the output is down');
    assert.equal(received(out).length, 50);
    await daemon.kill();
    await daemon.start();
    await sleep(500); // time is the point, as above: a restarted daemon, still down
    assert.equal(checkpointOffset(stateDir), sizeBefore, 'still held after a SIGKILL and restart');

    unlinkSync(out + '.down');
    await waitFor('all 550 delivered', () => received(out).length >= 550, 20_000);
    await waitFor('checkpoint at the end', () => checkpointOffset(stateDir) === readFileSync(log).length, 5000);
    await daemon.term(); // stopped: nothing more can arrive
    assert.deepEqual(
      received(out),
      Array.from({ length: 550 }, (_, i) => i + 1),
    );
  });

  it('a failing output (rejecting writes): the checkpoint freezes at the failed lines; after a restart they arrive', async () => {
    const { log, out, stateDir, append, d } = snoopyDaemon();
    daemon = d;
    append(20);
    await daemon.start();
    await waitFor('20 delivered', () => received(out).length === 20, 20_000);
    const sizeBefore = readFileSync(log).length;
    await waitFor('checkpoint at 20 lines', () => checkpointOffset(stateDir) === sizeBefore, 5000);

    writeFileSync(out + '.fail', '');
    append(30);
    await waitFor('the failure logged', () => /output failed/.test(daemon!.stderr), 5000);
    unlinkSync(out + '.fail');
    append(30); // delivered fine, but after undelivered lines
    await waitFor('later lines delivered', () => received(out).includes(80), 5000);
    await waitFor('the checkpoint held', () => /checkpoint held/.test(daemon!.stderr), 5000);
    await daemon.term(); // a clean stop writes the checkpoint one last time
    assert.equal(checkpointOffset(stateDir), sizeBefore, 'checkpoint frozen before the undelivered lines');

    await daemon.start();
    await waitFor(
      'lines 21-50 delivered after the restart',
      () => {
        const r = new Set(received(out));
        for (let i = 1; i <= 80; i++) if (!r.has(i)) return false;
        return true;
      },
      20_000,
    );
    await waitFor('checkpoint at the end', () => checkpointOffset(stateDir) === readFileSync(log).length, 5000);
  });

  it('with the default checkpoint_interval_ms the checkpoint is written while running: a SIGKILL loses nothing and repeats nothing', async () => {
    const log = join(dir, 'snoopy.log');
    const out = join(dir, 'out.jsonl');
    const stateDir = join(dir, 'state');
    daemon = new Daemon({ type: 'snoopy', path: log, stateDir, out }); // no intervals: the schema's defaults
    let n = 0;
    const append = (k: number) => {
      let s = '';
      for (let i = 0; i < k; i++) s += entry(++n);
      writeFileSync(log, s, { flag: 'a' });
    };
    append(30);
    await daemon.start();
    await waitFor('30 delivered', () => received(out).length === 30, 20_000);
    await waitFor('the checkpoint at the end, without a stop', () => checkpointOffset(stateDir) === readFileSync(log).length, 5000);
    await daemon.kill();
    await daemon.start();
    append(1);
    await waitFor('the new line delivered', () => received(out).includes(31), 20_000);
    await daemon.term(); // stopped: nothing more can arrive
    assert.deepEqual(
      received(out),
      Array.from({ length: 31 }, (_, i) => i + 1),
      'nothing read twice after the SIGKILL',
    );
  });
});
