// The shared tailer every file input uses. It finds files (plain paths or globs, files that
// appear later), reads them by offset, cuts complete lines and hands them over in chunks; the
// consumer commits an offset once the records made of those lines are acknowledged, and only
// committed offsets reach the checkpoint file. So a crash at any moment re-reads at most what was
// read since the last checkpoint write (at-least-once, duplicates bounded by one interval).
//
// Rotation: a file is known by dev+inode+head fingerprint, not by name. When the name starts
// pointing at another file (rename rotation, bash's temp+rename rewrite), the old file is read
// to its end and kept open a grace period for late writes, while the new one is read from 0.
// A file that shrinks (copytruncate, `> file`) or whose head changed under us is restarted at 0
// and reported as possible loss. After a restart, a checkpointed file that is no longer at its
// path is looked for among its siblings (audit.log → audit.log.1) and finished from there (from 0,
// reported, if it was truncated too: what it holds is still on disk, what it held past the checkpoint
// is not).
//
// Lines are cut by the shared LineSplitter (src/inputs/read/lines.ts: LF or CRLF, `\xNN` for bytes
// that are not UTF-8, the max_line_bytes cap), exactly as `normalize` cuts them.
// Reads are synchronous pread()s of regular files (page cache; a chunk costs microseconds) with a
// bounded budget per file per round, so one huge file (a flood, a giant line) cannot starve the
// others or the event loop.
//
// Idle is idle: with file notifications (chokidar on inotify) a write wakes the loop at once, and
// the loop otherwise sleeps until its next own deadline: a safety poll every safetyPollMs (for
// what inotify cannot see: NFS, a watch that failed), a rotated file's grace period ending, a
// reader holding lines back (every pollMs). Without notifications files are polled every pollMs.
// Checkpoints are written on their own timer, checkpointMs after the state first changed.

import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { AuditflowError } from '../../errors.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type Line } from '../read/lines.js';
import type { Logger } from '../../log.js';
import { CheckpointStore, idKey } from './checkpoint.js';
import { compilePattern, expand, matchesAny, type PathPattern } from './discover.js';
import { FINGERPRINT_BYTES, identify, sameHead, type FileIdentity } from './identity.js';
import { DirWatches } from './watch.js';

/** A line (src/inputs/read/lines.ts); committing its `end` means the line is done. */
export type TailLine = Line;

export interface TailChunk {
  file: TailedFile;
  /** truncation generation of the file when the lines were read; commits of older ones are void */
  gen: number;
  lines: TailLine[];
  /** nothing more to read in this file right now (consumers flush what they hold back) */
  atEof: boolean;
}

export interface TailOptions {
  include: string[];
  exclude?: string[];
  /** where a file with no checkpoint that exists at startup begins; files appearing later start at 0 */
  startAt?: 'beginning' | 'end';
  checkpointPath: string;
  onChunk(chunk: TailChunk): Promise<void>;
  /**
   * A file with nothing new for `idleMs` (wall time), called when the loop wakes. Resolving true
   * means lines are still held back: the loop then wakes every pollMs to call it again.
   */
  onIdle?(file: TailedFile, gen: number, idleMs: number): Promise<boolean | undefined>;
  onError?(err: AuditflowError): void;
  log: Logger;
  /** how often files are polled without notifications, and readers holding lines are re-asked */
  pollMs?: number;
  /** with notifications: how often files are checked anyway (what inotify cannot see) */
  safetyPollMs?: number;
  scanMs?: number;
  /** how soon a changed state reaches the checkpoint file */
  checkpointMs?: number;
  /** how long a rotated-away or deleted file is kept open at EOF for late writes */
  rotateWaitMs?: number;
  maxLineBytes?: number;
  readBytes?: number;
  maxChunkLines?: number;
  fingerprintBytes?: number;
  checkpointTtlMs?: number;
  /** chokidar notifications on top of polling (lower latency); on by default */
  watch?: boolean;
}

/** How long stop() waits for a round in progress (a push blocked by a down output) to finish. */
const STOP_GRACE_MS = 2000;

