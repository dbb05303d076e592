// JSON lines on standard output; write() resolves once the stream has taken the bytes, so a
// slow reader on the other end of a pipe slows the pipeline instead of growing memory.
import type { ComponentDef, Output } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { JsonLinesEncoder } from './json-lines.js';

export class StdoutOutput implements Output {
  readonly name: string;
  private written = 0;
  private readonly encoder = new JsonLinesEncoder();
  constructor(
    name = 'stdout',
    private readonly stream: NodeJS.WritableStream = process.stdout,
  ) {
    this.name = name;
  }
  async start(): Promise<void> {}
  write(records: readonly NormalizedRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    this.written += records.length;
    const bytes = this.encoder.encode(records);
    return new Promise((resolve, reject) => {
      const ok = this.stream.write(bytes, (err) => {
        if (err) reject(err);
        else this.encoder.recycle(bytes);
      });
      if (ok) resolve();
      else this.stream.once('drain', resolve);
    });
  }
  async close(): Promise<void> {}
  stats() {
    return { written: this.written };
  }
}

export const stdoutOutput: ComponentDef<Output> = {
  type: 'stdout',
  schema: {
    type: 'object',
    properties: { type: { const: 'stdout' }, name: { type: 'string' } },
    required: ['type'],
    additionalProperties: false,
  },
  build: (cfg: { name?: string }) => new StdoutOutput(cfg.name ?? 'stdout'),
};
