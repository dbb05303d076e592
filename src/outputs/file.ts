// JSON-lines file: one record per line, written by the shared RotatingFile: rotation by size
// and/or age keeping `keep` old files as path.1 (newest) … path.N, reopen() on SIGUSR1 for
// logrotate, fsync after every batch, at most every interval, or never; a failed write is cut
// back and retried, never left half-written.

import type { BuildContext, ComponentDef, Output } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { silentLogger, type Logger } from '../log.js';
import { JsonLinesEncoder } from './json-lines.js';
import { queueSchema, type QueueConfig } from './spool/config.js';
import { RotatingFile, type FsyncPolicy } from './rotating-file.js';
import { checkWritablePath } from '../config/preflight.js';

export type { FsyncPolicy } from './rotating-file.js';

export interface FileOutputConfig {
  type: 'file';
  name?: string;
  path: string;
  /** octal permission bits of the file (applied to an existing file too) */
  mode?: string;
  rotate?: { max_bytes?: number; interval_s?: number; keep?: number };
  fsync?: FsyncPolicy;
  fsync_interval_ms?: number;
  queue?: QueueConfig;
}

export interface FileOutputOptions {
  /** clock for age-based rotation (tests) */
  now?: () => number;
  log?: Logger;
  /** first wait before retrying a failed write (tests shorten it) */
  retryInitialMs?: number;
}

export class FileOutput implements Output {
  readonly name: string;
  private readonly file: RotatingFile;
  private readonly encoder = new JsonLinesEncoder();
  private written = 0;

  constructor(cfg: FileOutputConfig, opts: FileOutputOptions = {}) {
    this.name = cfg.name ?? `file:${cfg.path}`;
    this.file = new RotatingFile({
      path: cfg.path,
      mode: parseInt(cfg.mode ?? '0600', 8),
      dirMode: 0o750,
      maxBytes: cfg.rotate?.max_bytes ?? 0,
      maxAgeMs: (cfg.rotate?.interval_s ?? 0) * 1000,
      keep: cfg.rotate?.keep ?? 5,
      fsync: cfg.fsync ?? 'interval',
      fsyncIntervalMs: cfg.fsync_interval_ms ?? 1000,
      log: opts.log ?? silentLogger,
      now: opts.now,
      retryInitialMs: opts.retryInitialMs,
    });
  }

  start(): Promise<void> {
    return this.file.open();
  }

  /** Resolves once every line is in the file; a full or failing disk holds it (and retries). */
  write(records: readonly NormalizedRecord[]): Promise<void> {
    const n = records.length;
    if (n === 0) return Promise.resolve();
    // Not an async function: its parameters would live in the suspended frame until the write is
    // done, keeping every record of every batch in flight alive through young-generation GCs
    // (promoted, then collected by mark-compacts). Only their text is needed from here on, as
    // lines the encoder writes from record templates where it can (each line still its own unit).
    const lines = this.encoder.encode(records);
    return this.file.appendLines(lines).then(() => {
      this.written += n;
      this.encoder.recycle(lines);
    });
  }

  writeLines(lines: Uint8Array, records: number): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return this.file.appendLines(lines).then(() => {
      this.written += records;
    });
  }

  close(deadlineMs?: number): Promise<void> {
    return this.file.close(deadlineMs);
  }

  reopen(): Promise<void> {
    return this.file.reopen();
  }

  stats() {
    return { written: this.written, ...this.file.stats() };
  }
}

export const fileOutput: ComponentDef<Output> = {
  type: 'file',
  schema: {
    type: 'object',
    properties: {
      type: { const: 'file' },
      name: { type: 'string' },
      path: { type: 'string', minLength: 1 },
      mode: { type: 'string', pattern: '^0?[0-7]{3}$', default: '0600' },
      rotate: {
        type: 'object',
        additionalProperties: false,
        properties: {
          max_bytes: { type: 'integer', minimum: 1024 },
          interval_s: { type: 'integer', minimum: 1 },
          keep: { type: 'integer', minimum: 0, maximum: 1000 },
        },
      },
      fsync: { enum: ['batch', 'interval', 'never'], default: 'interval' },
      fsync_interval_ms: { type: 'integer', minimum: 1, default: 1000 },
      queue: queueSchema,
    },
    required: ['type', 'path'],
    additionalProperties: false,
  },
  build: (cfg: FileOutputConfig, ctx: BuildContext) => new FileOutput(cfg, { log: ctx.log }),
  preflight: (cfg: FileOutputConfig, where) => checkWritablePath(`${where}.path`, cfg.path, 'file'),
};
