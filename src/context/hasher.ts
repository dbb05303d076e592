// sha256 of executables, off the hot path: a record asks for its executable's hash and gets it
// only if it is ready; otherwise the file is queued, hashed asynchronously (one file at a time,
// streamed), and later records of that executable carry it. Hashes are cached by what identifies
// the file's content: device, inode, size and mtime; a path is re-checked (an async stat) at most
// every `recheckMs`, so a replaced binary gets its new hash soon after, without a stat per record.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

export interface HasherOptions {
  /** files larger than this are not hashed (counted as too_large) */
  maxFileBytes?: number;
  recheckMs?: number;
  /** most paths waiting to be hashed; more are counted as dropped and asked again later */
  maxQueue?: number;
  now?: () => number;
}

/** What records carry as process.hash: one frozen object per hash, shared by every record of it. */
export type HashField = Readonly<{ sha256: string }>;

interface PathState {
  /** dev:ino:size:mtime of the file when it was hashed */
  key: string;
  hash: HashField | undefined;
  checkedAt: number;
}

export class ExecutableHasher {
  private readonly byPath = new Map<string, PathState>();
  private readonly byKey = new Map<string, HashField>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running = false;
  private readonly maxFileBytes: number;
  private readonly recheckMs: number;
  private readonly maxQueue: number;
  private readonly now: () => number;
  private idle: (() => void)[] = [];
  /** one file is hashed at a time, through this buffer */
  private buf: Buffer | undefined;
  hashed = 0;
  cacheHits = 0;
  failed = 0;
  tooLarge = 0;
  dropped = 0;

  constructor(opts: HasherOptions = {}) {
    this.maxFileBytes = opts.maxFileBytes ?? 256 * 1024 * 1024;
    this.recheckMs = opts.recheckMs ?? 10_000;
    this.maxQueue = opts.maxQueue ?? 1024;
    this.now = opts.now ?? Date.now;
  }

  /** The hash if known now; otherwise undefined, and the file is queued for hashing. */
  get(path: string): HashField | undefined {
    const st = this.byPath.get(path);
    if (st !== undefined && this.now() - st.checkedAt < this.recheckMs) return st.hash;
    this.enqueue(path);
    // a stale entry still answers while its re-check runs: the file rarely changed
    return st?.hash;
  }

  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Resolves when nothing is queued (tests, benches). */
  settled(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private enqueue(path: string): void {
    if (this.queued.has(path)) return;
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return;
    }
    this.queued.add(path);
    this.queue.push(path);
    if (!this.running) void this.work();
  }

  private async work(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const path = this.queue.shift()!;
      try {
        await this.check(path);
      } catch {
        this.failed++;
        // remember the failure for a while: a missing file must not be retried per record
        this.byPath.set(path, { key: '', hash: undefined, checkedAt: this.now() });
      }
      this.queued.delete(path);
    }
    this.running = false;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  private async check(path: string): Promise<void> {
    const s = await stat(path);
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    let hash = this.byKey.get(key);
    if (hash !== undefined) this.cacheHits++;
    else if (s.size > this.maxFileBytes) this.tooLarge++;
    else {
      this.buf ??= Buffer.allocUnsafeSlow(1 << 20);
      hash = Object.freeze({ sha256: await sha256File(path, this.buf) });
      this.hashed++;
      if (this.byKey.size >= 65536) this.byKey.clear();
      this.byKey.set(key, hash);
    }
    if (this.byPath.size >= 65536) this.byPath.clear();
    this.byPath.set(path, { key, hash, checkedAt: this.now() });
  }
}

/**
 * Reads through one reused buffer: a stream's new Buffer per read is garbage V8 collects only
 * once enough external memory piled up, so hashing node's own 99 MB executable (the daemon's
 * CONFIG_CHANGE records are its own) raised the daemon's peak RSS by tens of MiB. 1 MiB reads:
 * with 64 KiB ones, the reads and callbacks cost more than the hashing.
 */
async function sha256File(path: string, buf: Buffer): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}
