// Per-line warnings (a line that is not a record, one cut at max_line_bytes) are shown the way
// `normalize` shows them: the first few per file, then only counted, so a garbage file cannot
// flood the log. A long-running daemon also says, at most once per interval, how many it kept
// back, and once more at stop.

/** Warnings shown per file before the rest are only counted (normalize's limit too). */
export const SHOWN_WARNINGS_PER_FILE = 10;
/** How often the daemon says how many warnings of a file it kept back. */
export const HIDDEN_SUMMARY_INTERVAL_MS = 60_000;
// files remembered; past this the oldest is forgotten (its next warnings are shown again)
const MAX_FILES = 1024;

interface FileWarnings {
  shown: number;
  hidden: number;
  summarizedAt: number;
}

/** The file a warning is about: its `where` without a trailing ":LINE". */
export function fileOf(where: string): string {
  const colon = where.lastIndexOf(':');
  if (colon <= 0) return where;
  for (let i = colon + 1; i < where.length; i++) {
    const c = where.charCodeAt(i);
    if (c < 48 || c > 57) return where;
  }
  return colon + 1 < where.length ? where.slice(0, colon) : where;
}

export class WarningLimiter {
  private readonly files = new Map<string, FileWarnings>();

  constructor(
    private readonly perFile = SHOWN_WARNINGS_PER_FILE,
    private readonly intervalMs = HIDDEN_SUMMARY_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One warning about `where` ("file:line"): `show` when it is among the file's first ones;
   * `summary`, when due, says how many were kept back since the last summary.
   */
  take(where: string): { show: boolean; summary?: string } {
    const file = fileOf(where);
    let f = this.files.get(file);
    if (f === undefined) {
      if (this.files.size >= MAX_FILES) this.files.delete(this.files.keys().next().value!);
      this.files.set(file, (f = { shown: 0, hidden: 0, summarizedAt: this.now() }));
    }
    if (f.shown < this.perFile) {
      f.shown++;
      return { show: true };
    }
    f.hidden++;
    if (this.now() - f.summarizedAt < this.intervalMs) return { show: false };
    return { show: false, summary: this.summarize(file, f) };
  }

  /** Summaries of every file with warnings kept back (at stop). */
  flush(): string[] {
    const out: string[] = [];
    for (const [file, f] of this.files) if (f.hidden > 0) out.push(this.summarize(file, f));
    return out;
  }

  private summarize(file: string, f: FileWarnings): string {
    const line = `${file}: ${f.hidden} more warning(s) not shown (the first ${this.perFile} of a file are)`;
    f.hidden = 0;
    f.summarizedAt = this.now();
    return line;
  }
}
