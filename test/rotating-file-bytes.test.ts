// The rotating writer encodes a batch's units straight into bytes: sizes are UTF-8 bytes, not
// characters, a unit that would pass max size opens the next file, and nothing is lost or split.
import { strict as assert } from 'node:assert';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { RotatingFile } from '../src/outputs/rotating-file.js';
import { tempDir } from './support/io.js';

/** A writer rotating at maxBytes (0: never), keeping `keep` old files, no fsync. */
const writer = (path: string, maxBytes: number, keep: number) =>
  new RotatingFile({ path, mode: 0o600, dirMode: 0o700, maxBytes, maxAgeMs: 0, keep, fsync: 'never', fsyncIntervalMs: 0, log: silentLogger });

describe('rotating writer bytes', () => {
  it('rotates on UTF-8 byte sizes with multi-byte units, keeping every unit whole and in order', async () => {
    const path = join(tempDir('af-rot-'), 'out.jsonl');
    const f = writer(path, 1000, 20);
    // 3-byte and 4-byte characters: 100 units of 59 bytes but 27 UTF-16 units each
    const units = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')} ${'€'.repeat(10)}${'😀'.repeat(6)}\n`);
    assert.equal(Buffer.byteLength(units[0]), 4 + 30 + 24 + 1);
    assert.equal(units[0].length, 4 + 10 + 12 + 1);
    await f.append(units.slice(0, 40));
    await f.append(units.slice(40));
    // one giant unit, larger than max size, goes whole into a file of its own
    const giant = `${'x'.repeat(5000)}\n`;
    await f.append([giant, units[0]]);
    await f.close(Date.now() + 5000);
    const files = [path, ...Array.from({ length: 20 }, (_, i) => `${path}.${i + 1}`)].filter((p) => {
      try {
        statSync(p);
        return true;
      } catch {
        return false;
      }
    });
    const text = files
      .reverse()
      .map((p) => readFileSync(p, 'utf8'))
      .join('');
    assert.equal(text, units.join('') + giant + units[0]);
    for (const p of files) {
      const size = statSync(p).size;
      const content = readFileSync(p, 'utf8');
      assert.ok(size <= 1000 || content === giant, `${p}: ${size} bytes`);
      assert.ok(content.endsWith('\n'));
    }
    // 16 units of 59 bytes fit in 1000: 100 units fill 7 files, then the giant's and the last
    assert.ok(files.length >= 7 + 2);
  });

  it('joins appends made while a write is queued into one write, each promise resolving once its units are in', async () => {
    const path = join(tempDir('af-rot-'), 'out.jsonl');
    const f = writer(path, 0, 5);
    await f.open();
    const units = Array.from({ length: 100 }, (_, i) => `{"n":${i}}`);
    const done: number[] = [];
    await Promise.all(units.map((u, i) => f.append([u], true).then(() => done.push(i))));
    assert.equal(f.stats().writes, 1);
    assert.deepEqual(done, [...units.keys()]);
    // awaited one by one, nothing is waiting to be joined: one write each
    for (const u of units) await f.append([u], true);
    await f.appendLines(Buffer.from('{"n":"a"}\n{"n":"b"}\n'));
    assert.equal(f.stats().writes, 102);
    await f.close();
    assert.equal(readFileSync(path, 'utf8'), `${units.join('\n')}\n${units.join('\n')}\n{"n":"a"}\n{"n":"b"}\n`);
  });

  it('one write of strings and ready-made lines mixed, rotating inside it, keeps every unit whole and in order', async () => {
    const path = join(tempDir('af-rot-'), 'out.jsonl');
    const f = writer(path, 4096, 50);
    await f.open();
    const want: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const units = [`s${i}-${'x'.repeat(i * 37)}`, `t${i}-€`];
      pending.push(f.append(units, true));
      want.push(...units);
      const lines = [`l${i}-${'y'.repeat(i * 53)}`, `m${i}-😀`];
      pending.push(f.appendLines(Buffer.from(`${lines.join('\n')}\n`)));
      want.push(...lines);
    }
    // larger than the scratch buffer: it grows in the middle of the group
    const big = 'z'.repeat(100_000);
    pending.push(f.append([big, 'after-big'], true));
    want.push(big, 'after-big');
    await Promise.all(pending);
    assert.equal(f.stats().rotations > 5, true, `${f.stats().rotations} rotations`);
    await f.close();
    const files = [...Array.from({ length: 50 }, (_, i) => `${path}.${50 - i}`), path].filter((p) => {
      try {
        statSync(p);
        return true;
      } catch {
        return false;
      }
    });
    const text = files.map((p) => readFileSync(p, 'utf8')).join('');
    assert.equal(text, `${want.join('\n')}\n`);
    for (const p of files) assert.ok(readFileSync(p, 'utf8').endsWith('\n'), p);
  });

  it('an append made after reopen() goes to the new file even when it comes before the reopen ran', async () => {
    const dir = tempDir('af-rot-');
    const path = join(dir, 'out.jsonl');
    const f = writer(path, 0, 5);
    await f.open();
    await f.append(['before'], true);
    renameSync(path, `${path}.moved`);
    const a = f.append(['old file'], true);
    const r = f.reopen();
    const b = f.append(['new file'], true);
    await Promise.all([a, r, b]);
    await f.close();
    assert.equal(readFileSync(`${path}.moved`, 'utf8'), 'before\nold file\n');
    assert.equal(readFileSync(path, 'utf8'), 'new file\n');
  });

  it('fsync interval: the datasync runs beside the writes after it, one at a time; a failed one is counted and the next interval syncs; close waits for one running', async () => {
    const path = join(tempDir('af-rot-'), 'out.jsonl');
    let t = 5000;
    const f = new RotatingFile({
      path,
      mode: 0o600,
      dirMode: 0o700,
      maxBytes: 0,
      maxAgeMs: 0,
      keep: 0,
      fsync: 'interval',
      fsyncIntervalMs: 1000,
      log: silentLogger,
      now: () => t,
    });
    // every datasync is one the test settles
    const probe = await open(path, 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const real = proto.datasync;
    const syncs: { resolve: () => void; reject: (e: Error) => void }[] = [];
    proto.datasync = () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject }));
    const inTime = <T>(p: Promise<T>, what: string) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} waited for the datasync`)), 2000))]);
    try {
      await f.open();
      await inTime(f.append(['a'], true), 'the write that starts a sync');
      assert.equal(syncs.length, 1);
      t = 5500;
      await inTime(f.append(['b'], true), 'a write within the interval');
      t = 7000;
      await inTime(f.append(['c'], true), 'a write while a sync runs');
      assert.equal(syncs.length, 1, 'one datasync at a time');
      syncs[0].reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual([f.stats().fsyncs, f.stats().fsync_errors], [0, 1]);
      t = 8500;
      await inTime(f.append(['d'], true), 'the write after a failed sync');
      assert.equal(syncs.length, 2, 'the next interval syncs again');
      syncs[1].resolve();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual([f.stats().fsyncs, f.stats().fsync_errors], [1, 1]);
      t = 10000;
      await inTime(f.append(['e'], true), 'the write that starts a sync');
      let closed = false;
      const closing = f.close().then(() => {
        closed = true;
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(closed, false, 'the file is not closed under a running datasync');
      syncs[2].resolve();
      await closing;
      assert.equal(syncs.length, 3, 'nothing written after the last sync started: close has nothing to sync');
      assert.equal(f.stats().fsyncs, 2);
      assert.equal(readFileSync(path, 'utf8'), 'a\nb\nc\nd\ne\n');
    } finally {
      proto.datasync = real;
    }
  });
});
