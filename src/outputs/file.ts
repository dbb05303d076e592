// Append-only JSON-lines file. Batches are written in order, one write(2) per batch.
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ComponentDef, Output } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { AuditflowError } from '../errors.js';
import { toJsonLines } from './json-lines.js';

export interface FileOutputConfig { type: 'file'; name?: string; path: string; mode?: string }

export class FileOutput implements Output {
  readonly name: string;
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private written = 0;
  private readonly mode: number;
  constructor(private readonly cfg: FileOutputConfig) {
    this.name = cfg.name ?? `file:${cfg.path}`;
    this.mode = parseInt(cfg.mode ?? '0600', 8);
  }
  async start(): Promise<void> {
    await mkdir(dirname(this.cfg.path), { recursive: true });
    try {
      this.fh = await open(this.cfg.path, 'a', this.mode);
    } catch (err) {
      throw new AuditflowError('AF_ERR_OUTPUT', `cannot open for append: ${(err as Error).message}`, this.cfg.path, { cause: err });
    }
  }
  write(records: readonly NormalizedRecord[]): Promise<void> {
    if (records.length === 0) return this.chain;
    const text = toJsonLines(records);
    const n = records.length;
    this.chain = this.chain.then(async () => {
      await this.fh!.appendFile(text);
      this.written += n;
    });
    return this.chain;
  }
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.fh?.close();
    this.fh = undefined;
  }
  async reopen(): Promise<void> {
    await this.chain.catch(() => {});
    const old = this.fh;
    this.fh = await open(this.cfg.path, 'a', this.mode);
    await old?.close();
  }
  stats() { return { written: this.written }; }
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
    },
    required: ['type', 'path'],
    additionalProperties: false,
  },
  build: (cfg: FileOutputConfig) => new FileOutput(cfg),
};
