// Bytes → lines, the one way every reader cuts them (the daemon's file tailer and `normalize`), so
// the same bytes give the same lines wherever they are read:
// - a line ends at LF; a CR just before it is dropped, so a CRLF file reads like an LF one (a CR
//   anywhere else is data);
// - text is UTF-8, and each byte that is not part of valid UTF-8 shows as `\xNN`, as in the audit
//   records' decoded fields (never U+FFFD: the bytes can be told from the text);
// - a line longer than maxLineBytes (counting a CR, not the LF) keeps its first maxLineBytes
//   bytes and is flagged `truncated`; the rest is skipped up to its LF without being held in
//   memory, and the line's `end` is past the whole line (what a checkpoint may commit).
// Input comes in pieces of any size (a pread, a stream chunk): a line split across pieces, or a
// UTF-8 character split across them, comes out whole.

import { isUtf8 } from 'node:buffer';
import { bytesToText } from '../../bytes-text.js';

/** The line cap when none is configured (the file inputs' max_line_bytes default). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

export interface Line {
  text: string;
  /** byte offset of the line's first byte */
  start: number;
  /** byte offset just past its LF (or the end of input for a last line without one) */
  end: number;
  /** set when the line was longer than maxLineBytes and only its head is in `text` */
  truncated?: boolean;
  /** 1-based line number, or 0 when unknown (reading resumed from a checkpoint without one) */
  line: number;
}

const LF = 10;
const CR = 13;

export class LineSplitter {
  readonly maxLineBytes: number;
  /** complete lines so far, or -1 when unknown */
  lineNo: number;
  /** bytes of an incomplete line (pieces, joined once the line completes), and where it starts */
  private carry: Buffer[] = [];
  private carryLen = 0;
  private carryStart = 0;
  /** an over-long line: its head is kept while the rest of it is skipped */
  private long: Line | null = null;

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES, lineNo = 0) {
    this.maxLineBytes = maxLineBytes;
    this.lineNo = lineNo;
  }

  /** Start offset of the incomplete line held back, or undefined when every byte pushed is in a line. */
  pendingStart(): number | undefined {
    if (this.long) return this.long.start;
    return this.carryLen > 0 ? this.carryStart : undefined;
  }

  /** Forgets any partial line (the input restarts, e.g. a truncated file read from 0). */
  reset(lineNo = 0): void {
    this.carry = [];
    this.carryLen = 0;
    this.long = null;
    this.lineNo = lineNo;
  }

  /** Splits buf[0, n), which sits at byte offset `base` of the input, into complete lines. */
  push(buf: Buffer, n: number, base: number, out: Line[]): void {
    // one UTF-8 check for the whole piece in the usual case; lines are checked alone only when it fails
    const valid = isUtf8(buf.subarray(0, n));
    const max = this.maxLineBytes;
    let pos = 0;
    while (pos < n) {
      const nl = buf.indexOf(LF, pos);
      const stop = nl === -1 || nl >= n ? n : nl;
      if (this.long) {
        if (stop < n) {
          this.long.end = base + stop + 1;
          this.long.line = this.nextLineNo();
          out.push(this.long);
          this.long = null;
        }
        pos = stop + 1;
        continue;
      }
      if (stop === n) {
        // no LF yet: keep the bytes until the line completes, or only its head once it is too long
        const piece = buf.subarray(pos, n);
        if (this.carryLen === 0) this.carryStart = base + pos;
        this.carry.push(Buffer.from(piece));
        this.carryLen += piece.length;
        if (this.carryLen > max) {
          const head = Buffer.concat(this.carry, this.carryLen);
          this.long = { text: bytesToText(head.subarray(0, max)), start: this.carryStart, end: base + n, truncated: true, line: 0 };
          this.carry = [];
          this.carryLen = 0;
        }
        return;
      }
      if (this.carryLen > 0) {
        if (stop > pos) this.carry.push(buf.subarray(pos, stop));
        const whole = Buffer.concat(this.carry, this.carryLen + stop - pos);
        out.push(this.lineOf(whole, 0, whole.length, false, this.carryStart, base + stop + 1));
        this.carry = [];
        this.carryLen = 0;
      } else {
        out.push(this.lineOf(buf, pos, stop, valid, base + pos, base + stop + 1));
      }
      pos = stop + 1;
    }
  }

  /** The input ended: a last line without an LF is a line too (batch reads; a tailer waits instead). */
  end(out: Line[]): void {
    if (this.long) {
      this.long.line = this.nextLineNo();
      out.push(this.long);
      this.long = null;
    } else if (this.carryLen > 0) {
      const whole = Buffer.concat(this.carry, this.carryLen);
      out.push(this.lineOf(whole, 0, whole.length, false, this.carryStart, this.carryStart + whole.length));
      this.carry = [];
      this.carryLen = 0;
    }
  }

  private nextLineNo(): number {
    return this.lineNo < 0 ? 0 : ++this.lineNo;
  }

  /** The line of buf[from, to) (its LF excluded); `valid`: the bytes are known to be UTF-8. */
  private lineOf(buf: Buffer, from: number, to: number, valid: boolean, start: number, end: number): Line {
    const max = this.maxLineBytes;
    if (to - from > max) {
      return { text: bytesToText(buf.subarray(from, from + max)), start, end, truncated: true, line: this.nextLineNo() };
    }
    if (to > from && buf[to - 1] === CR) to--;
    const text = valid ? buf.toString('utf8', from, to) : bytesToText(buf.subarray(from, to));
    return { text, start, end, line: this.nextLineNo() };
  }
}
