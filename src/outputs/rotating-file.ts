// The one writer behind every file-shaped output (file, auditlog): appends newline-terminated
// units (a JSON line, an audit event's records) in order, all I/O async. Rotation by size and/or
// age numbers old files like auditd and logrotate: path → path.1 → … → path.keep, the oldest
// deleted. Files get `mode` even when they existed before (auditd makes audit.log 0600).
//
// A unit is never split and the file never keeps a partial line: a write that fails (ENOSPC,
// EIO, EDQUOT...) is truncated back to where the batch started and retried with backoff until it
// succeeds or the writer is closed, so a full disk blocks (backpressure) instead of losing or
// mangling records. A torn last line left by a crash is cut off when the file is opened; the
// records it held were never acknowledged, so the input sends them again.
//
// fsync `batch`: a batch is acknowledged once it is on disk. `interval` (as auditd's
// INCREMENTAL_ASYNC): a datasync at most every interval, beside the writes that follow it. A
// write never waits for it: a datasync of a second's worth of a flood takes a few hundred ms,
// during which the pipeline filled up and paused its inputs, and the netlink reader's ring grew
// (bench/PROFILE.md, "Tenth round"). A failed one is counted and logged, and the next interval
// syncs again.

import { writeSync, writevSync } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditflowError } from '../errors.js';
import type { Logger } from '../log.js';

export type FsyncPolicy = 'batch' | 'interval' | 'never';

export interface RotatingFileOptions {
  path: string;
  /** permission bits of the file, applied on every open */
  mode: number;
  /** permission bits of directories created for it */
  dirMode: number;
  /** rotate before a unit that would take the file past this size; 0: never by size */
  maxBytes: number;
  /** rotate a file older than this; 0: never by age */
  maxAgeMs: number;
  /** rotated files kept (path.1 … path.keep); 0 deletes the full file */
  keep: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  log: Logger;
  /** clock for age-based rotation (tests) */
  now?: () => number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export interface RotatingFileStats {
  bytes: number;
  file_bytes: number;
  rotations: number;
  /** buffers handed to write(2) (appends made while one was in flight share the next) */
  writes: number;
  fsyncs: number;
  /** interval datasyncs that failed (counted, logged; the next interval tries again) */
  fsync_errors: number;
  write_errors: number;
  /** torn last lines cut off when opening a file (after a crash or a failed truncate) */
  torn_tails: number;
}

const TAIL_CHUNK = 65536;
const MAX_SPARE_BYTES = 16 << 20;
/** writes up to this size are made on the JS thread (see writeFrom) */
const SYNC_WRITE_MAX = 16 << 10;

/** A batch's units as UTF-8 bytes (pieces, in order), and where each unit ends in them. */
interface EncodedUnits {
  pieces: Buffer[];
  ends: number[];
}

/**
 * Appends waiting for the same write: their units (one after another, so they become one
 * write(2)), and each caller's promise with the index of its last unit. Strings are encoded
 * into a scratch buffer; bytes that are lines already (the lanes' answers) are kept as pieces
 * of their own, not copied.
 */
class Group {
  /** bytes before the scratch's uncut part */
  private cut: Buffer[] = [];
  private cutBytes = 0;
  /** where the scratch's bytes not yet in `cut` begin */
  private from = 0;
  private used = 0;
  readonly ends: number[] = [];
  readonly waiters: { last: number; resolve(): void; reject(err: Error): void }[] = [];

  constructor(public scratch: Buffer) {}

  /**
   * Encodes units straight into the scratch buffer (`text += unit` then Buffer.from cost ten
   * times as much: a rope flattened and scanned twice; bench/PROFILE.md). It grows only when
   * the next unit's worst case (3 bytes per UTF-16 unit) might not fit.
   */
  addUnits(units: readonly string[], newline: boolean): void {
    for (let i = 0; i < units.length; i++) {
      const unit = units[i];
      const most = unit.length * 3 + 1;
      if (this.used + most > this.scratch.length) this.grow(most);
      this.used += this.scratch.write(unit, this.used, 'utf8');
      if (newline) this.scratch[this.used++] = 0x0a;
      this.ends.push(this.cutBytes - this.from + this.used);
    }
  }

