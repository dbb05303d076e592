// snoopy log lines → exec records. Works on snoopy's own file output (`output = file:...`, one
// message per exec, no header) and on snoopy messages a syslog daemon wrapped and wrote (auth.log,
// syslog: RFC 3164 or RFC 3339 header, `snoopy[PID]:` tag, rsyslog's `#012` escapes); lines of
// other programs in such a file are skipped. An argv with newlines spills onto following lines
// with no bracket: those continue the entry before them, so an entry is only complete when the
// next one starts or the input pauses (end()). Pure: the batch `normalize --from snoopy` and the
// tailing input use the same code.
//
// Timestamps: the syslog header's time, else a `datetime:` key of a custom format, else the time
// the line was read (snoopy's default file format carries no time; the `now` option supplies it).

import { statSync } from 'node:fs';
import { parseError, type AuditflowError } from '../../errors.js';
import type { NormalizedRecord, UserRef } from '../../record.js';
import { IsoClock } from '../../audit/normalize/iso-time.js';
import { parseBracket } from './bracket.js';
import { shellArgs } from '../../shell-words.js';
import { parseSyslogHeader, unescapeRsyslog } from './syslog.js';
import { ttyDevice } from '../../tty.js';

export interface SnoopyParserOptions {
  /** Clock for entries whose line carries no time; default Date.now. */
  now?: () => number;
  /** A line that is not a snoopy entry (named by `where`); default: ignored. */
  onError?: (err: AuditflowError) => void;
  /**
   * Whether a path is an existing directory: used only when a `]: ` inside cwd makes the end of
   * the bracket ambiguous. Default: stat(2). Tests and batch runs on other hosts may pass their own.
   */
  isDirectory?: (path: string) => boolean;
  /** Keep the raw line(s) as event.original. */
  keepOriginal?: boolean;
}

export interface SnoopyParser {
  /** One line; returns the entries that became complete (earlier ones). `offset`: where it starts. */
  line(text: string, where: string, offset?: number): NormalizedRecord[];
  /** Input paused or ended: returns the entry still held. */
  end(): NormalizedRecord[];
  /** Start offset of the held entry's first line (as passed to line()), or undefined. */
  heldFrom(): number | undefined;
  readonly counts: { entries: number; skipped: number; errors: number };
}

interface Held {
  time: number;
  pid: number | undefined;
  fields: Record<string, string>;
  cmd: string;
  offset: number | undefined;
  original: string | undefined;
  syslog: boolean;
}

// shared by every record (like the normalizer's tables): records never change these arrays
const CATEGORY = ['process'];
const TYPE = ['start'];

/** snoopy cuts a command line to fit its 2048-byte buffer (2047 bytes + NUL). */
const SNOOPY_CMDLINE_MAX = 2047;

const defaultIsDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export function createSnoopyParser(opts: SnoopyParserOptions = {}): SnoopyParser {
  const now = opts.now ?? Date.now;
  const isDirectory = opts.isDirectory ?? defaultIsDirectory;
  const keepOriginal = opts.keepOriginal ?? false;
  const counts = { entries: 0, skipped: 0, errors: 0 };
  let held: Held | undefined;

  // Among several `]: ` the bracket could end at, the cwd that exists wins; else the bracket
  // reader looks at the command line's shape, defaulting to the first (a `]: ` in a command line
  // is far more common than in a directory name).
  const pickClose = (key: string, candidates: string[]): number => {
    if (key !== 'cwd') return -1;
    for (let k = 0; k < candidates.length; k++) if (isDirectory(candidates[k])) return k;
    return -1;
  };

  const clock = new IsoClock();
  const flush = (out: NormalizedRecord[]) => {
    if (!held) return;
    out.push(buildRecord(held, clock));
    counts.entries++;
    held = undefined;
  };

  return {
    counts,
    heldFrom: () => held?.offset,
    line(text, where, offset) {
      const out: NormalizedRecord[] = [];
      if (text.length === 0) {
        if (held) {
          held.cmd += '\n';
          if (held.original !== undefined) held.original += '\n';
        }
        return out;
      }
      let msg = text;
      let time = NaN;
      let pid: number | undefined;
      let syslog = false;
      if (text.charCodeAt(0) !== 91 /* [ */) {
        const h = parseSyslogHeader(text, now());
        if (h) {
          if (h.program !== 'snoopy') {
            flush(out);
            counts.skipped++;
            return out;
          }
          syslog = true;
          msg = unescapeRsyslog(text.slice(h.msgStart));
          time = h.time;
          pid = h.pid;
        } else if (held) {
          // argv with a newline: the rest of the command line
          held.cmd += '\n' + text;
          if (held.original !== undefined) held.original += '\n' + text;
          return out;
        }
      }
      const b = parseBracket(msg, 0, pickClose);
      if (!b) {
        if (held && !syslog) {
          held.cmd += '\n' + text;
          if (held.original !== undefined) held.original += '\n' + text;
          return out;
        }
        flush(out);
        counts.errors++;
        // the line itself is not quoted: it may hold a secret, and this message goes to the daemon's log
        opts.onError?.(parseError(where, `not a snoopy entry (no [key:value ...]: bracket; ${text.length} characters)`));
        return out;
      }
      flush(out);
      if (Number.isNaN(time) && b.fields.datetime !== undefined) time = parseDatetime(b.fields.datetime);
      if (Number.isNaN(time)) time = now();
      held = {
        time,
        pid,
        fields: b.fields,
        cmd: msg.slice(b.cmdStart),
        offset,
        syslog,
        original: keepOriginal ? text : undefined,
      };
      return out;
    },
    end() {
      const out: NormalizedRecord[] = [];
      flush(out);
      return out;
    },
  };
}

function parseDatetime(v: string): number {
  let t = Date.parse(v);
  // snoopy's %{datetime} writes the offset as +0000, which Date.parse does not take
  if (Number.isNaN(t) && /[+-]\d{4}$/.test(v)) t = Date.parse(v.slice(0, -2) + ':' + v.slice(-2));
  return t;
}

/** `root(0)` → {name, id}; `0` → {id}; `(none)`/`(unknown)`/`-1` → undefined. */
function parseUser(v: string | undefined): UserRef | undefined {
  if (v === undefined || v === '' || v[0] === '(' || v === '-1') return undefined;
  const p = v.indexOf('(');
  if (p > 0 && v.endsWith(')')) {
    const id = v.slice(p + 1, -1);
    const name = v.slice(0, p);
    const u: UserRef = {};
    if (isDigits(id)) u.id = id;
    if (name && name[0] !== '(') u.name = name;
    return u.id || u.name ? u : undefined;
  }
  return isDigits(v) ? { id: v } : { name: v };
}

/** `uid:root(0)/root(0)` is real/effective; a plain value is the real one only. */
function splitPair(v: string | undefined): [UserRef | undefined, UserRef | undefined] {
  if (v === undefined) return [undefined, undefined];
  const slash = v.indexOf(')/');
  if (slash > 0) return [parseUser(v.slice(0, slash + 1)), parseUser(v.slice(slash + 2))];
  return [parseUser(v), undefined];
}

const unset = (v: string | undefined): boolean => v === undefined || v === '' || v === '(none)' || v === '(unknown)' || v === '(undefined)' || v === '-1';