export class TailedFile {
  path: string;
  id: FileIdentity;
  fd: number;
  /** next byte to read */
  readOffset: number;
  /** last offset the consumer committed (what the checkpoint holds) */
  committed: number;
  gen = 0;
  /** 'active' while the path still names this file; 'rotated' once renamed away or deleted */
  state: 'active' | 'rotated' = 'active';
  rotatedAt = 0;
  lastDataAt = 0;
  lastSize = 0;
  /** cuts what is read into lines; holds an incomplete last line */
  readonly lines: LineSplitter;
  constructor(path: string, id: FileIdentity, fd: number, offset: number, lineNo: number, maxLineBytes: number) {
    this.path = path;
    this.id = id;
    this.fd = fd;
    this.readOffset = offset;
    this.committed = offset;
    this.lines = new LineSplitter(maxLineBytes, lineNo);
  }

  /** complete lines before readOffset, or -1 when unknown */
  get lineNo(): number {
    return this.lines.lineNo;
  }

  /** Where the lines handed over so far end: the read position minus an incomplete last line. */
  handedOverTo(): number {
    return this.lines.pendingStart() ?? this.readOffset;
  }

  /** Where a line is, for messages: `path:LINE` when the line number is known, else `path@BYTE`. */
  where(line: TailLine): string {
    return line.line > 0 ? `${this.path}:${line.line}` : `${this.path}@${line.start}`;
  }
}

export interface TailStats {
  files: number;
  lines: number;
  bytes: number;
  truncations: number;
  rotations: number;
  long_lines: number;
  recovered_rotated: number;
  checkpoint_writes: number;
  /** rounds of the read loop (an idle tailer adds a few per safety poll, not one per ms) */
  wakeups: number;
}

export class Tailer {
  private readonly o: Required<Omit<TailOptions, 'onError' | 'onIdle' | 'exclude'>> & Pick<TailOptions, 'onError' | 'onIdle'> & { exclude: string[] };
  private readonly patterns: PathPattern[];
  readonly store: CheckpointStore;
  private readonly files = new Map<string, TailedFile>();
  /** paths we failed to open, so one unreadable file is reported once, not every scan */
  private readonly failed = new Map<string, string>();
  private running = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeResolve: (() => void) | undefined;
  /** a wake that came while the loop was busy: the next sleep returns at once */
  private wakePending = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private scanRequested = true;
  /** globs: chokidar on their base directories */
  private watcher: FSWatcher | undefined;
  /** plain paths: their directories (src/inputs/tail/watch.ts) */
  private dirWatches: DirWatches | undefined;
  /** chokidar is ready (or there are no globs), each plain path's directory is watched (or there are none) */
  private globsWatched = false;
  private dirsWatched = false;
  private readonly buf: Buffer;
  private readonly counters: TailStats = {
    files: 0,
    lines: 0,
    bytes: 0,
    truncations: 0,
    rotations: 0,
    long_lines: 0,
    recovered_rotated: 0,
    checkpoint_writes: 0,
    wakeups: 0,
  };
  private firstScan = true;
  private checkpointError: string | undefined;

  constructor(opts: TailOptions) {
    // An option given as undefined (a config key left out) never overrides a default.
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as TailOptions;
    this.o = {
      startAt: 'beginning',
      pollMs: 250,
      safetyPollMs: 2000,
      scanMs: 1000,
      checkpointMs: 1000,
      rotateWaitMs: 5000,
      maxLineBytes: DEFAULT_MAX_LINE_BYTES,
      readBytes: 1 << 16,
      maxChunkLines: 128,
      fingerprintBytes: FINGERPRINT_BYTES,
      checkpointTtlMs: 7 * 24 * 3600_000,
      watch: true,
      ...given,
      exclude: opts.exclude ?? [],
    };
    this.patterns = opts.include.map(compilePattern);
    this.store = new CheckpointStore(opts.checkpointPath);
    this.buf = Buffer.allocUnsafe(this.o.readBytes);
  }

