// bash history lines → one record per command. With HISTTIMEFORMAT set bash writes `#<epoch>`
// before each entry, and with `lithist` a multi-line command keeps its newlines: every line up to
// the next `#<epoch>` belongs to the entry, so an entry is complete only when the next one starts
// or the input pauses (end()). Without timestamps each line is a command of its own (bash itself
// reads such a file back that way).
//
// Duplicates: `history -a` appends the new entries, a later `history -w` (or exit with
// histappend after -a in some sequences) writes them again, and a HISTFILESIZE trim or `-w`
// rewrites the whole file. Timestamped entries are deduplicated on epoch+command (the same
// command typed twice within one second is therefore reported once); the set is shared across
// rewrites of one path through the `seen` option.
//
// Without timestamps there is nothing to deduplicate on, so a rewrite is recognised by content:
// the new file of a path starts with a run of the commands the old file ended with (a trim keeps
// the last HISTFILESIZE lines, `-w` writes the whole list). Such a run, matched line by line
// against the commands already seen for the path (`recent`, shared across rewrites), is dropped;
// the first line that breaks the run ends the check and everything from there is reported.
//
// Time: the entry's `#epoch` when present, else `fallbackTime()` — the tailing input passes the
// file's mtime (bash writes the file when the session ends or on `history -a`, so that is when the
// commands were last typed, not when auditflow happened to read them).

import { isoTime, type NormalizedRecord, type UserRef } from '../../record.js';
import { shellArgs } from '../../shell-words.js';

export interface BashParserOptions {
  user?: UserRef;
  /** history file path, reported as bash.history_file */
  file: string;
  /** time for entries with no `#epoch` (epoch ms); default Date.now */
  fallbackTime?: () => number;
  /** epoch+command keys already reported for this path (shared across rewrites) */
  seen?: SeenSet;
  /** untimestamped commands already reported for this path, in file order (shared across rewrites) */
  recent?: RecentCommands;
  /** this file replaces one already read: drop its leading run of already-reported commands */
  rewrite?: boolean;
  keepOriginal?: boolean;
}

export interface BashHistoryParser {
  line(text: string, where: string, offset?: number): NormalizedRecord[];
  end(): NormalizedRecord[];
  heldFrom(): number | undefined;
  readonly counts: { commands: number; duplicates: number };
}

// shared by every record (like the normalizer's tables): records never change these arrays
const CATEGORY = ['process'];
const TYPE = ['start'];

/** Bounded set of epoch+command keys (oldest forgotten first). */
export class SeenSet {
  private readonly keys = new Set<string>();
  constructor(private readonly max = 20000) {}
  /** true if the key was new (and is now remembered) */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
  get size(): number {
    return this.keys.size;
  }
}

/** The last commands of a history file, in order (bounded). */
export class RecentCommands {
  private list: string[] = [];
  constructor(private readonly max = 10000) {}
  push(cmd: string): void {
    this.list.push(cmd);
    if (this.list.length > this.max * 2) this.list = this.list.slice(-this.max);
  }
  get length(): number {
    return this.list.length;
  }
  at(i: number): string | undefined {
    return this.list[i];
  }
  /** indices holding `cmd` (where a rewritten file could resume the old content) */
  positions(cmd: string): number[] {
    const out: number[] = [];
    for (let i = Math.max(0, this.list.length - this.max); i < this.list.length; i++) if (this.list[i] === cmd) out.push(i);
    return out;
  }
}

/** `#` followed only by digits: bash's timestamp line. */
function epochOf(text: string): number | undefined {
  const n = text.length;
  if (n < 2 || n > 12 || text.charCodeAt(0) !== 35) return undefined;
  let v = 0;
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v;
}

