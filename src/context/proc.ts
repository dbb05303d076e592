// What /proc says about one live process, read once when the table first meets it. Every reader
// returns undefined when the process is gone (or never was): the caller counts that, never guesses.
import { closeSync, existsSync, openSync, readFileSync, readSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** start time in clock ticks since boot (field 22): with the pid, what makes a process unique */
  startTicks: number;
  /** exited, not yet reaped by its parent (state Z) */
  zombie: boolean;
}

/** USER_HZ: what /proc's tick fields count in; 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * `pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
 * cutime cstime priority nice num_threads itrealvalue starttime ...`: comm may hold spaces and
 * parentheses, so it ends at the LAST ')'; the fields after it are scanned, not split.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number.parseInt(text.slice(0, open), 10);
  // after ") " come state (field 3), ppid (4), pgrp (5), session (6) ... starttime (22)
  let field = 3;
  let start = close + 2;
  let ppid = Number.NaN;
  let pgid = Number.NaN;
  let sid = Number.NaN;
  let startTicks = Number.NaN;
  while (start < text.length && field <= 22) {
    let end = text.indexOf(' ', start);
    if (end < 0) end = text.length;
    if (field === 4) ppid = Number.parseInt(text.slice(start, end), 10);
    else if (field === 5) pgid = Number.parseInt(text.slice(start, end), 10);
    else if (field === 6) sid = Number.parseInt(text.slice(start, end), 10);
    else if (field === 22) startTicks = Number.parseInt(text.slice(start, end), 10);
    field++;
    start = end + 1;
  }
  if (!Number.isFinite(pid) || !Number.isFinite(ppid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), ppid, pgid, sid, startTicks, zombie: text.charCodeAt(close + 2) === 0x5a };
}

/**
 * A /proc file as text, undefined when it fails (the process went away between the check and
 * the read): the error is made without a stack trace, most of what a failed read costs. Always
 * utf8: Node reads it in one native call, where other encodings go through a 64 KiB buffer per
 * read of a file whose size /proc does not tell (twice as slow); a comm that is not UTF-8 only
 * names a process whose records name it better.
 */
function quietRead(path: string): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The one buffer every whole-at-once /proc read goes through (see readWhole). */
let scratch = Buffer.allocUnsafeSlow(8192);
const SCRATCH_KEPT = 64 << 10;

/**
 * A /proc file the kernel makes whole on the first read (stat, cgroup, sessionid: seq_file and
 * simple_read_from_buffer files), read into one reused buffer with open, read, close: such a
 * file gives a read everything it has when the buffer is large enough, so a short read is its
 * end, where readFileSync reads again to see 0 and makes a Buffer per file (13-18 µs a stat
 * instead of 20-21). undefined when it fails, as quietRead.
 */
function readWhole(path: string): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    let buf = scratch;
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
      if (got === 0 || n < buf.length) break;
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
      if (buf.length <= SCRATCH_KEPT) scratch = buf;
    }
    return buf.toString('utf8', 0, n);
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
    Error.stackTraceLimit = limit;
  }
}

/**
 * undefined when the process is gone: most unknown pids of an exec storm are, and asking first
 * costs one access(2) where a failed read costs an open and a thrown error (several times more).
 */
export function readStat(root: string, pid: number): ProcStat | undefined {
  const path = `${root}/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const text = readWhole(path);
  return text === undefined ? undefined : parseStat(text);
}

/** argv as the process set it (NUL-separated); undefined for kernel threads and gone processes. */
export function readCmdline(root: string, pid: number): string[] | undefined {
  const text = quietRead(`${root}/${pid}/cmdline`);
  if (text === undefined || text === '') return undefined;
  const args = text.split('\0');
  if (args[args.length - 1] === '') args.pop();
  return args;
}

export function readExe(root: string, pid: number): string | undefined {
  try {
    const exe = readlinkSync(`${root}/${pid}/exe`);
    // an executable replaced or removed since the exec still names the file it ran
    return exe.endsWith(' (deleted)') ? exe.slice(0, -10) : exe;
  } catch {
    return undefined;
  }
}

/** A small /proc file made whole on the first read (cgroup, sessionid). */
export function readText(root: string, pid: number, name: 'cgroup' | 'sessionid'): string | undefined {
  return readWhole(`${root}/${pid}/${name}`);
}

/** Boot time, epoch ms (`btime` of /proc/stat), to turn start ticks into a date. */
export function bootTimeMs(root: string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${root}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const at = stat.indexOf('\nbtime ');
  if (at < 0) return undefined;
  const n = Number.parseInt(stat.slice(at + 7), 10);
  return Number.isFinite(n) ? n * 1000 : undefined;
}
