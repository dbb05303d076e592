// One JSON object per line. Symbol-keyed internals (kRaw) are skipped by JSON.stringify,
// and JSON escapes newlines, so a multi-line argv never splits a record across lines.
//
// Bytes, not one long string: `text += line` builds a rope that Buffer.from() must flatten and
// then encode a second time, which cost more than JSON.stringify itself (bench/PROFILE.md).
// Each record's flat string is encoded straight into a reused scratch buffer instead.
// V8's own JSON.stringify stays the serializer: a JS walker written for the record's shape
// measured slower than it on the single-record server log and no faster on the multi-record one.
// A record that carries its shape's template (kTemplate, from the normalizer) is written from the
// shape's bytes around its own time and serial, with no serializing at all.
import { kTemplate, type NormalizedRecord, type RecordTemplate } from '../record.js';

const TIME_KEY_TEXT = '{"@timestamp":"';
const TIME_KEY = Buffer.from(TIME_KEY_TEXT, 'latin1');
const EVENT_KEY = '","event":{';
/** "2016-12-07T02:16:25.414Z": the only time form templates are used for (plain ASCII) */
const ISO_LENGTH = 24;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const isSerial = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** Decimal digits of a serial (0 .. 2^32-1) at b[at]; returns the index after them. */
function writeDigits(b: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    b[i] = 0x30 + n - q * 10;
    n = q;
  }
  return at + digits;
}

/**
 * Fills in a template from a record of its shape as written (`line`: its JSON, UTF-8,
 * no newline): the bytes before and after its time and serial, when the line has the form the
 * normalizer gives (time first, then event with its sequence).
 */
function learn(template: RecordTemplate, rec: NormalizedRecord, line: Buffer): void {
  const time = rec['@timestamp'];
  const seq = rec.event.sequence;
  if (!ISO.test(time) || !isSerial(seq)) return;
  const start = TIME_KEY.length + ISO_LENGTH;
  if (line.toString('latin1', 0, start + EVENT_KEY.length) !== `${TIME_KEY_TEXT}${time}${EVENT_KEY}`) return;
  // the first `,"sequence":` after that is event's own: what comes before it in event is keys
  // and string values (module, kind, action), and a quote inside a JSON string is escaped
  const key = line.indexOf(',"sequence":', start, 'latin1');
  if (key < 0) return;
  const digits = String(seq);
  const at = key + 12;
  if (line.toString('latin1', at, at + digits.length) !== digits) return;
  template.head = Buffer.from(line.subarray(start, at));
  template.tail = Buffer.from(line.subarray(at + digits.length));
}

export function toJsonLines(records: readonly NormalizedRecord[]): string {
  let out = '';
  for (let i = 0; i < records.length; i++) out += JSON.stringify(records[i]) + '\n';
  return out;
}

/** Encodes batches of records as UTF-8 JSON lines; one encoder per thread or output. */
export class JsonLinesEncoder {
  private scratch = Buffer.allocUnsafeSlow(64 << 10);
  private used = 0;
  /** bytes of recent batches, smoothed: the size the next batch's buffer starts at */
  private typical = 64 << 10;
  /** buffers of batches taken and handed back (recycle()) */
  private readonly free: Buffer<ArrayBuffer>[] = [];

  /** Appends one record's line to the batch being built. */
  add(rec: NormalizedRecord): void {
    const template = rec[kTemplate];
    if (template !== undefined && template.tail !== undefined && this.addFrom(template, rec)) return;
    const s = JSON.stringify(rec);
    // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair's 4 bytes are 2 units)
    const need = this.used + s.length * 3 + 1;
    if (need > this.scratch.length) this.grow(need);
    const at = this.used;
    this.used += this.scratch.write(s, at, 'utf8');
    // a record carries a template only from its shape's second sight on (the normalizer and the
    // context stage make them then), so what is learned here is used again
    if (template !== undefined && template.tail === undefined) learn(template, rec, this.scratch.subarray(at, this.used));
    this.scratch[this.used++] = 0x0a;
  }

  /**
   * The line of a record exactly as normalized, from its shape's JSON and its own time and
   * serial: two copies of bytes instead of JSON.stringify and an encode. False (nothing written)
   * for a time or serial the template's form does not fit.
   */
  private addFrom(template: RecordTemplate, rec: NormalizedRecord): boolean {
    const time = rec['@timestamp'];
    const seq = rec.event.sequence;
    if (time.length !== ISO_LENGTH || !isSerial(seq)) return false;
    const head = template.head!;
    const tail = template.tail!;
    const need = this.used + TIME_KEY.length + ISO_LENGTH + head.length + 10 + tail.length + 1;
    if (need > this.scratch.length) this.grow(need);
    const b = this.scratch;
    let at = this.used;
    b.set(TIME_KEY, at);
    at += TIME_KEY.length;
    at += b.write(time, at, ISO_LENGTH, 'latin1');
    b.set(head, at);
    at += head.length;
    at = writeDigits(b, at, seq);
    b.set(tail, at);
    at += tail.length;
    b[at++] = 0x0a;
    this.used = at;
    return true;
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
    const size = this.typical + (this.typical >> 2);
    let next = this.free.pop();
    if (next === undefined || next.length < size) next = Buffer.allocUnsafeSlow(size);
    this.scratch = next;
    this.used = 0;
    return out;
  }

  /**
   * Hands back the bytes of a batch taken earlier once they are written, for a later batch to be
   * built in: a new buffer per batch is a fresh mapping of a few hundred KiB in a flood, whose
   * page faults and unmapping cost the daemon more system time than the writes.
   */
  recycle(batch: Buffer): void {
    if (this.free.length < 4 && batch.buffer instanceof ArrayBuffer) this.free.push(Buffer.from(batch.buffer, 0, batch.buffer.byteLength));
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