export function createBashHistoryParser(opts: BashParserOptions): BashHistoryParser {
  const fallbackTime = opts.fallbackTime ?? Date.now;
  const seen = opts.seen ?? new SeenSet();
  const counts = { commands: 0, duplicates: 0 };
  let epoch = 0;
  let lines: string[] = [];
  let heldOffset: number | undefined;
  let held = false;

  const recent = opts.recent ?? new RecentCommands();
  const emit = (out: NormalizedRecord[], cmd: string, time: number, ts: number | undefined) => {
    if (ts !== undefined && !seen.add(ts + '\0' + cmd)) {
      counts.duplicates++;
      return;
    }
    counts.commands++;
    out.push(buildRecord(cmd, time, opts));
  };

  // the rewrite check for untimestamped lines (see the top of the file)
  let resyncing = !!opts.rewrite && recent.length > 0;
  let candidates: number[] = [];
  let pending: { cmd: string; time: number; offset: number | undefined }[] = [];
  const emitUntimed = (out: NormalizedRecord[], cmd: string, offset: number | undefined) => {
    const time = fallbackTime();
    if (resyncing) {
      const k = pending.length;
      candidates = k === 0 ? recent.positions(cmd) : candidates.filter((j) => recent.at(j + k) === cmd);
      if (candidates.length) {
        pending.push({ cmd, time, offset });
        if (candidates.some((j) => j + pending.length === recent.length)) {
          // the run reaches the end of what was read before: all of it was reported already
          counts.duplicates += pending.length;
          pending = [];
          resyncing = false;
        }
        return;
      }
      resyncing = false;
      for (const p of pending) {
        emit(out, p.cmd, p.time, undefined);
        recent.push(p.cmd);
      }
      pending = [];
    }
    emit(out, cmd, time, undefined);
    recent.push(cmd);
  };

  const flush = (out: NormalizedRecord[]) => {
    if (!held) return;
    // lithist keeps a here-document's final newline as an empty last line
    while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const cmd = lines.join('\n');
    if (cmd.length) emit(out, cmd, epoch * 1000, epoch);
    held = false;
    lines = [];
    heldOffset = undefined;
  };

  return {
    counts,
    heldFrom: () => (pending.length ? pending[0].offset : held ? heldOffset : undefined),
    line(text, _where, offset) {
      const out: NormalizedRecord[] = [];
      const ts = epochOf(text);
      if (ts !== undefined) {
        flush(out);
        epoch = ts;
        held = true;
        heldOffset = offset;
        return out;
      }
      if (held) {
        lines.push(text);
        return out;
      }
      if (text.length) emitUntimed(out, text, offset);
      return out;
    },
    end() {
      const out: NormalizedRecord[] = [];
      flush(out);
      if (pending.length) {
        // the whole new file so far is a run of old commands (bash writes a file in one go)
        counts.duplicates += pending.length;
        pending = [];
        resyncing = false;
      }
      return out;
    },
  };
}

function buildRecord(cmd: string, time: number, opts: BashParserOptions): NormalizedRecord {
  const rec: NormalizedRecord = {
    '@timestamp': isoTime(time),
    event: { module: 'bash', kind: 'event', category: CATEGORY, type: TYPE, action: 'executed-command', outcome: 'unknown' },
    // argv as bash splits the line (operators are words of their own: a line can be a pipeline)
    process: { command_line: cmd, args: shellArgs(cmd) },
    bash: { history_file: opts.file },
  };
  if (opts.keepOriginal) rec.event.original = cmd;
  const u = opts.user;
  if (u && (u.id !== undefined || u.name !== undefined)) {
    rec.user = {};
    if (u.id !== undefined) rec.user.id = u.id;
    if (u.name !== undefined) rec.user.name = u.name;
  }
  const who = u?.name ?? (u?.id !== undefined ? `uid ${u.id}` : 'someone');
  rec.message = `${who} ran in bash: ${cmd.replace(/[\n\t]/g, ' ')}`;
  return rec;
}

/**
 * Cheap sniff for `--from auto`: a history file with timestamps (`#<epoch>` every few lines,
 * nothing that is an audit record or a snoopy bracket). Untimestamped history is plain text and
 * is not guessed: name it with `--from bash`.
 */
export function looksLikeBashHistory(firstLines: string[]): boolean {
  let stamps = 0;
  for (const line of firstLines) {
    if (!line) continue;
    if (epochOf(line) !== undefined && line.length >= 10) stamps++;
    else if (line.startsWith('type=') || line.startsWith('node=')) return false;
  }
  return stamps > 0 && epochOf(firstLines.find((l) => l.length > 0) ?? '') !== undefined;
}
