// The disk half of an output's queue: JSON lines in numbered segment files under one directory,
// plus a cursor file saying how much of each segment was delivered. Appends go to the last
// segment; reads run ahead of the delivered cursor (records handed to an output that confirms
// later); a segment is deleted once delivered. The cursor is written to a temp file and renamed
// over, so a crash leaves the old or the new cursor, never half of one; the worst a crash does is
// resend what was not known delivered at the last cursor write. The cursor also says how far
// reads had got (`sent`), so the next run knows how many of its records are sent a second time.

import { chmod, open, readdir, readFile, rename, unlink, writeFile, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AuditflowError } from '../../errors.js';
import type { Logger } from '../../log.js';

interface Segment {
  id: number;
  bytes: number;
  records: number;
  /** delivered so far */
  doneBytes: number;
  doneRecords: number;
  /** read (handed to the output) so far: at least the delivered part */
  readBytes: number;
  readRecords: number;
}

export interface SpoolRead {
  /** the lines read (empty when the records came from the queue's in-memory copy) */
  lines: string[];
  /** how many records this covers */
  count: number;
  /** bytes of those lines in the segment, to commit once delivered */
  bytes: number;
  segment: number;
}

export interface SpoolPosition {
  segment: number;
  offset: number;
}

const CURSOR = 'cursor.json';
const NAME = /^(\d{12})\.jsonl$/;
const fileOf = (id: number) => String(id).padStart(12, '0') + '.jsonl';
// ids start mid-range so segments can also be put in front of the first one (shutdown)
const FIRST_ID = 500_000_000_000;

