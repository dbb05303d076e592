// The main thread's side of `normalize`'s lanes: reassembled events are packed into batches,
// dealt round-robin to the lane threads, and the JSON lines they answer are written in batch
// order, so the output is byte for byte what one thread would print. Batches in flight are
// bounded (memory stays flat however far the lanes fall behind).

import { Worker } from 'node:worker_threads';
import type { AuditflowError } from '../../errors.js';
import { BatchBuilder, type FromLane, type ToLane } from './lane-protocol.js';
import type { NormalizeSetup } from './normalize-setup.js';

/** A batch goes out at this many records (or at a file's end). */
const BATCH_RECORDS = 256;
/** Batches sent and not yet written, per lane, before the reader waits. */
const IN_FLIGHT_PER_LANE = 4;
/** A lane's young generation: its garbage is short-lived, and each MiB here is RSS per lane. */
export const LANE_YOUNG_MB = 8;

// Running from source (tests, tsx) the lane is a .ts file: the worker registers tsx's loader
// itself, since a worker does not take the parent's `--import tsx` hooks on Node 20.
const here = import.meta.url;
const fromSource = here.endsWith('.ts');
const laneUrl = new URL(fromSource ? './normalize-lane.ts' : './normalize-lane.js', here);
export const newLane = (limits: { maxYoungGenerationSizeMb: number }) =>
  fromSource
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(laneUrl.href)}); })`, {
        eval: true,
        resourceLimits: limits,
      })
    : new Worker(laneUrl, { resourceLimits: limits });

export interface LanesOptions {
  lanes: number;
  setup: NormalizeSetup;
  logLevel: string;
  out: NodeJS.WritableStream;
  /** a lane's log lines (filter warnings) */
  log(line: string): void;
}

export class NormalizeLanes {
  private readonly workers: Worker[] = [];
  private readonly batch = new BatchBuilder();
  private nextSeq = 0;
  private nextWrite = 0;
  private readonly done = new Map<number, Uint8Array>();
  private waiters: (() => void)[] = [];
  private failed: Error | undefined;
  private ended = 0;
  private readonly endedBytes: Uint8Array[] = [];
  private onEnded: (() => void) | undefined;
  private endFailed: ((err: Error) => void) | undefined;
  private closing = false;

  constructor(private readonly opts: LanesOptions) {
    for (let i = 0; i < opts.lanes; i++) {
      const w = newLane({ maxYoungGenerationSizeMb: LANE_YOUNG_MB });
      w.on('message', (m: FromLane) => this.message(i, m));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`normalize lane ${i} exited with ${code}`));
      });
      this.send(w, { kind: 'init', setup: opts.setup, logLevel: opts.logLevel });
      this.workers.push(w);
    }
  }

  /** One reassembled event, as the lines its records were read from. */
  event(records: readonly { line: string }[]): void {
    this.batch.event(records);
    if (this.batch.lines >= BATCH_RECORDS) this.dispatch();
  }

  /** An input error, shipped as a pipeline_error record in its place among the events. */
  error(err: AuditflowError): void {
    const bare = err.where !== undefined && err.message.startsWith(`${err.where}: `) ? err.message.slice(err.where.length + 2) : err.message;
    this.batch.error(err.code, bare, err.where);
  }

  /** Resolves once the reader may go on (few enough batches in flight). */
  ready(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.nextSeq - this.nextWrite < IN_FLIGHT_PER_LANE * this.workers.length) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push(() => (this.failed ? reject(this.failed) : resolve())));
  }

  /** Sends what is batched and waits until every batch is written (a file's end). */
  async flush(): Promise<void> {
    this.dispatch();
    while (this.nextWrite < this.nextSeq) {
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failed) throw this.failed;
  }

  /** Flushes, lets each lane's filters hand over what they held back, and stops the lanes. */
  async close(): Promise<void> {
    try {
      await this.flush();
      const ended = new Promise<void>((resolve, reject) => {
        this.onEnded = resolve;
        this.endFailed = reject;
      });
      for (const w of this.workers) this.send(w, { kind: 'end' });
      await ended;
      for (const b of this.endedBytes) await this.write(b);
    } finally {
      this.closing = true;
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  private dispatch(): void {
    if (this.batch.empty) return;
    const seq = this.nextSeq++;
    const batch = this.batch.take();
    this.send(this.workers[seq % this.workers.length], { kind: 'batch', seq, ...batch }, [batch.bytes.buffer as ArrayBuffer]);
  }

  private send(w: Worker, m: ToLane, transfer?: ArrayBuffer[]): void {
    w.postMessage(m, transfer);
  }

  private message(lane: number, m: FromLane): void {
    if (m.kind === 'log') {
      this.opts.log(m.line);
      return;
    }
    if (m.kind === 'ended') {
      this.endedBytes[lane] = m.bytes;
      if (++this.ended === this.workers.length) this.onEnded?.();
      return;
    }
    this.done.set(m.seq, m.bytes);
    if (m.seq === this.nextWrite) void this.writeReady();
  }

  private writing = false;
  /** Writes the finished batches that are next in order; waits for the stream to drain. */
  private async writeReady(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.done.has(this.nextWrite)) {
        const bytes = this.done.get(this.nextWrite)!;
        this.done.delete(this.nextWrite);
        await this.write(bytes);
        this.nextWrite++;
        this.wake();
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.writing = false;
    }
  }

  private write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = this.opts.out.write(bytes, (err) => {
        if (err) reject(err);
      });
      if (ok) resolve();
      else this.opts.out.once('drain', resolve);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** A lane that crashed or a stream that failed ends the run: a bug or a closed stdout, never bad input. */
  private fail(err: Error): void {
    if (this.failed || this.closing) return;
    this.failed = new Error(`normalize lane: ${err.message}`, { cause: err });
    this.wake();
    this.endFailed?.(this.failed);
  }
}
