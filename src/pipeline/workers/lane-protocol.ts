// Messages between `normalize`'s main thread and its normalize lanes. A batch is its events'
// lines as UTF-8 bytes in one buffer that is transferred, not copied (thousands of small strings
// or parsed records cost more than the lane's work on them; one string, built by `+=`, was
// flattened, serialized and copied again by postMessage: 0.95 s of the daemon's main thread per
// 200,000 lines), the count of lines of each item, and the input errors among them. The lane
// parses the lines again with the same parser.

import { parseLine, isFailure, type AuditRecord } from '../../audit/record.js';
import type { NormalizeSetup } from './normalize-setup.js';

export interface Batch {
  /** the records' lines in UTF-8, each ended by "\n" (a line never holds one: it was split there) */
  bytes: Uint8Array;
  /** per item: its number of lines (an event), or 0 (an input error, next in `errors`) */
  shape: number[];
  /** code, message (without its `where: ` prefix), where; three per error */
  errors: (string | null)[];
}

export type ToLane = { kind: 'init'; setup: NormalizeSetup; logLevel: string } | ({ kind: 'batch'; seq: number } & Batch) | { kind: 'end' };

export type FromLane =
  /** `records`: how many lines `bytes` holds (what passed the filters) */
  | { kind: 'out'; seq: number; bytes: Uint8Array; records: number }
  /** After `end`: what the filters held back (throttle summaries), then the lane exits. */
  | { kind: 'ended'; bytes: Uint8Array }
  | { kind: 'log'; line: string };

/** A batch being filled on the main thread. */
export class BatchBuilder {
  private buf = Buffer.allocUnsafeSlow(64 << 10);
  private used = 0;
  private shape: number[] = [];
  private errors: (string | null)[] = [];
  lines = 0;

  event(lines: readonly string[]): void {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair's 4 bytes are 2 units)
      const most = this.used + line.length * 3 + 1;
      if (most > this.buf.length) {
        const next = Buffer.allocUnsafeSlow(Math.max(most, this.buf.length * 2));
        this.buf.copy(next, 0, 0, this.used);
        this.buf = next;
      }
      this.used += this.buf.write(line, this.used, 'utf8');
      this.buf[this.used++] = 0x0a;
    }
    this.lines += lines.length;
    this.shape.push(lines.length);
  }

  error(code: string, message: string, where: string | undefined): void {
    this.shape.push(0);
    this.errors.push(code, message, where ?? null);
  }

  get empty(): boolean {
    return this.shape.length === 0;
  }

  /** The batch; its bytes sit in their own ArrayBuffer, so they can be transferred. */
  take(): Batch {
    const b = { bytes: this.buf.subarray(0, this.used), shape: this.shape, errors: this.errors };
    // the next batch starts at about this one's size
    this.buf = Buffer.allocUnsafeSlow(Math.max(4096, this.used + (this.used >> 2)));
    this.used = 0;
    this.shape = [];
    this.errors = [];
    this.lines = 0;
    return b;
  }
}

/** What postMessage should transfer with a batch: its bytes' buffer. */
export const transferOf = (b: Batch): ArrayBuffer[] => [b.bytes.buffer as ArrayBuffer];

/** One batch of `a`'s items, then `b`'s (either may be missing). */
export function joinBatches(a: Batch | undefined, b: Batch | undefined): Batch | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const bytes = new Uint8Array(a.bytes.length + b.bytes.length);
  bytes.set(a.bytes, 0);
  bytes.set(b.bytes, a.bytes.length);
  return { bytes, shape: [...a.shape, ...b.shape], errors: [...a.errors, ...b.errors] };
}

/** Walks a batch in order. */
export function unpack(b: Batch, onEvent: (records: AuditRecord[]) => void, onError: (code: string, message: string, where: string | undefined) => void): void {
  const bytes = b.bytes;
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\n');
  let line = 0;
  let err = 0;
  for (const n of b.shape) {
    if (n === 0) {
      onError(b.errors[err]!, b.errors[err + 1]!, b.errors[err + 2] ?? undefined);
      err += 3;
      continue;
    }
    const records = new Array<AuditRecord>(n);
    for (let k = 0; k < n; k++) {
      const r = parseLine(lines[line++]);
      // the main thread parsed this very line already; the same parser cannot fail on it now
      if (isFailure(r)) throw new Error(`lane could not parse a line the reader parsed: ${r.error}`);
      records[k] = r;
    }
    onEvent(records);
  }
}