export class DiskSpool {
  private segments: Segment[] = [];
  private tail: FileHandle | null = null;
  private tailId = -1;
  private nextId = FIRST_ID;
  private readBuf = Buffer.allocUnsafe(1 << 20);
  /** lines that could not be parsed back (torn write after a crash, disk corruption) */
  corrupt = 0;
  /** records at the read position that a previous run had read but not seen delivered */
  replay = 0;

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly fsync: boolean,
    private readonly log: Logger,
  ) {}

  /** Opens the directory and picks up what a previous run left. */
  async open(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // spooled records are as private as audit.log; a spool made by an older version is fixed
      await chmod(dirname(this.dir), 0o700);
      await chmod(this.dir, 0o700);
      for (const n of await readdir(this.dir)) await chmod(join(this.dir, n), 0o600);
    } catch (err) {
      throw new AuditflowError('AF_ERR_SPOOL', `cannot create spool directory: ${(err as Error).message}`, this.dir);
    }
    let cursor: Record<string, [number, number]> = {};
    let sent: [number, number] = [0, 0];
    try {
      const saved = JSON.parse(await readFile(join(this.dir, CURSOR), 'utf8'));
      cursor = saved.done ?? {};
      sent = saved.sent ?? sent;
    } catch {
      /* no cursor yet: nothing delivered */
    }
    const names = (await readdir(this.dir)).filter((n) => NAME.test(n)).sort();
    for (const n of names) {
      const id = Number(NAME.exec(n)![1]);
      const data = await readFile(join(this.dir, n));
      // a torn last line (crash mid-append) is not counted and is skipped when read
      let records = 0;
      let end = 0;
      for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) {
        records++;
        end = i + 1;
      }
      if (end < data.length) this.corrupt++;
      const [doneBytes, doneRecords] = cursor[String(id)] ?? [0, 0];
      if (doneBytes >= end) {
        await unlink(join(this.dir, n)).catch(() => {});
        continue;
      }
      const sentTo = id < sent[0] ? end : id === sent[0] ? Math.min(end, sent[1]) : 0;
      for (let i = data.indexOf(10, doneBytes); i >= 0 && i < sentTo; i = data.indexOf(10, i + 1)) this.replay++;
      this.segments.push({ id, bytes: end, records, doneBytes, doneRecords, readBytes: doneBytes, readRecords: doneRecords });
      this.nextId = Math.max(this.nextId, id + 1);
    }
    if (this.segments.length)
      this.log.info('spool has records from a previous run', { dir: this.dir, records: this.records, bytes: this.bytes, sent_before: this.replay });
  }

  get records(): number {
    let n = 0;
    for (const s of this.segments) n += s.records - s.doneRecords;
    return n;
  }

  /** Bytes not yet delivered. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes - s.doneBytes;
    return n;
  }

  /** Nothing spooled that is not delivered. */
  get empty(): boolean {
    return this.segments.length === 0;
  }

  /** Something spooled that was not read yet. */
  get unread(): boolean {
    return this.unreadSegment() !== undefined;
  }

  private unreadSegment(): Segment | undefined {
    for (const s of this.segments) if (s.readBytes < s.bytes) return s;
    return undefined;
  }

  /** Where the next read starts, or null when everything spooled was read. */
  head(): SpoolPosition | null {
    const s = this.unreadSegment();
    return s ? { segment: s.id, offset: s.readBytes } : null;
  }

  /** Appends newline-terminated JSON lines as the newest records; returns where they start. */
  async append(text: string, records: number): Promise<SpoolPosition> {
    let last = this.segments[this.segments.length - 1];
    if (!last || last.id !== this.tailId || last.bytes >= this.segmentBytes) {
      await this.closeTail();
      // ids only grow, even across an emptied spool, so a position never means two places
      const id = Math.max(last ? last.id + 1 : FIRST_ID, this.nextId);
      this.nextId = id + 1;
      this.tail = await open(join(this.dir, fileOf(id)), 'a+', 0o600);
      this.tailId = id;
      last = { id, bytes: 0, records: 0, doneBytes: 0, doneRecords: 0, readBytes: 0, readRecords: 0 };
      this.segments.push(last);
    }
    const buf = Buffer.from(text);
    const at = { segment: last.id, offset: last.bytes };
    await this.tail!.write(buf, 0, buf.length, null);
    if (this.fsync) await this.tail!.sync();
    last.bytes += buf.length;
    last.records += records;
    return at;
  }

  /**
   * Puts records in front of everything spooled (memory queue saved at shutdown); the first
   * `sentBytes` of them (`sentRecords` records) were already sent, so the next run counts them
   * as sent again.
   */
  async prepend(text: string, records: number, sentBytes = 0, sentRecords = 0): Promise<void> {
    if (records === 0) return;
    const id = (this.segments[0]?.id ?? this.nextId + 1) - 1;
    const buf = Buffer.from(text);
    const fh = await open(join(this.dir, fileOf(id)), 'w', 0o600);
    try {
      await fh.write(buf, 0, buf.length, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.segments.unshift({ id, bytes: buf.length, records, doneBytes: 0, doneRecords: 0, readBytes: sentBytes, readRecords: sentRecords });
    await this.saveCursor();
  }

  /** Reads up to `max` of the oldest unread lines (without delivering them). */
  async read(max: number): Promise<SpoolRead | null> {
    const s = this.unreadSegment();
    if (s) {
      const fh = s.id === this.tailId && this.tail ? this.tail : await open(join(this.dir, fileOf(s.id)), 'r');
      try {
        const lines: string[] = [];
        let pos = s.readBytes;
        let consumed = 0;
        while (lines.length < max && pos < s.bytes) {
          const want = Math.min(this.readBuf.length, s.bytes - pos);
          const { bytesRead } = await fh.read(this.readBuf, 0, want, pos);
          if (bytesRead === 0) break;
          let start = 0;
          let nl = this.readBuf.indexOf(10, 0);
          while (nl >= 0 && nl < bytesRead && lines.length < max) {
            lines.push(this.readBuf.toString('utf8', start, nl));
            start = nl + 1;
            nl = this.readBuf.indexOf(10, start);
          }
          if (start === 0) {
            if (want < this.readBuf.length) {
              this.corrupt++;
              consumed += s.bytes - pos;
              pos = s.bytes;
              break;
            }
            // one line longer than the buffer: grow and read again
            this.readBuf = Buffer.allocUnsafe(this.readBuf.length * 2);
            continue;
          }
          pos += start;
          consumed += start;
        }
        const r = { lines, count: lines.length, bytes: consumed, segment: s.id };
        this.markRead(r);
        return r;
      } finally {
        if (fh !== this.tail) await fh.close();
      }
    }
    return null;
  }

  /** Marks records taken from the queue's in-memory copy (not read from disk) as read. */
  markRead(r: SpoolRead): void {
    const s = this.segments.find((x) => x.id === r.segment);
    if (!s) return;
    s.readBytes += r.bytes;
    s.readRecords += r.count;
  }

  /** Marks what `read` returned as delivered; reads are committed in the order they were made. */
  async commit(r: SpoolRead, records: number): Promise<void> {
    const s = this.segments.find((x) => x.id === r.segment);
    if (!s) return; // dropped meanwhile (drop_oldest)
    s.doneBytes += r.bytes;
    s.doneRecords += records;
    if (s.doneBytes >= s.bytes && s.id !== this.tailId) await this.dropHead(s);
    else if (s.doneBytes >= s.bytes && s.id === this.tailId) await this.resetTail(s);
    await this.saveCursor();
  }

  /**
   * Deletes the oldest segment, delivered or not; returns how many unread records went (those
   * read were handed to the output: they will arrive, though a crash can no longer resend them).
   */
  async dropOldest(): Promise<number> {
    const s = this.segments[0];
    if (!s) return 0;
    const lost = s.records - s.readRecords;
    if (s.id === this.tailId) await this.resetTail(s);
    else await this.dropHead(s);
    await this.saveCursor();
    return lost;
  }

  async close(): Promise<void> {
    await this.closeTail();
    await this.saveCursor();
  }

  private async resetTail(s: Segment): Promise<void> {
    await this.closeTail();
    await this.dropHead(s);
  }

  private async dropHead(s: Segment = this.segments[0]): Promise<void> {
    const i = this.segments.indexOf(s);
    if (i >= 0) this.segments.splice(i, 1);
    await unlink(join(this.dir, fileOf(s.id))).catch(() => {});
  }

  private async closeTail(): Promise<void> {
    const t = this.tail;
    this.tail = null;
    this.tailId = -1;
    if (t) await t.close();
  }

  /** Saves how far delivery and reads have got. */
  async saveCursor(): Promise<void> {
    const done: Record<string, [number, number]> = {};
    let sent: [number, number] | undefined;
    for (const s of this.segments) {
      if (s.doneBytes > 0) done[String(s.id)] = [s.doneBytes, s.doneRecords];
      if (s.readBytes > 0) sent = [s.id, s.readBytes];
    }
    const tmp = join(this.dir, CURSOR + '.tmp');
    await writeFile(tmp, JSON.stringify({ version: 1, done, sent }), { mode: 0o600 });
    await rename(tmp, join(this.dir, CURSOR));
  }
}
