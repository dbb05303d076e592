// A collector's write-ahead journal: every received audit line is appended here before the
// sender is told "received", and stays until the events made from it are delivered. A sender's
// ack then means what auditd's means — the record is on the collector's disk — yet the collector
// can still hold records while their event is being reassembled. After a crash the lines from
// the committed mark on are read again: events delivered but not yet committed come out twice
// (at-least-once), none is lost.
//
// Segments `<first seq>.jrn` of lines `origin<TAB>record`; a line's sequence number is its
// segment's first seq plus its line index. `mark` (the first seq not yet delivered) is saved with
// write-temp + rename; whole segments below it are deleted. Appends are plain writes (they
// survive the process being killed; `fsync: true` makes them survive power loss too).

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { AuditflowError } from '../errors.js';

export interface JournalEntry {
  seq: number;
  origin: string;
  text: string;
}

const SEGMENT_RE = /^(\d{16})\.jrn$/;
const segName = (seq: number) => `${String(seq).padStart(16, '0')}.jrn`;

export class Journal {
  private fd = -1;
  private segStart = 0;
  private segBytes = 0;
  private segments: number[] = [];
  nextSeq = 0;
  committed = 0;
  private savedMark = -1;
  private saveTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly opts: { segmentBytes?: number; fsync?: boolean } = {},
  ) {}

  /** Opens the journal and returns the lines not yet delivered, oldest first. */
  open(): JournalEntry[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    try {
      this.committed = JSON.parse(readFileSync(join(this.dir, 'mark'), 'utf8')).mark;
    } catch {
      this.committed = 0;
    }
    if (!Number.isSafeInteger(this.committed) || this.committed < 0) this.committed = 0;
    this.savedMark = this.committed;
    this.segments = readdirSync(this.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m) => m !== null)
      .map((m) => Number(m![1]))
      .sort((a, b) => a - b);
    const pending: JournalEntry[] = [];
    let next = this.committed;
    for (const start of this.segments) {
      const text = readFileSync(join(this.dir, segName(start)), 'utf8');
      let seq = start;
      let from = 0;
      for (;;) {
        const lf = text.indexOf('\n', from);
        if (lf < 0) break; // a torn last line was never acknowledged
        if (seq >= this.committed) {
          const tab = text.indexOf('\t', from);
          if (tab > from && tab < lf) pending.push({ seq, origin: text.slice(from, tab), text: text.slice(tab + 1, lf) });
        }
        seq++;
        from = lf + 1;
      }
      next = Math.max(next, seq);
    }
    this.nextSeq = next;
    // new lines always go to a fresh segment: the last one may end in a torn line
    this.roll();
    return pending;
  }

  /** Appends lines; returns the seq of the first. Throws AF_ERR_INPUT when the disk refuses. */
  append(origins: readonly string[], texts: readonly string[]): number {
    const first = this.nextSeq;
    let s = '';
    for (let i = 0; i < texts.length; i++) s += `${origins[i]}\t${texts[i]}\n`;
    const buf = Buffer.from(s, 'utf8');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off);
      if (this.opts.fsync) fsyncSync(this.fd);
    } catch (err) {
      throw new AuditflowError('AF_ERR_INPUT', `journal write failed: ${(err as Error).message}`, this.dir, { cause: err });
    }
    this.nextSeq += texts.length;
    this.segBytes += buf.length;
    if (this.segBytes >= (this.opts.segmentBytes ?? 8 << 20)) this.roll();
    return first;
  }

  /** Everything below `mark` is delivered. Saved shortly after (one write per burst of commits). */
  commit(mark: number): void {
    if (mark <= this.committed) return;
    this.committed = mark;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, 100);
  }

  close(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    this.save();
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private save(): void {
    if (this.committed === this.savedMark) return;
    const tmp = join(this.dir, 'mark.tmp');
    writeFileSync(tmp, JSON.stringify({ mark: this.committed }), { mode: 0o600 });
    renameSync(tmp, join(this.dir, 'mark'));
    this.savedMark = this.committed;
    // a segment is done once the next one starts at or below the mark
    while (this.segments.length > 1 && this.segments[1] <= this.committed) {
      try {
        unlinkSync(join(this.dir, segName(this.segments[0])));
      } catch {
        /* already gone */
      }
      this.segments.shift();
    }
  }

  private roll(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.segStart = this.nextSeq;
    if (this.segments[this.segments.length - 1] === this.segStart) {
      // an empty or torn segment starting here: its complete lines were already counted, so
      // appending after them would misnumber; start over (the torn tail was never acked)
      unlinkSync(join(this.dir, segName(this.segStart)));
      this.segments.pop();
    }
    this.fd = openSync(join(this.dir, segName(this.segStart)), 'a', 0o600);
    this.segments.push(this.segStart);
    this.segBytes = 0;
  }
}
