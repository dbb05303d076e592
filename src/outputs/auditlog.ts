// `type: auditlog` — an audit.log in auditd's RAW format, so ausearch/aureport keep working on a
// host where auditflow replaced auditd: each event's records as received from the kernel,
// `type=T msg=audit(SEC.MS:SERIAL): body`, optionally `node=N ` first (auditd's name_format).
// Rotation follows auditd's max_log_file / num_logs / max_log_file_action=ROTATE: audit.log
// becomes audit.log.1, .1 becomes .2, ... up to num_logs files in all. Files are mode 0600 in a
// 0700 directory, as auditd makes them. Records without audit records behind them (snoopy,
// bash history, auditflow's own lost-events notices) have no RAW form and are skipped (counted).

import { closeSync, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildContext, ComponentDef, Output } from '../pipeline/types.js';
import { kRaw, type NormalizedRecord } from '../record.js';
import type { AuditRecord } from '../audit/record.js';
import { AuditflowError } from '../errors.js';

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
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly node: string | undefined;
  private written = 0;
  private events = 0;
  private skipped = 0;
  private rotations = 0;

  constructor(private readonly cfg: AuditlogOutputConfig, ctx: Pick<BuildContext, 'hostName'>) {
    this.name = cfg.name ?? `auditlog:${cfg.path}`;
    this.maxBytes = Math.floor((cfg.max_log_file ?? 8) * 1024 * 1024);
    this.node = cfg.node === true ? (ctx.hostName || undefined) : typeof cfg.node === 'string' ? cfg.node : undefined;
  }

  private openFile(): void {
    try {
      mkdirSync(dirname(this.cfg.path), { recursive: true, mode: 0o700 });
      const fd = openSync(this.cfg.path, 'a', 0o600);
      // an existing file keeps its mode on open: make it 0600 like auditd does
      fchmodSync(fd, 0o600);
      this.size = fstatSync(fd).size;
      this.fd = fd;
    } catch (err) {
      throw new AuditflowError('AF_ERR_OUTPUT', `cannot open audit log: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
  }

  async start(): Promise<void> {
    this.openFile();
  }

  /** auditd's rotate_logs: .N-2 → .N-1 ... .1 → .2, current → .1, then a fresh file. */
  private rotate(): void {
    const n = this.cfg.num_logs ?? 5;
    const p = this.cfg.path;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (n < 2) {
      unlinkSync(p);
    } else {
      for (let i = n - 2; i >= 1; i--) if (existsSync(`${p}.${i}`)) renameSync(`${p}.${i}`, `${p}.${i + 1}`);
      renameSync(p, `${p}.1`);
    }
    this.rotations++;
    this.openFile();
  }

  private flushText(text: string): void {
    if (text.length === 0) return;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd!, buf, off, buf.length - off);
    this.size += buf.length;
  }

  async write(records: readonly NormalizedRecord[]): Promise<void> {
    if (this.fd === undefined) throw new AuditflowError('AF_ERR_OUTPUT', 'audit log is not open', this.cfg.path);
    const rotating = (this.cfg.max_log_file_action ?? 'rotate') === 'rotate';
    let text = '';
    let pending = 0;
    try {
      for (let i = 0; i < records.length; i++) {
        const raw = records[i][kRaw];
        if (!Array.isArray(raw) || raw.length === 0) { this.skipped++; continue; }
        let ev = '';
        for (let j = 0; j < raw.length; j++) ev += rawLine(raw[j], this.node) + '\n';
        // rotate between events, never inside one, once the file has reached its limit
        if (rotating && this.size + pending >= this.maxBytes && this.size + pending > 0) {
          this.flushText(text);
          text = '';
          pending = 0;
          this.rotate();
        }
        text += ev;
        pending += Buffer.byteLength(ev);
        this.written += raw.length;
        this.events++;
      }
      this.flushText(text);
      if (this.cfg.fsync) fsyncSync(this.fd!);
    } catch (err) {
      throw new AuditflowError('AF_ERR_OUTPUT', `write failed: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    try { fsyncSync(this.fd); } catch { /* best effort at shutdown */ }
    closeSync(this.fd);
    this.fd = undefined;
  }

  async reopen(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.openFile();
  }

  stats(): Record<string, number> {
    return { records: this.written, events: this.events, skipped: this.skipped, rotations: this.rotations, bytes: this.size };
  }
}

export const auditlogOutput: ComponentDef<Output> = {
  type: 'auditlog',
  schema: auditlogSchema,
  build: (cfg: AuditlogOutputConfig, ctx) => new AuditlogOutput(cfg, ctx),
};
