// JSON-lines file: one write(2) per batch, in order. Rotation by size and/or age keeps `keep` old
// files as path.1 (newest) … path.N like logrotate; reopen() (SIGUSR1) picks up a file that
// logrotate moved away. fsync policy: after every batch, at most every interval, or never.

import { open, mkdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BuildContext, ComponentDef, Output } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { AuditflowError } from '../errors.js';
import { toJsonLines } from './json-lines.js';
import { queueSchema, type QueueConfig } from './spool/config.js';

export type FsyncPolicy = 'batch' | 'interval' | 'never';

export interface FileOutputConfig {
  type: 'file';
  name?: string;
  path: string;
  /** octal permission bits of a newly created file */
  mode?: string;
  rotate?: { max_bytes?: number; interval_s?: number; keep?: number };
  fsync?: FsyncPolicy;
  fsync_interval_ms?: number;
  queue?: QueueConfig;
}

export interface FileOutputOptions {
  /** clock for age-based rotation (tests) */
  now?: () => number;
}

export class FileOutput implements Output {
  readonly name: string;
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private size = 0;
  private openedAt = 0;
  private lastSync = 0;
  private dirty = false;
  private readonly mode: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly keep: number;
  private readonly fsync: FsyncPolicy;
  private readonly fsyncEveryMs: number;
  private readonly now: () => number;
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly counters = { written: 0, bytes: 0, rotations: 0, fsyncs: 0, write_errors: 0 };

  constructor(private readonly cfg: FileOutputConfig, opts: FileOutputOptions = {}) {
    this.name = cfg.name ?? `file:${cfg.path}`;
    this.mode = parseInt(cfg.mode ?? '0600', 8);
    this.maxBytes = cfg.rotate?.max_bytes ?? 0;
    this.maxAgeMs = (cfg.rotate?.interval_s ?? 0) * 1000;
    this.keep = cfg.rotate?.keep ?? 5;
    this.fsync = cfg.fsync ?? 'interval';
    this.fsyncEveryMs = cfg.fsync_interval_ms ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    try {
      await mkdir(dirname(this.cfg.path), { recursive: true, mode: 0o750 });
    } catch (err) {
      throw new AuditflowError('AF_ERR_OUTPUT', `cannot create directory: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
    await this.openFile();
    if (this.fsync === 'interval') {
      // records written since the last sync reach the disk within the interval even when idle
      this.syncTimer = setInterval(() => { this.chain = this.chain.then(() => this.sync(false)).catch(() => {}); }, this.fsyncEveryMs);
      this.syncTimer.unref();
    }
  }

  private async openFile(): Promise<void> {
    try {
      this.fh = await open(this.cfg.path, 'a', this.mode);
      const st = await this.fh.stat();
      this.size = st.size;
      // an existing file's age counts from its creation (or last change when that is unknown)
      this.openedAt = st.size > 0 ? (st.birthtimeMs || st.ctimeMs) : this.now();
    } catch (err) {
      this.fh = undefined;
      throw new AuditflowError('AF_ERR_OUTPUT', `cannot open for append: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
  }

  write(records: readonly NormalizedRecord[]): Promise<void> {
    if (records.length === 0) return this.chain;
    const text = toJsonLines(records);
    const n = records.length;
    const next = this.chain.then(() => this.append(text, n));
    this.chain = next.catch(() => {});
    return next;
  }

  private async append(text: string, n: number): Promise<void> {
    const bytes = Buffer.byteLength(text);
    try {
      if (!this.fh) await this.openFile();
      if (this.dueForRotation(bytes)) await this.rotate();
      await this.fh!.write(text, null, 'utf8');
    } catch (err) {
      this.counters.write_errors++;
      // a failed handle (disk replaced, file system remounted) is opened afresh on the next write
      await this.fh?.close().catch(() => {});
      this.fh = undefined;
      throw err instanceof AuditflowError ? err : new AuditflowError('AF_ERR_OUTPUT', `write failed: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
    this.size += bytes;
    this.counters.written += n;
    this.counters.bytes += bytes;
    this.dirty = true;
    if (this.fsync === 'batch') await this.sync(true);
    else if (this.fsync === 'interval' && this.now() - this.lastSync >= this.fsyncEveryMs) await this.sync(true);
  }

  private dueForRotation(incoming: number): boolean {
    if (this.size === 0) return false;
    if (this.maxBytes > 0 && this.size + incoming > this.maxBytes) return true;
    return this.maxAgeMs > 0 && this.now() - this.openedAt >= this.maxAgeMs;
  }

  /** path → path.1 → … → path.keep; the oldest beyond `keep` is deleted. */
  private async rotate(): Promise<void> {
    await this.sync(true);
    await this.fh?.close();
    this.fh = undefined;
    const p = this.cfg.path;
    if (this.keep === 0) {
      await unlink(p).catch(ignoreMissing);
    } else {
      await unlink(`${p}.${this.keep}`).catch(ignoreMissing);
      for (let i = this.keep - 1; i >= 1; i--) await rename(`${p}.${i}`, `${p}.${i + 1}`).catch(ignoreMissing);
      await rename(p, `${p}.1`);
    }
    this.counters.rotations++;
    await this.openFile();
    this.openedAt = this.now();
  }

  private async sync(force: boolean): Promise<void> {
    if (!this.fh || !this.dirty || (!force && this.now() - this.lastSync < this.fsyncEveryMs)) return;
    await this.fh.datasync();
    this.dirty = false;
    this.lastSync = this.now();
    this.counters.fsyncs++;
  }

  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.chain;
    if (this.fsync !== 'never') await this.sync(true).catch(() => {});
    await this.fh?.close();
    this.fh = undefined;
  }

  /** For logrotate's copy-less rotation: the file was renamed away, write to a new one. */
  async reopen(): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.fsync !== 'never') await this.sync(true).catch(() => {});
      const old = this.fh;
      this.fh = undefined;
      await old?.close();
      await this.openFile();
    });
    this.chain = next.catch(() => {});
    return next;
  }

  stats() { return { ...this.counters, file_bytes: this.size }; }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

export const fileOutput: ComponentDef<Output> = {
  type: 'file',
  schema: {
    type: 'object',
    properties: {
      type: { const: 'file' },
      name: { type: 'string' },
      path: { type: 'string', minLength: 1 },
      mode: { type: 'string', pattern: '^0?[0-7]{3}$' },
      rotate: {
        type: 'object',
        additionalProperties: false,
        properties: {
          max_bytes: { type: 'integer', minimum: 1024 },
          interval_s: { type: 'integer', minimum: 1 },
          keep: { type: 'integer', minimum: 0, maximum: 1000 },
        },
      },
      fsync: { enum: ['batch', 'interval', 'never'] },
      fsync_interval_ms: { type: 'integer', minimum: 1 },
      queue: queueSchema,
    },
    required: ['type', 'path'],
    additionalProperties: false,
  },
  build: (cfg: FileOutputConfig, _ctx: BuildContext) => new FileOutput(cfg),
};
