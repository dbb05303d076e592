// Messages between `normalize`'s main thread and its normalize lanes. A batch is its events'
// lines joined into one string (one copy across threads, where thousands of small strings or
// parsed records cost more than the lane's work on them), the count of lines of each item, and
// the input errors among them. The lane parses the lines again with the same parser.

import { parseLine, isFailure, type AuditRecord } from '../../audit/record.js';
import type { NormalizeSetup } from './normalize-setup.js';

export interface Batch {
  /** the records' lines, "\n" between them (a line never holds one: it was split there) */
  text: string;
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
  private text = '';
  private shape: number[] = [];
  private errors: (string | null)[] = [];
  lines = 0;

  event(lines: readonly string[]): void {
    for (let i = 0; i < lines.length; i++) this.text += this.lines++ === 0 ? lines[i] : `\n${lines[i]}`;
    this.shape.push(lines.length);
  }

  error(code: string, message: string, where: string | undefined): void {
    this.shape.push(0);
    this.errors.push(code, message, where ?? null);
  }

  get empty(): boolean {
    return this.shape.length === 0;
  }

  take(): Batch {
    const b = { text: this.text, shape: this.shape, errors: this.errors };
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
  const text = a.text === '' ? b.text : b.text === '' ? a.text : `${a.text}\n${b.text}`;
  return { text, shape: [...a.shape, ...b.shape], errors: [...a.errors, ...b.errors] };
}

/** Walks a batch in order. */
export function unpack(b: Batch, onEvent: (records: AuditRecord[]) => void, onError: (code: string, message: string, where: string | undefined) => void): void {
  const lines = b.text.split('\n');
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
