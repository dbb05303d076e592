// `type: auditlog` — an audit.log in auditd's RAW format, so ausearch/aureport keep working on a
// host where auditflow replaced auditd: each event's records as received from the kernel,
// `type=T msg=audit(SEC.MS:SERIAL): body`, optionally `node=N ` first (auditd's name_format).
// Rotation follows auditd's max_log_file / num_logs / max_log_file_action=ROTATE: audit.log
// becomes audit.log.1, .1 becomes .2, ... up to num_logs files in all. Files are mode 0600 in a
// 0700 directory, as auditd makes them. Records without audit records behind them (snoopy,
// bash history, auditflow's own lost-events notices) have no RAW form and are skipped (counted).

import type { BuildContext, ComponentDef, Output } from '../pipeline/types.js';
import { kRaw, type NormalizedRecord } from '../record.js';
import type { AuditRecord } from '../audit/record.js';
import { silentLogger } from '../log.js';
import { RotatingFile } from './rotating-file.js';
import { checkWritablePath } from '../config/preflight.js';

export interface AuditlogOutputConfig {
  type: 'auditlog';
  name?: string;
  path: string;
  /** prefix every line with node=<this> (auditd name_format); `true` means the host name */
  node?: string | boolean;
  /** MiB, like auditd's max_log_file */
  max_log_file?: number;
  num_logs?: number;
  max_log_file_action?: 'rotate' | 'ignore';
  /** fsync after every batch (auditd flush = SYNC); default off (INCREMENTAL_ASYNC-like) */
  fsync?: boolean;
}

export const auditlogSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'path'],
  properties: {
    type: { const: 'auditlog' },
    name: { type: 'string' },
    path: { type: 'string', minLength: 1 },
    node: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }], description: 'node= prefix: a name, or true for the host name' },
    max_log_file: { type: 'number', exclusiveMinimum: 0, default: 8, description: 'MiB before rotating (auditd max_log_file)' },
    num_logs: { type: 'integer', minimum: 1, maximum: 999, default: 5, description: 'files kept, the current one included (auditd num_logs)' },
    max_log_file_action: { enum: ['rotate', 'ignore'], default: 'rotate' },
    fsync: { type: 'boolean', default: false },
  },
} as const;

/** One record as auditd's RAW log line (without the newline). */
export function rawLine(r: AuditRecord, node: string | undefined): string {
  const sec = Math.floor(r.time / 1000);
  const ms = r.time - sec * 1000;
  const head = `type=${r.type} msg=audit(${sec}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}:${r.serial}): `;
  const n = node ?? r.node;
  return n !== undefined ? `node=${n} ${head}${r.body}` : head + r.body;
}

export class AuditlogOutput implements Output {
  readonly name: string;
  private readonly file: RotatingFile;
  private readonly node: string | undefined;
  private written = 0;
  private events = 0;
  private skipped = 0;

  constructor(cfg: AuditlogOutputConfig, ctx: Pick<BuildContext, 'hostName'> & Partial<Pick<BuildContext, 'log'>>, opts: { retryInitialMs?: number } = {}) {
    this.name = cfg.name ?? `auditlog:${cfg.path}`;
    this.node = cfg.node === true ? ctx.hostName || undefined : typeof cfg.node === 'string' ? cfg.node : undefined;
    const rotating = (cfg.max_log_file_action ?? 'rotate') === 'rotate';
    this.file = new RotatingFile({
      path: cfg.path,
      mode: 0o600,
      dirMode: 0o700,
      maxBytes: rotating ? Math.floor((cfg.max_log_file ?? 8) * 1024 * 1024) : 0,
      maxAgeMs: 0,
      // auditd's num_logs counts the current file
      keep: (cfg.num_logs ?? 5) - 1,
      // off: like auditd's INCREMENTAL_ASYNC, synced within a second
      fsync: cfg.fsync ? 'batch' : 'interval',
      fsyncIntervalMs: 1000,
      log: ctx.log ?? silentLogger,
      retryInitialMs: opts.retryInitialMs,
    });
  }

  start(): Promise<void> {
    return this.file.open();
  }

  /** Each event's records as one unit: rotation and failed-write recovery never split an event. */
  async write(records: readonly NormalizedRecord[]): Promise<void> {
    const units: string[] = [];
    let lines = 0;
    for (let i = 0; i < records.length; i++) {
      const raw = records[i][kRaw];
      if (!Array.isArray(raw) || raw.length === 0) {
        this.skipped++;
        continue;
      }
      let ev = '';
      for (let j = 0; j < raw.length; j++) ev += rawLine(raw[j], this.node) + '\n';
      units.push(ev);
      lines += raw.length;
    }
    await this.file.append(units);
    this.written += lines;
    this.events += units.length;
  }

  close(deadlineMs?: number): Promise<void> {
    return this.file.close(deadlineMs);
  }

  reopen(): Promise<void> {
    return this.file.reopen();
  }

  stats(): Record<string, number> {
    const f = this.file.stats();
    return { records: this.written, events: this.events, skipped: this.skipped, ...f, bytes: f.file_bytes };
  }
}

export const auditlogOutput: ComponentDef<Output> = {
  type: 'auditlog',
  schema: auditlogSchema,
  build: (cfg: AuditlogOutputConfig, ctx) => new AuditlogOutput(cfg, ctx),
  preflight: (cfg: AuditlogOutputConfig, where) => checkWritablePath(`${where}.path`, cfg.path, 'file'),
};
