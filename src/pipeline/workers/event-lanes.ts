// The daemon's side of its lanes (config `threads`): an audit input's batches of complete events
// (their lines) are dealt round-robin to lane threads that normalize, enrich, filter and
// serialize them (src/pipeline/workers/normalize-lane.ts, the same lane `normalize` uses); each
// batch's answer, JSON lines and how many, comes back through its own promise. The pipeline
// writes answers in push order and acknowledges them as it does record batches.

import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import type { Batch, FromLane, ToLane } from './lane-protocol.js';
import { LANE_YOUNG_MB, newLane } from './lanes.js';
import type { NormalizeSetup } from './normalize-setup.js';

export interface LaneAnswer {
  bytes: Uint8Array;
  records: number;
}

export class EventLanes {
  private readonly workers: Worker[] = [];
  private nextSeq = 0;
  private readonly waiting = new Map<number, { resolve(a: LaneAnswer): void; reject(err: Error): void }>();
  private failed: Error | undefined;
  private closing = false;
  private ended = 0;
  private readonly endedBytes: Uint8Array[] = [];
  private onEnded: (() => void) | undefined;

  constructor(
    lanes: number,
    setup: NormalizeSetup,
    private readonly log: Logger,
    logLevel: string,
  ) {
    for (let i = 0; i < lanes; i++) {
      const w = newLane({ maxYoungGenerationSizeMb: LANE_YOUNG_MB });
      w.on('message', (m: FromLane) => this.message(i, m));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`lane ${i} exited with ${code}`));
      });
      w.postMessage({ kind: 'init', setup, logLevel } satisfies ToLane);
      this.workers.push(w);
    }
  }

  /** Normalizes, filters and serializes one batch; rejects only when a lane died (a bug). */
  run(batch: Batch): Promise<LaneAnswer> {
    if (this.failed) return Promise.reject(this.failed);
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.workers[seq % this.workers.length].postMessage({ kind: 'batch', seq, ...batch } satisfies ToLane, [batch.bytes.buffer as ArrayBuffer]);
    });
  }

  /**
   * After the last run(): lets each lane's filters hand over what they held back (throttle
   * summaries) and stops the lanes; resolves with those lines.
   */
  async close(): Promise<Uint8Array[]> {
    try {
      if (this.failed) return [];
      const ended = new Promise<void>((resolve) => {
        this.onEnded = resolve;
      });
      for (const w of this.workers) w.postMessage({ kind: 'end' } satisfies ToLane);
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      return this.endedBytes.filter((b) => b !== undefined && b.length > 0);
    } finally {
      this.closing = true;
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  private message(lane: number, m: FromLane): void {
    if (m.kind === 'log') {
      // the lane's logger formatted it ("auditflow LEVEL: ..."): logged again at its level
      const at = /^auditflow (debug|info|warn|error): /.exec(m.line);
      const line = m.line.trimEnd();
      if (at) this.log[at[1] as 'warn'](`${line.slice(at[0].length)} lane=${lane}`);
      else this.log.warn(line, { lane });
      return;
    }
    if (m.kind === 'ended') {
      this.endedBytes[lane] = m.bytes;
      if (++this.ended === this.workers.length) this.onEnded?.();
      return;
    }
    const w = this.waiting.get(m.seq);
    this.waiting.delete(m.seq);
    w?.resolve({ bytes: m.bytes, records: m.records });
  }

  private fail(err: Error): void {
    if (this.failed || this.closing) return;
    this.failed = new Error(`lane: ${err.message}`, { cause: err });
    this.log.error(this.failed.message);
    for (const w of this.waiting.values()) w.reject(this.failed);
    this.waiting.clear();
    this.onEnded?.();
  }
}
