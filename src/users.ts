// uid/gid ⇄ name from /etc/passwd and /etc/group (the normalizer names users; filters accept
// names). Files are read once and re-read when their mtime or size changes, checked at most once
// per `checkIntervalMs` so a lookup on the hot path costs a Map get. NSS (LDAP, sssd) is out of
// reach without a native call; ids those know stay unnamed rather than stall the pipeline.

import { readFileSync, statSync } from 'node:fs';

/** auid/ses value meaning "never set" (the kernel's (u32)-1). */
export const UNSET_ID = '4294967295';

export interface IdNameTable {
  /** Name of the id, or undefined when unknown (or the unset id). */
  name(id: string): string | undefined;
  /** Id of the name, or undefined when unknown. */
  id(name: string): string | undefined;
  /** Times the file was (re)read; for tests and stats. */
  readonly loads: number;
  /**
   * Checks the file as a lookup would (at most every 256 calls and checkIntervalMs) and returns
   * `loads`: a number that changes whenever a name may have (the normalizer's record templates
   * hold names looked up at an earlier one).
   */
  generation(): number;
}

export interface IdNameTableOptions {
  /** Milliseconds between mtime checks (at most every 256 lookups). Default 1000; 0 checks on every lookup. */
  checkIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

class ColonFileTable implements IdNameTable {
  loads = 0;
  private byId = new Map<string, string>();
  private byName = new Map<string, string>();
  private mtimeMs = -1;
  private size = -1;
  private nextCheck = 0;
  private calls = 0;
  private readonly interval: number;
  private readonly now: () => number;

  constructor(
    private readonly path: string,
    opts: IdNameTableOptions,
  ) {
    this.interval = opts.checkIntervalMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  name(id: string): string | undefined {
    if (id === UNSET_ID) return undefined;
    this.refresh();
    return this.byId.get(id);
  }

  id(name: string): string | undefined {
    this.refresh();
    return this.byName.get(name);
  }

  generation(): number {
    this.refresh();
    return this.loads;
  }

  private refresh(): void {
    // a clock read per lookup adds up at 8 lookups an event; once loaded, look every 256th
    // (checkIntervalMs 0 means every lookup: tests, and callers that must see edits at once)
    if (this.interval > 0 && this.loads > 0 && (++this.calls & 255) !== 0) return;
    const t = this.now();
    if (t < this.nextCheck) return;
    this.nextCheck = t + this.interval;
    let st;
    try {
      st = statSync(this.path);
    } catch {
      // A missing file means nobody can be named; keep what we had (a rename-into-place
      // editor briefly removes it).
      return;
    }
    if (st.mtimeMs === this.mtimeMs && st.size === this.size) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return;
    }
    this.mtimeMs = st.mtimeMs;
    this.size = st.size;
    this.load(text);
  }

  private load(text: string): void {
    const byId = new Map<string, string>();
    const byName = new Map<string, string>();
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      // name:password:id:...  (both passwd and group put the id third)
      const c1 = text.indexOf(':', start);
      const c2 = c1 < 0 || c1 > end ? -1 : text.indexOf(':', c1 + 1);
      const c3 = c2 < 0 || c2 > end ? -1 : text.indexOf(':', c2 + 1);
      if (c1 > start && c2 > 0 && text.charCodeAt(start) !== 0x23 /* # */) {
        const name = text.slice(start, c1);
        const id = text.slice(c2 + 1, c3 < 0 || c3 > end ? end : c3).trim();
        // First entry wins, as getpwuid() returns the first match.
        if (id !== '' && !byId.has(id)) byId.set(id, name);
        if (!byName.has(name)) byName.set(name, id);
      }
      start = end + 1;
    }
    this.byId = byId;
    this.byName = byName;
    this.loads++;
  }
}

export function createIdNameTable(path: string, opts: IdNameTableOptions = {}): IdNameTable {
  return new ColonFileTable(path, opts);
}

let passwd: IdNameTable | undefined;
let group: IdNameTable | undefined;

/** The host's /etc/passwd table (created on first use). */
export function users(): IdNameTable {
  return (passwd ??= createIdNameTable('/etc/passwd'));
}

/** The host's /etc/group table (created on first use). */
export function groups(): IdNameTable {
  return (group ??= createIdNameTable('/etc/group'));
}

export const userName = (uid: string): string | undefined => users().name(uid);
export const groupName = (gid: string): string | undefined => groups().name(gid);
