// Where each tailed file has been read up to, durably. Modelled on Vector's file checkpointer:
// versioned JSON, written to a temp file + fsync + rename so a crash leaves either the old or
// the new state (never half of one), the temp file tried first on load (a crash between the
// fsync and the rename leaves the newest complete state there), written only when something
// changed, and entries of files not seen for a while expired so the state does not grow forever.
// The directory is 0700 and the files 0600: they name what is audited and how far it was read.

import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileIdentity } from './identity.js';

export interface Checkpoint extends FileIdentity {
  /** path the file was last seen at (rotation moves it; used to find it again after a restart) */
  path: string;
  /** byte offset up to which every line was delivered and acknowledged */
  offset: number;
  /** lines before `offset`, when known (error messages name lines; absent: bytes) */
  line?: number;
  /** epoch ms the entry was last touched (seen by a scan or advanced) */
  seen: number;
}

interface StateFile {
  version: 1;
  checkpoints: Checkpoint[];
}

export const idKey = (id: { dev: number; ino: number }): string => `${id.dev}:${id.ino}`;

export class CheckpointStore {
  readonly path: string;
  private readonly entries = new Map<string, Checkpoint>();
  private dirty = false;
  private dirReady = false;
  /** how many times the state was written (observable: writes happen only on change) */
  writes = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Loads the newest complete state: the temp file if it parses, else the stable file. */
  load(): { source: 'tmp' | 'stable' | 'none'; entries: number } {
    this.entries.clear();
    for (const [file, source] of [
      [this.path + '.tmp', 'tmp'],
      [this.path, 'stable'],
    ] as const) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const state = parseState(text);
      if (!state) continue;
      for (const cp of state.checkpoints) this.entries.set(idKey(cp), cp);
      // A valid temp file is newer than the stable one; make it the stable one now.
      if (source === 'tmp') {
        this.dirty = true;
        try {
          this.flush();
        } catch {
          /* stays dirty: written by the next flush that succeeds */
        }
      }
      return { source, entries: this.entries.size };
    }
    return { source: 'none', entries: 0 };
  }

  /** Whether the state changed since it was last written. */
  isDirty(): boolean {
    return this.dirty;
  }

  get(id: { dev: number; ino: number }): Checkpoint | undefined {
    return this.entries.get(idKey(id));
  }

  all(): IterableIterator<Checkpoint> {
    return this.entries.values();
  }

  /** Records the acknowledged offset of a file (creates the entry if needed). */
  set(path: string, id: FileIdentity, offset: number, line?: number, now = Date.now()): void {
    const key = idKey(id);
    const cp = this.entries.get(key);
    if (cp && cp.offset === offset && cp.path === path && cp.headLen === id.headLen && cp.head === id.head && cp.line === line) {
      cp.seen = now; // liveness only: not worth a write on its own
      return;
    }
    const entry: Checkpoint = { path, dev: id.dev, ino: id.ino, headLen: id.headLen, head: id.head, offset, seen: now };
    if (line !== undefined) entry.line = line;
    this.entries.set(key, entry);
    this.dirty = true;
  }

  /** Marks a file as still alive without changing its offset. */
  touch(id: { dev: number; ino: number }, now = Date.now()): void {
    const cp = this.entries.get(idKey(id));
    if (cp) cp.seen = now;
  }

  delete(id: { dev: number; ino: number }): void {
    if (this.entries.delete(idKey(id))) this.dirty = true;
  }

  /** Drops entries not seen for ttlMs (files deleted or rotated away long ago). */
  expire(ttlMs: number, now = Date.now()): number {
    let n = 0;
    for (const [key, cp] of this.entries) {
      if (now - cp.seen > ttlMs) {
        this.entries.delete(key);
        n++;
      }
    }
    if (n) this.dirty = true;
    return n;
  }

  /** Writes the state if it changed: temp + fsync + rename + fsync of the directory. */
  flush(): boolean {
    if (!this.dirty) return false;
    const state: StateFile = { version: 1, checkpoints: [...this.entries.values()] };
    const tmp = this.path + '.tmp';
    if (!this.dirReady) {
      // paths and offsets of what is audited are nobody else's business: owner-only, like the state dir
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      chmodSync(dirname(this.path), 0o700);
      this.dirReady = true;
    }
    const fd = openSync(tmp, 'w', 0o600);
    try {
      fchmodSync(fd, 0o600); // a temp file left by an older version keeps its mode otherwise
      const bytes = Buffer.from(JSON.stringify(state));
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    try {
      const dfd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      /* some filesystems refuse fsync on a directory; the rename is still atomic */
    }
    this.dirty = false;
    this.writes++;
    return true;
  }

  /** Removes the state entirely (tests, `start over`). */
  clear(): void {
    this.entries.clear();
    for (const f of [this.path, this.path + '.tmp']) {
      try {
        unlinkSync(f);
      } catch {
        /* absent */
      }
    }
    this.dirty = false;
  }
}

function parseState(text: string): StateFile | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || (v as StateFile).version !== 1 || !Array.isArray((v as StateFile).checkpoints)) return undefined;
  const out: Checkpoint[] = [];
  for (const c of (v as StateFile).checkpoints) {
    if (
      c &&
      typeof c.path === 'string' &&
      Number.isSafeInteger(c.dev) &&
      Number.isSafeInteger(c.ino) &&
      Number.isSafeInteger(c.offset) &&
      c.offset >= 0 &&
      Number.isSafeInteger(c.headLen) &&
      typeof c.head === 'string'
    ) {
      const cp: Checkpoint = { path: c.path, dev: c.dev, ino: c.ino, headLen: c.headLen, head: c.head, offset: c.offset, seen: Number(c.seen) || 0 };
      if (typeof c.line === 'number' && Number.isSafeInteger(c.line) && c.line >= 0) cp.line = c.line;
      out.push(cp);
    }
  }
  return { version: 1, checkpoints: out };
}
