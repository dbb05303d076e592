// One JSON object per line. Symbol-keyed internals (kRaw) are skipped by JSON.stringify,
// and JSON escapes newlines, so a multi-line argv never splits a record across lines.
//
// Bytes, not one long string: `text += line` builds a rope that Buffer.from() must flatten and
// then encode a second time, which cost more than JSON.stringify itself (bench/PROFILE.md).
// Each record's flat string is encoded straight into a reused scratch buffer instead.
// V8's own JSON.stringify stays the serializer: a JS walker written for the record's shape
// measured slower than it on the single-record server log and no faster on the multi-record one.
import type { NormalizedRecord } from '../record.js';

export function toJsonLines(records: readonly NormalizedRecord[]): string {
  let out = '';
  for (let i = 0; i < records.length; i++) out += JSON.stringify(records[i]) + '\n';
  return out;
}

/** The same lines one per element, for a writer that may rotate between records. */
export function toJsonLineUnits(records: readonly NormalizedRecord[]): string[] {
  const out = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = JSON.stringify(records[i]) + '\n';
  return out;
}

/** A scratch buffer larger than this after a giant batch is dropped, not kept for the next. */
const KEEP_SCRATCH_BYTES = 4 << 20;

/** Encodes batches of records as UTF-8 JSON lines; one encoder per thread or output. */
export class JsonLinesEncoder {
  private scratch = Buffer.allocUnsafe(256 << 10);
  private used = 0;

  /** Appends one record's line to the batch being built. */
  add(rec: NormalizedRecord): void {
    const s = JSON.stringify(rec);
    // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair's 4 bytes are 2 units)
    const need = this.used + s.length * 3 + 1;
    if (need > this.scratch.length) this.grow(need);
    this.used += this.scratch.write(s, this.used, 'utf8');
    this.scratch[this.used++] = 0x0a;
  }

  get pending(): number {
    return this.used;
  }

  /**
   * The batch built so far, as its own Buffer (a copy: the caller may hold it while the
   * scratch is reused; its own ArrayBuffer, never the shared pool's, so it can be transferred
   * to another thread), and a fresh start.
   */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.used);
    this.scratch.copy(out, 0, 0, this.used);
    this.used = 0;
    if (this.scratch.length > KEEP_SCRATCH_BYTES) this.scratch = Buffer.allocUnsafe(256 << 10);
    return out;
  }

  /** All of `records` as one Buffer of lines. */
  encode(records: readonly NormalizedRecord[]): Buffer {
    for (let i = 0; i < records.length; i++) this.add(records[i]);
    return this.take();
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    this.scratch.copy(next, 0, 0, this.used);
    this.scratch = next;
  }
}
