// An output that can be switched down and up, following the Output contract of the real sinks:
// while down, write() waits (the sink retries internally) until it comes back or is closed.
import type { Output } from '../../src/pipeline/types.js';
import type { NormalizedRecord } from '../../src/record.js';
import { AuditflowError } from '../../src/errors.js';

export class TestSink implements Output {
  readonly received: NormalizedRecord[] = [];
  writes = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private isUp = true;
  private closed = false;
  constructor(readonly name = 'test-sink') {}
  async start(): Promise<void> {}
  get up(): boolean {
    return this.isUp;
  }
  set up(v: boolean) {
    this.isUp = v;
    if (v) for (const w of this.waiters.splice(0)) w.resolve();
  }
  async write(records: readonly NormalizedRecord[]): Promise<void> {
    this.writes++;
    while (!this.isUp) {
      if (this.closed) throw new AuditflowError('AF_ERR_OUTPUT', 'closed while down', this.name);
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    for (const r of records) this.received.push(r);
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new AuditflowError('AF_ERR_OUTPUT', 'closed while down', this.name));
  }
  stats() {
    return { received: this.received.length };
  }
}