  /** Bytes that are whole newline-terminated units already; returns false if there are none. */
  addLines(bytes: Buffer): boolean {
    const last = bytes.lastIndexOf(0x0a);
    if (last < 0) return false;
    this.cutScratch();
    const base = this.cutBytes;
    for (let at = bytes.indexOf(0x0a); at >= 0 && at <= last; at = bytes.indexOf(0x0a, at + 1)) this.ends.push(base + at + 1);
    this.cut.push(bytes.subarray(0, last + 1));
    this.cutBytes += last + 1;
    return true;
  }

  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ last: this.ends.length - 1, resolve, reject }));
  }

  encoded(): EncodedUnits {
    this.cutScratch();
    return { pieces: this.cut, ends: this.ends };
  }

  private cutScratch(): void {
    if (this.used === this.from) return;
    this.cut.push(this.scratch.subarray(this.from, this.used));
    this.cutBytes += this.used - this.from;
    this.from = this.used;
  }

  /** A larger scratch; the old one's cut bytes stay where they are (pieces refer to them). */
  private grow(need: number): void {
    const uncut = this.used - this.from;
    const next = Buffer.allocUnsafeSlow(Math.max(uncut + need, this.scratch.length * 2));
    this.scratch.copy(next, 0, this.from, this.used);
    this.scratch = next;
    this.from = 0;
    this.used = uncut;
  }
}

/** The bytes from `start` to `end` of the pieces, as slices of them (nothing copied). */
function slicesOf(pieces: readonly Buffer[], start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < pieces.length && at < end; i++) {
    const p = pieces[i];
    const next = at + p.length;
    if (next > start) out.push(p.subarray(Math.max(0, start - at), Math.min(p.length, end - at)));
    at = next;
  }
  return out;
}

export class RotatingFile {
  private fh: FileHandle | undefined;
  private ino = 0;
  private size = 0;
  /** file size known to end on a whole unit; where a failed batch is truncated back to */
  private goodSize = -1;
  private openedAt = 0;
  private lastSync = 0;
  private dirty = false;
  /** the interval's datasync while it runs beside the writes; the file is not closed under it */
  private syncing: Promise<void> | undefined;
  private closing = false;
  private chain: Promise<void> = Promise.resolve();
  /** appends not yet being written: they go out together in the next write */
  private group: Group | undefined;
  /**
   * The buffer of the last group written, for the next one: two buffers take turns (one being
   * written, one being filled). A new one per group (~1 MiB under load) outlived young-generation
   * GCs while its write was in progress and was freed only by the next mark-compact: +10-15 MiB
   * peak RSS tailing 200,000 lines.
   */
  private spare: Buffer | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | null = null;
  private lastErrorLog = 0;
  private readonly now: () => number;
  private readonly counters = { bytes: 0, rotations: 0, writes: 0, fsyncs: 0, fsync_errors: 0, write_errors: 0, torn_tails: 0 };

  constructor(private readonly o: RotatingFileOptions) {
    this.now = o.now ?? Date.now;
  }

  get path(): string {
    return this.o.path;
  }

  /** Opens (creating directories); a failure here is a configuration problem and is thrown. */
  async open(): Promise<void> {
    try {
      await mkdir(dirname(this.o.path), { recursive: true, mode: this.o.dirMode });
    } catch (err) {
      throw this.error(`cannot create directory: ${(err as Error).message}`, err);
    }
    try {
      await this.openFile();
    } catch (err) {
      throw this.error(`cannot open for append: ${(err as Error).message}`, err);
    }
    if (this.o.fsync === 'interval') {
      // records written since the last sync reach the disk within the interval even when idle
      this.syncTimer = setInterval(() => this.syncBeside(), this.o.fsyncIntervalMs);
      this.syncTimer.unref();
    }
  }

  /**
   * Appends the units in order, rotating only between them; resolves once all are written (and
   * synced, per the policy). Failed writes are retried until they succeed or close() gives up.
   * `newline`: each unit is followed by a newline here (JSON.stringify's strings as they are:
   * `s + '\n'` makes a rope that is flattened, a second copy of the line, before encoding).
   * One write is in flight at a time, and everything appended meanwhile is joined into the
   * next one: a busy pipeline's small batches cost one write(2) (and one fsync check) per turn
   * of the disk, not one each. The units are encoded now, not when their turn comes: a waiting
   * batch is bytes outside the JS heap instead of strings that survive young-generation GCs.
   */
  append(units: readonly string[], newline = false): Promise<void> {
    if (units.length === 0) return this.chain;
    const g = this.openGroup(units.length * 128);
    g.addUnits(units, newline);
    return g.wait();
  }

