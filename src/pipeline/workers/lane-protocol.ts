// Messages between `normalize`'s main thread and its normalize lanes. A batch is its events'
// lines as UTF-8 bytes, "\n" between them, in one transferred buffer: it crosses threads without
// a copy, and batches queued for a busy lane wait outside its heap (as strings they waited in
// its young generation, were copied by every scavenge and promoted: on 1M server records the
// lane's GC took more CPU than its work). With it go the count of lines of each item and the
// input errors among them. The lane decodes each line on its own, as the main thread's reader
// does, and parses it again with the same parser.

import { parseLine, isFailure, type AuditRecord } from '../../audit/record.js';
import type { NormalizeSetup } from './normalize-setup.js';

export interface Batch {
  /** the records' lines in UTF-8, "\n" between them (a line never holds one: it was split there) */
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

const encoder = new TextEncoder();
const LF = 10;

/** A batch being filled on the main thread. */
export class BatchBuilder {
  private text = '';
  private shape: number[] = [];
  private errors: (string | null)[] = [];
  lines = 0;

  /** One event, as its records' lines. */
  event(records: readonly { line: string }[]): void {
    for (let i = 0; i < records.length; i++) this.text += this.lines++ === 0 ? records[i].line : `\n${records[i].line}`;
    this.shape.push(records.length);
  }

  error(code: string, message: string, where: string | undefined): void {
    this.shape.push(0);
    this.errors.push(code, message, where ?? null);
  }

  get empty(): boolean {
    return this.shape.length === 0;
  }

  take(): Batch {
    // TextEncoder gives the batch a buffer of its own (Buffer.from may hand out a slice of a
    // shared pool, which cannot be transferred)
    const b = { bytes: encoder.encode(this.text), shape: this.shape, errors: this.errors };
    this.text = '';
    this.shape = [];
    this.errors = [];
    this.lines = 0;
    return b;
  }
}

/** One batch of `a`'s items, then `b`'s (either may be missing). */
export function joinBatches(a: Batch | undefined, b: Batch | undefined): Batch | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  let bytes: Uint8Array;
  if (a.bytes.length === 0 || b.bytes.length === 0) bytes = a.bytes.length === 0 ? b.bytes : a.bytes;
  else {
    bytes = new Uint8Array(a.bytes.length + 1 + b.bytes.length);
    bytes.set(a.bytes);
    bytes[a.bytes.length] = LF;
    bytes.set(b.bytes, a.bytes.length + 1);
  }
  return { bytes, shape: [...a.shape, ...b.shape], errors: [...a.errors, ...b.errors] };
}

/** Walks a batch in order. */
export function unpack(b: Batch, onEvent: (records: AuditRecord[]) => void, onError: (code: string, message: string, where: string | undefined) => void): void {
  const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length);
  let at = 0;
  let err = 0;
  for (const n of b.shape) {
    if (n === 0) {
      onError(b.errors[err]!, b.errors[err + 1]!, b.errors[err + 2] ?? undefined);
      err += 3;
      continue;
    }
    const records = new Array<AuditRecord>(n);
    for (let k = 0; k < n; k++) {
      let end = buf.indexOf(LF, at);
      if (end < 0) end = buf.length;
      // each line a string of its own, as the reader makes them: slices of one batch string
      // would keep the whole batch alive in the body cache
      const r = parseLine(buf.toString('utf8', at, end));
      at = end + 1;
      // the main thread read this line's header already, and a body never fails a line
      if (isFailure(r)) throw new Error(`lane could not parse a line whose header the reader read: ${r.error}`);
      records[k] = r;
    }
    onEvent(records);
  }
}
