// The syslog wrapping a snoopy message gets when it goes through /dev/log and a syslog daemon
// writes it to a file: `[<PRI>]TIMESTAMP HOST TAG[PID]: MSG`, the timestamp either RFC 3339
// (rsyslog's default on Debian 12) or RFC 3164 (`Nov 23 00:55:30`, no year). rsyslog writes
// control characters as `#` + three octal digits (`#012` newline, `#011` tab).

export interface SyslogHeader {
  /** epoch ms; NaN when the timestamp could not be read */
  time: number;
  host: string;
  program: string;
  pid: number | undefined;
  /** index of the message's first character */
  msgStart: number;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Reads a syslog header at the start of `line`; undefined when the line does not start with one.
 * `nowMs` supplies the year for RFC 3164 timestamps (the year that does not put the line in the
 * future by more than a day, so December lines read in January land in the previous year).
 */
export function parseSyslogHeader(line: string, nowMs: number): SyslogHeader | undefined {
  let i = 0;
  if (line.charCodeAt(0) === 60 /* < */) {
    const close = line.indexOf('>', 1);
    if (close < 2 || close > 4) return undefined;
    i = close + 1;
  }
  let time: number;
  const c0 = line.charCodeAt(i);
  if (isDigit(c0)) {
    // RFC 3339: 2026-11-23T00:55:30.449461+00:00
    const sp = line.indexOf(' ', i);
    if (sp < 0 || sp - i < 19 || line.charCodeAt(i + 4) !== 45 || line.charCodeAt(i + 10) !== 84 /* T */) return undefined;
    time = Date.parse(line.slice(i, sp));
    if (Number.isNaN(time)) return undefined;
    i = sp + 1;
  } else {
    // RFC 3164: "Nov 23 00:55:30" (day space-padded: "Nov  3")
    const mon = MONTHS[line.slice(i, i + 3)];
    if (mon === undefined || line.charCodeAt(i + 3) !== 32) return undefined;
    let j = i + 4;
    if (line.charCodeAt(j) === 32) j++;
    let day = 0;
    while (isDigit(line.charCodeAt(j))) day = day * 10 + line.charCodeAt(j++) - 48;
    if (day < 1 || day > 31 || line.charCodeAt(j) !== 32) return undefined;
    const t = line.slice(j + 1, j + 9);
    if (t.length !== 8 || t[2] !== ':' || t[5] !== ':') return undefined;
    const hh = +t.slice(0, 2),
      mm = +t.slice(3, 5),
      ss = +t.slice(6, 8);
    if (!(hh < 24 && mm < 60 && ss < 61)) return undefined;
    let year = new Date(nowMs).getUTCFullYear();
    time = Date.UTC(year, mon, day, hh, mm, ss);
    if (time > nowMs + 86_400_000) time = Date.UTC(--year, mon, day, hh, mm, ss);
    i = j + 10;
  }
  const hostEnd = line.indexOf(' ', i);
  if (hostEnd <= i) return undefined;
  const host = line.slice(i, hostEnd);
  i = hostEnd + 1;
  // TAG is up to ':' (with an optional [PID] just before it), no spaces.
  const colon = line.indexOf(':', i);
  if (colon <= i) return undefined;
  const sp = line.indexOf(' ', i);
  if (sp !== -1 && sp < colon) return undefined;
  let program = line.slice(i, colon);
  let pid: number | undefined;
  const br = program.indexOf('[');
  if (br > 0 && program.endsWith(']')) {
    const n = Number(program.slice(br + 1, -1));
    if (Number.isInteger(n)) pid = n;
    program = program.slice(0, br);
  }
  let msgStart = colon + 1;
  if (line.charCodeAt(msgStart) === 32) msgStart++;
  return { time, host, program, pid, msgStart };
}

/**
 * Undoes rsyslog's control-character escaping (`#012` → newline). Only sequences that stand
 * for a control character are decoded: rsyslog leaves a literal `#` alone, so `#123` typed in a
 * command stays as it is (a literal `#012` typed by a user is indistinguishable and is decoded).
 */
export function unescapeRsyslog(s: string): string {
  let i = s.indexOf('#');
  if (i < 0) return s;
  let out = '';
  let last = 0;
  for (; i >= 0 && i + 3 < s.length; i = s.indexOf('#', i + 1)) {
    const a = s.charCodeAt(i + 1) - 48,
      b = s.charCodeAt(i + 2) - 48,
      c = s.charCodeAt(i + 3) - 48;
    if (a < 0 || a > 3 || b < 0 || b > 7 || c < 0 || c > 7) continue;
    const code = a * 64 + b * 8 + c;
    if (code >= 32 && code !== 127) continue;
    out += s.slice(last, i) + String.fromCharCode(code);
    last = i + 4;
    i += 3;
  }
  return last === 0 ? s : out + s.slice(last);
}