  /** Appends bytes that are whole newline-terminated units already (JSON lines made elsewhere). */
  appendLines(bytes: Uint8Array): Promise<void> {
    const g = this.openGroup(0);
    if (!g.addLines(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) return this.chain;
    return g.wait();
  }

  /** The group the next write takes, queued behind whatever is being written now. */
  private openGroup(sizeHint: number): Group {
    let g = this.group;
    if (g === undefined) {
      let buf = this.spare;
      this.spare = undefined;
      if (buf === undefined || buf.length < sizeHint) buf = Buffer.allocUnsafeSlow(Math.max(64 << 10, sizeHint));
      const fresh = new Group(buf);
      this.group = g = fresh;
      void this.serial(() => {
        if (this.group === fresh) this.group = undefined;
        return this.writeGroup(fresh);
      }).catch(() => {});
    }
    return g;
  }

  private async writeGroup(g: Group): Promise<void> {
    let written = 0;
    try {
      if (g.ends.length > 0) {
        await this.appendUnits(g.encoded(), (n) => {
          written = n;
        });
      }
    } catch (err) {
      // given up at close: those whose units all reached the file are written, the rest failed
      for (const w of g.waiters) w.last < written ? w.resolve() : w.reject(err as Error);
      return;
    } finally {
      // no longer in a write: the next group fills it (a rare huge one is let go)
      if (g.scratch.length <= MAX_SPARE_BYTES && (this.spare === undefined || this.spare.length < g.scratch.length)) this.spare = g.scratch;
    }
    for (const w of g.waiters) w.resolve();
  }

  /** For logrotate's copy-less rotation: the file was renamed away, write to a new one. */
  reopen(): Promise<void> {
    this.group = undefined; // what is appended from now on goes to the new file
    return this.serial(async () => {
      if (this.o.fsync !== 'never') await this.sync().catch(() => {});
      await this.closeFile();
      await this.openFile();
    });
  }

  /** Finishes queued appends, retrying failed ones until the deadline, then closes the file. */
  async close(deadlineMs = Infinity): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    const giveUp = Number.isFinite(deadlineMs)
      ? setTimeout(
          () => {
            this.closing = true;
            this.wake?.();
          },
          Math.max(0, deadlineMs - Date.now()),
        )
      : undefined;
    await this.chain;
    if (giveUp) clearTimeout(giveUp);
    this.closing = true;
    if (this.o.fsync !== 'never') await this.sync().catch(() => {});
    await this.closeFile();
  }