function buildRecord(h: Held, clock: IsoClock): NormalizedRecord {
  const f = h.fields;
  const cmd = h.cmd;
  const rec: NormalizedRecord = {
    '@timestamp': clock.iso(Math.floor(h.time)),
    event: { module: 'snoopy', kind: 'event', category: CATEGORY, type: TYPE, action: 'executed', outcome: 'unknown' },
  };
  if (h.original !== undefined) rec.event.original = h.original;

  // snoopy joins argv with single spaces: args are that line read as a shell would (sh -c '...'
  // scripts keep their quotes in the line), exact unless an argument itself held a space or a
  // quote (then the line is still exact in command_line)
  const args = cmd.length ? shellArgs(cmd) : [];
  const proc: NonNullable<NormalizedRecord['process']> = { command_line: cmd, args, args_count: args.length };
  const pid = h.pid ?? toInt(f.pid);
  if (pid !== undefined) proc.pid = pid;
  const ppid = toInt(f.ppid);
  if (ppid !== undefined) proc.parent = { pid: ppid };
  const exe = f.filename;
  if (!unset(exe)) proc.executable = exe;
  const argv0 = exe && !unset(exe) ? exe : args[0];
  if (argv0) proc.name = argv0.slice(argv0.lastIndexOf('/') + 1);
  if (!unset(f.cwd)) proc.working_directory = f.cwd;
  const tty = f.tty === undefined ? undefined : f.tty.split(' ', 1)[0];
  const ttyDev = unset(tty) ? undefined : ttyDevice(tty); // the name stays in snoopy.tty
  if (ttyDev !== undefined) proc.tty = ttyDev;
  rec.process = proc;

  // users: 2.5's `uid:name(id)/ename(eid)`, 2.4's `uid:0`, custom username/euid/eusername/gid...
  const [real, eff] = splitPair(f.uid);
  const user: NonNullable<NormalizedRecord['user']> = {};
  if (real?.id) user.id = real.id;
  if (real?.name) user.name = real.name;
  if (!unset(f.username) && !user.name) user.name = f.username;
  const effective: UserRef = { ...eff };
  if (!unset(f.euid) && !effective.id) Object.assign(effective, parseUser(f.euid));
  if (!unset(f.eusername) && !effective.name) effective.name = f.eusername;
  if (effective.id || effective.name) user.effective = effective;
  if (!unset(f.login)) user.audit = { name: f.login };
  const [group, egroup] = splitPair(f.gid);
  if (group?.id || group?.name) user.group = group;
  if (!unset(f.group) && !user.group) user.group = { name: f.group };
  void egroup;
  if (user.id || user.name || user.effective || user.audit || user.group) rec.user = user;

  // ssh:(client_ip client_port server_ip server_port) from $SSH_CONNECTION
  const ssh = f.ssh ?? f['env:SSH_CONNECTION'];
  if (ssh !== undefined) {
    const inner = ssh.replace(/^\(+|\)+$/g, '');
    const parts = inner.split(' ');
    if (parts.length === 4 && (parts[0].includes('.') || parts[0].includes(':'))) {
      const port = toInt(parts[1]);
      rec.source = port === undefined ? { ip: parts[0] } : { ip: parts[0], port };
    }
  }

  // the bracket's own key/values, as snoopy wrote them
  if (cmd.length * 3 >= SNOOPY_CMDLINE_MAX && Buffer.byteLength(cmd) >= SNOOPY_CMDLINE_MAX) f.cmdline_truncated = 'true';
  rec.snoopy = f;

  const who =
    user.audit?.name && user.name && user.audit.name !== user.name
      ? `${user.audit.name} as ${user.name}`
      : (user.name ?? user.audit?.name ?? (user.id !== undefined ? `uid ${user.id}` : 'someone'));
  rec.message = `${who} executed ${oneLine(cmd)}${proc.working_directory ? ` (cwd ${proc.working_directory})` : ''}`;
  return rec;
}

const oneLine = (s: string): string => (s.indexOf('\n') === -1 && s.indexOf('\t') === -1 ? s : s.replace(/[\n\t]/g, ' '));

function isDigits(v: string): boolean {
  if (v.length === 0 || v.length > 15) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function toInt(v: string | undefined): number | undefined {
  return v !== undefined && isDigits(v) ? Number(v) : undefined;
}

/** Cheap sniff for `--from auto`: do these first lines look like a snoopy log? */
export function looksLikeSnoopy(firstLines: string[]): boolean {
  const now = Date.now();
  let hits = 0,
    framed = 0,
    seen = 0;
  for (const line of firstLines) {
    if (!line) continue;
    seen++;
    let msg = line;
    if (line[0] !== '[') {
      const h = parseSyslogHeader(line, now);
      if (!h) continue;
      framed++;
      if (h.program !== 'snoopy') continue;
      msg = line.slice(h.msgStart);
    } else framed++;
    if (parseBracket(msg, 0, () => -1)) hits++;
  }
  // Continuation lines are unframed, but a snoopy log is mostly entries (or syslog lines).
  return hits > 0 && framed * 2 >= seen;
}
