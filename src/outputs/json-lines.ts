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

/**
 * Each record's JSON, one per element and without its newline, for a writer that may rotate
 * between records and ends each line itself (RotatingFile.append(units, true)).
 */
export function toJsonUnits(records: readonly NormalizedRecord[]): string[] {
  const out = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) out[i] = JSON.stringify(records[i]);
  return out;
}

/** Encodes batches of records as UTF-8 JSON lines; one encoder per thread or output. */
export class JsonLinesEncoder {
  private scratch = Buffer.allocUnsafeSlow(64 << 10);
  private used = 0;
  /** bytes of recent batches, smoothed: the size the next batch's buffer starts at */
  private typical = 64 << 10;

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
   * The batch built so far, and a fresh start. The bytes are handed over, not copied: the
   * caller owns them (a stream may hold them until written), and they sit in their own
   * ArrayBuffer, never the shared pool's, so they can be transferred to another thread.
   */
  take(): Buffer {
    const out = this.scratch.subarray(0, this.used);
    this.typical = Math.max(4096, Math.round(this.typical * 0.75 + this.used * 0.25));
    this.scratch = Buffer.allocUnsafeSlow(this.typical + (this.typical >> 2));
    this.used = 0;
    return out;
  }

  /** All of `records` as one Buffer of lines. */
  encode(records: readonly NormalizedRecord[]): Buffer {
    for (let i = 0; i < records.length; i++) this.add(records[i]);
    return this.take();
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(need, this.scratch.length * 2));
    this.scratch.copy(next, 0, 0, this.used);
    this.scratch = next;
  }
}