  stats(): RotatingFileStats {
    return { ...this.counters, file_bytes: this.size };
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => {});
    return next;
  }

  /** `progress(n)`: the first n units are in the file. */
  private async appendUnits(batch: EncodedUnits, progress: (n: number) => void): Promise<void> {
    const count = batch.ends.length;
    let from = 0;
    let failures = 0;
    while (from < count) {
      try {
        if (!this.fh) await this.openFile();
        from = await this.writeFrom(batch, from);
        progress(from);
        failures = 0;
      } catch (err) {
        this.counters.write_errors++;
        await this.undoPartial();
        if (this.closing) throw this.error(`write failed, ${count - from} units not written: ${(err as Error).message}`, err);
        const ms = Math.min(this.o.retryMaxMs ?? 5000, (this.o.retryInitialMs ?? 100) * 2 ** Math.min(failures++, 16));
        this.logError('file write failed, the batch is kept and retried', err as NodeJS.ErrnoException, {
          retry_ms: ms,
          write_errors: this.counters.write_errors,
        });
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /**
   * Writes units from `from` up to the next rotation point (rotating there) and returns the
   * index of the first unit not yet written; throws with the file holding only whole units.
   */
  private async writeFrom(batch: EncodedUnits, from: number): Promise<number> {
    const { pieces, ends } = batch;
    const start = from === 0 ? 0 : ends[from - 1];
    let end = from;
    if (this.o.maxBytes === 0 ? this.ageDue() : this.size > 0 && this.ageDue()) await this.rotate();
    for (; end < ends.length; end++) {
      const n = ends[end] - (end === 0 ? 0 : ends[end - 1]);
      const pending = (end === 0 ? 0 : ends[end - 1]) - start;
      if (this.o.maxBytes > 0 && this.size + pending > 0 && this.size + pending + n > this.o.maxBytes) {
        if (end > from) break;
        await this.rotate();
      }
    }
    const stop = end === 0 ? 0 : ends[end - 1];
    this.counters.writes++;
    // write(2) is short when the disk fills mid-buffer; the next call reports the error
    for (let off = start; off < stop; ) {
      const slices = slicesOf(pieces, off, stop);
      // a small write costs ~20 µs in place against ~85 µs and two thread wake-ups through libuv's
      // pool (a live input's trickle of batches); big ones stay off this thread
      const fh = this.fh!;
      let bytesWritten: number;
      if (stop - off <= SYNC_WRITE_MAX) bytesWritten = slices.length === 1 ? writeSync(fh.fd, slices[0]) : writevSync(fh.fd, slices);
      else ({ bytesWritten } = slices.length === 1 ? await fh.write(slices[0]) : await fh.writev(slices));
      off += bytesWritten;
      this.size += bytesWritten;
    }
    this.dirty = true;
    if (this.o.fsync === 'batch') await this.sync();
    else if (this.o.fsync === 'interval') this.syncBeside();
    this.goodSize = this.size;
    this.counters.bytes += stop - start;
    return end;
  }

  /** Cuts a failed batch's bytes off, or leaves it to the next open when that fails too. */
  private async undoPartial(): Promise<void> {
    if (this.fh && this.goodSize >= 0) {
      try {
        await this.fh.truncate(this.goodSize);
        this.size = this.goodSize;
      } catch {
        /* the next open cuts at the last whole line */
      }
    }
    // a handle that failed (disk replaced, file system remounted) is opened afresh
    await this.closeFile();
  }

  private async openFile(): Promise<void> {
    const fh = await open(this.o.path, 'a+', this.o.mode);
    try {
      // an existing file keeps its mode on open
      await fh.chmod(this.o.mode);
      const st = await fh.stat();
      let size = st.size;
      if (st.ino === this.ino && this.goodSize >= 0 && size > this.goodSize) {
        // our own failed batch whose truncate did not go through
        await fh.truncate(this.goodSize);
        size = this.goodSize;
      } else if (size > 0) {
        size = await this.cutTornTail(fh, size);
      }
      this.fh = fh;
      this.ino = st.ino;
      this.size = size;
      this.goodSize = size;
      // an existing file's age counts from its creation (or last change when that is unknown)
      this.openedAt = size > 0 ? st.birthtimeMs || st.ctimeMs : this.now();
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /** Truncates a last line that has no newline (a crash mid-write); returns the new size. */
  private async cutTornTail(fh: FileHandle, size: number): Promise<number> {
    const buf = Buffer.allocUnsafe(TAIL_CHUNK);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const nl = buf.lastIndexOf(10, bytesRead - 1);
      if (end === size && nl === bytesRead - 1) return size;
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    await fh.truncate(end);
    this.counters.torn_tails++;
    this.o.log.warn('file ended in a partial line (crash or failed write), cut back to the last whole line', { path: this.o.path, removed_bytes: size - end });
    return end;
  }

  private ageDue(): boolean {
    return this.o.maxAgeMs > 0 && this.size > 0 && this.now() - this.openedAt >= this.o.maxAgeMs;
  }

  private async rotate(): Promise<void> {
    await this.sync();
    await this.closeFile();
    const p = this.o.path;
    if (this.o.keep === 0) {
      await unlink(p).catch(ignoreMissing);
    } else {
      await unlink(`${p}.${this.o.keep}`).catch(ignoreMissing);
      for (let i = this.o.keep - 1; i >= 1; i--) await rename(`${p}.${i}`, `${p}.${i + 1}`).catch(ignoreMissing);
      await rename(p, `${p}.1`);
    }
    this.counters.rotations++;
    this.goodSize = -1;
    await this.openFile();
    this.openedAt = this.now();
  }

  /** Syncs what was written so far, after the interval's datasync if one is running. */
  private async sync(): Promise<void> {
    await this.syncing;
    if (!this.fh || !this.dirty) return;
    await this.fh.datasync();
    this.dirty = false;
    this.lastSync = this.now();
    this.counters.fsyncs++;
  }

  /** The interval's datasync when one is due, started without waiting for it (one at a time). */
  private syncBeside(): void {
    const fh = this.fh;
    if (fh === undefined || !this.dirty || this.syncing !== undefined || this.now() - this.lastSync < this.o.fsyncIntervalMs) return;
    // what is written from now on is not covered by this sync
    this.dirty = false;
    this.lastSync = this.now();
    this.syncing = fh.datasync().then(
      () => {
        this.counters.fsyncs++;
        this.syncing = undefined;
      },
      (err: NodeJS.ErrnoException) => {
        this.counters.fsync_errors++;
        this.dirty = true;
        this.syncing = undefined;
        this.logError('fsync of the output file failed; the next interval tries again', err, { fsync_errors: this.counters.fsync_errors });
      },
    );
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    // a datasync running on the thread pool still uses the descriptor
    await this.syncing;
    await fh?.close().catch(() => {});
  }

  /** At most one error line every 10 s: a failing disk fails every write and sync. */
  private logError(message: string, err: NodeJS.ErrnoException, fields: Record<string, number>): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10000) return;
    this.lastErrorLog = now;
    this.o.log.error(message, { path: this.o.path, error: err.code ?? err.message, ...fields });
  }

  private error(message: string, cause: unknown): AuditflowError {
    return new AuditflowError('AF_ERR_OUTPUT', message, this.o.path, { cause });
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