  async start(): Promise<void> {
    const loaded = this.store.load();
    this.o.log.debug('tail checkpoints loaded', { path: this.store.path, ...loaded });
    this.running = true;
    if (this.o.watch) this.startWatcher();
    this.scan();
    this.recoverRotated();
    this.firstScan = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    // A push blocked on backpressure (outputs down) has already handed its batch over, and the
    // loop pushes nothing once it sees running=false: stop need not wait for the pipeline.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.loop,
      new Promise<void>((r) => {
        timer = setTimeout(r, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    await this.watcher?.close();
    this.dirWatches?.close();
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    this.flushCheckpoints();
    this.stopped = true;
  }

  /** Closes every file (after stop; acks may still commit until then). */
  close(): void {
    for (const f of this.files.values()) {
      try {
        closeSync(f.fd);
      } catch {
        /* already closed */
      }
    }
    this.files.clear();
  }

  /**
   * The consumer's acknowledgment: every line of `file` before `offset` is delivered. `lines`:
   * how many lines precede offset, when the consumer knows (kept so messages can name lines).
   */
  commit(file: TailedFile, gen: number, offset: number, lines?: number): void {
    if (gen !== file.gen || offset <= file.committed) return;
    file.committed = offset;
    this.store.set(file.path, file.id, offset, lines !== undefined && lines > 0 ? lines : undefined);
    // After stop the loop no longer flushes: late acks (outputs draining) are written at once.
    if (this.stopped) this.flushCheckpoints();
    else this.scheduleCheckpoint();
  }

  stats(): TailStats {
    return { ...this.counters, files: this.files.size, checkpoint_writes: this.store.writes };
  }

  /** Files currently open, for tests and status. */
  openFiles(): { path: string; offset: number; committed: number; state: string }[] {
    return [...this.files.values()].map((f) => ({ path: f.path, offset: f.readOffset, committed: f.committed, state: f.state }));
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    let nextScan = Date.now() + this.o.scanMs;
    while (this.running) {
      this.counters.wakeups++;
      const now = Date.now();
      if (this.scanRequested || now >= nextScan) {
        this.scanRequested = false;
        this.scan(true);
        // with notifications a file coming or going asks for a scan; the timed one is a safety net
        nextScan = now + (this.watching ? Math.max(this.o.scanMs, this.o.safetyPollMs) : this.o.scanMs);
      } else {
        this.scan(false);
      }
      let progressed = false;
      let holding = false;
      for (const f of [...this.files.values()]) {
        if (!this.running) break;
        try {
          if (await this.pollFile(f)) progressed = true;
          else if (this.o.onIdle && this.running && (await this.o.onIdle(f, f.gen, Date.now() - f.lastDataAt))) holding = true;
        } catch (err) {
          this.report(f.path, `read failed: ${(err as Error).message}`, err);
          this.retire(f);
        }
      }
      this.retireIdle();
      this.scheduleCheckpoint();
      if (!progressed && this.running) await this.sleep(this.idleWait(holding, nextScan));
      // A busy round lets I/O run before the next one: otherwise, while the pipeline has room,
      // rounds follow each other in microtasks, and what waits for I/O (the context stage's
      // executable hashing, answered to later records; write completions) waits for the file's end.
      else if (this.running) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** How long the loop may sleep: until the first of its own deadlines (a write wakes it sooner). */
  private idleWait(holding: boolean, nextScan: number): number {
    const now = Date.now();
    let wait = this.watching ? this.o.safetyPollMs : this.o.pollMs;
    if (holding) wait = Math.min(wait, this.o.pollMs);
    wait = Math.min(wait, nextScan - now);
    for (const f of this.files.values()) {
      if (f.state === 'rotated') wait = Math.min(wait, Math.max(f.rotatedAt, f.lastDataAt) + this.o.rotateWaitMs - now);
    }
    return Math.max(wait, 1);
  }

  /** Arms the checkpoint write for checkpointMs from now, if the state changed and none is armed. */
  private scheduleCheckpoint(): void {
    if (this.checkpointTimer || this.stopped || !this.running || !this.store.isDirty()) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      this.flushCheckpoints();
      this.scheduleCheckpoint(); // a failed write stays dirty: tried again next interval
    }, this.o.checkpointMs);
  }

  private flushCheckpoints(): void {
    for (const f of this.files.values()) this.store.touch(f.id);
    this.store.expire(this.o.checkpointTtlMs);
    try {
      this.store.flush();
      this.checkpointError = undefined;
    } catch (err) {
      // reported once per distinct failure (a full disk would otherwise report every interval);
      // the state stays dirty and is written as soon as the disk takes it
      const msg = (err as Error).message;
      if (msg !== this.checkpointError) this.report(this.store.path, `checkpoint write failed: ${msg}`, err);
      this.checkpointError = msg;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeResolve = resolve;
      this.wakeTimer = setTimeout(() => this.wake(), ms);
    });
  }

  private wake(): void {
    if (this.wakeTimer) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    }
    const r = this.wakeResolve;
    this.wakeResolve = undefined;
    if (r) r();
    else this.wakePending = true;
  }

  private startWatcher(): void {
    const plain = this.patterns.filter((p) => !p.isGlob);
    const globs = this.patterns.filter((p) => p.isGlob);
    if (plain.length > 0) {
      this.dirWatches = new DirWatches(
        plain.map((p) => p.pattern),
        (kind) => {
          if (kind === 'rename') this.scanRequested = true; // change: the quick scan covers it
          this.wake();
        },
      );
    }
    this.dirsWatched = this.dirWatches?.check() ?? true;
    this.globsWatched = globs.length === 0;
    if (globs.length > 0) this.watchGlobs(globs);
  }

  /** Notifications are trusted while every watch is up; otherwise the tailer polls. */
  private get watching(): boolean {
    return this.globsWatched && this.dirsWatched;
  }

  private watchGlobs(globs: PathPattern[]): void {
    const bases = [...new Set(globs.map((p) => p.base))];
    const maxDepth = Math.min(8, Math.max(...globs.map((p) => (p.depth === Infinity ? 8 : p.depth))));
    // chokidar is loaded only for globs (start-up time and memory a plain path has no use for);
    // until it is ready the tailer polls, as it does until any watcher is ready
    import('chokidar').then(
      ({ watch }) => {
        if (this.running) this.attachGlobWatcher(watch, bases, maxDepth, globs);
      },
      (err) => this.o.log.debug('tail watcher unavailable (polling continues)', { error: String(err) }),
    );
  }

  private attachGlobWatcher(watch: typeof import('chokidar').watch, bases: string[], maxDepth: number, globs: PathPattern[]): void {
    this.watcher = watch(bases, {
      ignoreInitial: true,
      persistent: true,
      depth: maxDepth,
      // Only the files we tail (and the directories on the way to them) are worth a watch.
      ignored: (path: string, stats?: Stats) => !!stats?.isFile() && !matchesAny(path, globs, this.o.exclude),
    });
    this.watcher.on('all', (event) => {
      if (event !== 'change') this.scanRequested = true; // change: the quick scan covers it
      this.wake();
    });
    this.watcher.on('ready', () => {
      this.globsWatched = true;
    });
    this.watcher.on('error', (err) => {
      // notifications can no longer be trusted to come: poll every pollMs from now on
      this.globsWatched = false;
      this.o.log.debug('tail watcher error (polling continues)', { error: String(err) });
    });
  }

  // ---- discovery ----

  /**
   * Finds files: a full scan walks the globs (every scanMs, or when the watcher saw a file come
   * or go); a quick scan only stats the plain paths and the files being tailed, every round, so
   * a rotation is noticed within one poll interval even without watcher events.
   */
  private scan(full = true): void {
    if (full && this.dirWatches) {
      // a directory that was missing (or replaced) is watched from the next full scan on
      this.dirsWatched = this.dirWatches.check();
    }
    const paths = full ? expand(this.patterns, this.o.exclude) : this.quickPaths();
    const examined = new Set(paths);
    const seen = new Set<string>();
    for (const path of paths) {
      let st: Stats;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const key = idKey(st);
      seen.add(key);
      const known = this.files.get(key);
      if (known) {
        if (known.path !== path) {
          if (known.state === 'active' && !full && examined.has(known.path)) continue;
          // Renamed to another name the patterns also match: same file, follow it.
          known.path = path;
        }
        continue;
      }
      if (!full && !matchesAny(path, this.patterns, this.o.exclude)) continue;
      this.open(path, st);
    }
    // A file whose path no longer names it was rotated away or deleted: drain it, then let go.
    for (const f of this.files.values()) {
      if (f.state === 'active' && examined.has(f.path) && !seen.has(idKey(f.id))) {
        f.state = 'rotated';
        f.rotatedAt = Date.now();
        this.counters.rotations++;
        this.o.log.info('tailed file rotated away or deleted; finishing it', { path: f.path, offset: f.readOffset });
      }
    }
  }

  private quickPaths(): string[] {
    const out = this.patterns.filter((p) => !p.isGlob).map((p) => p.pattern);
    for (const f of this.files.values()) if (f.state === 'active') out.push(f.path);
    return out;
  }

  private open(path: string, st: Stats, rotated = false): TailedFile | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const msg = (err as NodeJS.ErrnoException).code ?? String(err);
      if (this.failed.get(path) !== msg) {
        this.failed.set(path, msg);
        this.report(path, `cannot open: ${(err as Error).message}`, err);
      }
      return undefined;
    }
    this.failed.delete(path);
    const fst = fstatSync(fd);
    if (fst.ino !== st.ino || fst.dev !== st.dev) {
      closeSync(fd);
      this.scanRequested = true;
      return undefined;
    }
    const id = identify(fd, fst.dev, fst.ino, fst.size, this.o.fingerprintBytes);
    let offset: number;
    let lineNo = -1;
    const cp = this.store.get(fst);
    if (cp && sameHead(fd, cp) && cp.offset <= fst.size) {
      offset = cp.offset;
      lineNo = cp.line ?? -1;
    } else if (cp) {
      // Shorter than the checkpoint, or same dev+inode with different first bytes: truncated
      // (and maybe rewritten) while we were away, or the inode went to a new file. Either way
      // what it holds now is read whole, and what it held past the checkpoint is reported lost.
      this.truncated(
        path,
        cp.offset,
        fst.size,
        `was truncated or rewritten while auditflow was not running (${cp.offset > fst.size ? 'shorter than its checkpoint' : 'same inode, different first bytes'})`,
      );
      offset = 0;
    } else {
      offset = this.firstScan && this.o.startAt === 'end' ? fst.size : 0;
    }
    if (offset === 0) lineNo = 0;
    const f = new TailedFile(path, id, fd, offset, lineNo, this.o.maxLineBytes);
    f.lastSize = fst.size;
    f.lastDataAt = Date.now();
    if (rotated) {
      f.state = 'rotated';
      f.rotatedAt = Date.now();
    }
    this.files.set(idKey(id), f);
    this.store.set(path, id, offset, lineNo > 0 ? lineNo : undefined);
    this.o.log.debug('tailing file', { path, offset, size: fst.size });
    return f;
  }

  /**
   * After a restart: finish checkpointed files that were rotated to a sibling name meanwhile
   * (audit.log → audit.log.1), or were being finished under such a name when we stopped. Whatever such a file holds past its checkpoint is still on disk and
   * is read; if it was also truncated while we were away, it is read from 0 and the loss reported
   * (open decides, as for a file still at its path).
   */
  private recoverRotated(): void {
    for (const cp of [...this.store.all()]) {
      if (this.files.has(idKey(cp))) continue;
      const dir = dirname(cp.path);
      const stem = basename(cp.path);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        // the checkpoint's own path too: a rotated file being finished when we stopped is recorded there
        if (!name.startsWith(stem)) continue;
        const path = join(dir, name);
        let st: Stats;
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        if (st.dev !== cp.dev || st.ino !== cp.ino || !st.isFile()) continue;
        // read to its checkpoint and unchanged: nothing to finish (rotated files of earlier runs)
        if (cp.offset === st.size && this.headUnchanged(path, cp)) break;
        const f = this.open(path, st, true);
        if (f) {
          this.counters.recovered_rotated++;
          this.o.log.info('finishing a rotated file from its checkpoint', { path, offset: f.readOffset, size: st.size });
        }
        break;
      }
    }
  }

  private headUnchanged(path: string, id: FileIdentity): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return false;
    }
    try {
      return sameHead(fd, id);
    } finally {
      closeSync(fd);
    }
  }

  private retireIdle(): void {
    const now = Date.now();
    for (const f of this.files.values()) {
      if (f.state === 'rotated' && f.readOffset >= f.lastSize && now - Math.max(f.rotatedAt, f.lastDataAt) >= this.o.rotateWaitMs) {
        this.retire(f);
      }
    }
  }

  private retire(f: TailedFile): void {
    let deleted = false;
    try {
      deleted = fstatSync(f.fd).nlink === 0;
    } catch {
      /* closed */
    }
    try {
      closeSync(f.fd);
    } catch {
      /* already closed */
    }
    this.files.delete(idKey(f.id));
    // A renamed file's entry stays (it may be found again after a restart) and expires with the
    // TTL; a deleted file's entry is of no use to anyone.
    if (deleted) this.store.delete(f.id);
    this.o.log.debug('stopped tailing file', { path: f.path, offset: f.readOffset });
  }

  private truncated(path: string, offset: number, size: number, why: string): void {
    this.counters.truncations++;
    const err = new AuditflowError(
      'AF_ERR_INPUT',
      `file ${why} (offset ${offset}, size now ${size}): restarting at 0; bytes from ${offset} of its earlier content may be lost (lines written after the last read and before the truncation)`,
      path,
    );
    if (this.o.onError) this.o.onError(err);
    else this.o.log.warn(err.message);
  }

  private report(where: string, message: string, cause?: unknown): void {
    const err = new AuditflowError('AF_ERR_INPUT', message, where, { cause });
    if (this.o.onError) this.o.onError(err);
    else this.o.log.warn(err.message);
  }

  // ---- reading ----

  /** Reads what is new in one file and hands it over; true when anything was read. */
  private async pollFile(f: TailedFile): Promise<boolean> {
    const st = fstatSync(f.fd);
    if (st.size < f.readOffset || (st.size !== f.lastSize && f.id.headLen > 0 && !sameHead(f.fd, f.id))) {
      this.truncated(f.path, f.readOffset, st.size, st.size < f.readOffset ? 'shrank (copytruncate or rewrite)' : 'was rewritten (its first bytes changed)');
      f.gen++;
      f.readOffset = 0;
      f.committed = 0;
      f.lines.reset(0);
      f.id = identify(f.fd, st.dev, st.ino, st.size, this.o.fingerprintBytes);
      this.store.set(f.path, f.id, 0);
    }
    f.lastSize = st.size;
    if (f.id.headLen < this.o.fingerprintBytes && st.size > f.id.headLen) {
      // The fingerprint grows with the file until it covers fingerprintBytes (checked above).
      f.id = identify(f.fd, st.dev, st.ino, st.size, this.o.fingerprintBytes);
      if (f.committed > 0 || f.readOffset > 0) this.store.set(f.path, f.id, f.committed, this.store.get(f.id)?.line);
    }
    if (f.readOffset >= st.size) return false;

    // Small chunks (a read or two, about maxChunkLines lines: their records die young), several
    // per round until the round's budget is spent: the round's own work (fstat, letting I/O run)
    // is paid once for them, and the output joins what they append while a write is in flight.
    let budget = this.o.readBytes * 4;
    let ended = false;
    while (f.readOffset < st.size && budget > 0 && !ended && this.running) {
      const lines: TailLine[] = [];
      while (f.readOffset < st.size && lines.length < this.o.maxChunkLines && budget > 0) {
        const want = Math.min(this.buf.length, st.size - f.readOffset);
        const n = readSync(f.fd, this.buf, 0, want, f.readOffset);
        if (n === 0) {
          ended = true; // shorter than fstat said: the next round sees what happened
          break;
        }
        f.lines.push(this.buf, n, f.readOffset, lines);
        f.readOffset += n;
        budget -= n;
        this.counters.bytes += n;
      }
      f.lastDataAt = Date.now();
      this.counters.lines += lines.length;
      for (const line of lines) if (line.truncated) this.longLine(f, line);
      const atEof = f.readOffset >= st.size;
      if (lines.length || atEof) await this.o.onChunk({ file: f, gen: f.gen, lines, atEof });
    }
    return true;
  }

  private longLine(f: TailedFile, line: TailLine): void {
    this.counters.long_lines++;
    this.report(f.where(line), `line longer than ${this.o.maxLineBytes} bytes: kept its first ${this.o.maxLineBytes} bytes`);
  }
}
