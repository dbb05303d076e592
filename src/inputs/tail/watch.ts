// File notifications for the tailer's plain paths (audit.log, not globs): one inotify watch
// (fs.watch) per directory, and an event counts only when it names a tailed file or a sibling
// starting with its name (audit.log.1, still being drained after a rotation). chokidar, which
// the globs keep, re-reads its whole directory and stats every entry on any event in it: an
// output file or other logs written next to the input cost a readdir and a stat per entry many
// times a second (7,370 statx in one tail run; bench/PROFILE.md), for events about other files.

import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

interface Watched {
  /** the directory's inode when watched: a directory replaced (deleted, made again) is watched anew */
  ino: number;
  watcher: FSWatcher | undefined;
  /** names of the tailed paths in this directory */
  stems: string[];
}

export class DirWatches {
  private readonly dirs = new Map<string, Watched>();
  private closed = false;

  /**
   * `onEvent('rename')`: a name in a watched directory came, went or moved (rotation: the tailer
   * scans); `'change'`: a file was written to.
   */
  constructor(
    paths: readonly string[],
    private readonly onEvent: (kind: 'rename' | 'change') => void,
  ) {
    for (const p of paths) {
      const dir = dirname(p);
      let d = this.dirs.get(dir);
      if (d === undefined) this.dirs.set(dir, (d = { ino: -1, watcher: undefined, stems: [] }));
      d.stems.push(basename(p));
    }
  }

  /**
   * Watches every directory that is not watched yet (missing until now, replaced, or its watch
   * failed); true when all are watched, so notifications can be trusted to come.
   */
  check(): boolean {
    let all = true;
    for (const [dir, d] of this.dirs) {
      let ino: number;
      try {
        ino = statSync(dir).ino;
      } catch {
        this.unwatch(d);
        all = false;
        continue;
      }
      if (d.watcher !== undefined && d.ino === ino) continue;
      this.unwatch(d);
      if (this.closed) return false;
      try {
        const w = watch(dir, { persistent: true }, (kind, name) => {
          // no name: the kernel did not say which (an overflowed queue): let the tailer look
          if (name === null || this.wanted(d, name)) this.onEvent(kind === 'change' ? 'change' : 'rename');
        });
        w.on('error', () => {
          // the directory is gone or unreadable: polled until check() watches it again
          if (d.watcher === w) this.unwatch(d);
          this.onEvent('rename');
        });
        d.watcher = w;
        d.ino = ino;
      } catch {
        all = false;
      }
    }
    return all;
  }

  close(): void {
    this.closed = true;
    for (const d of this.dirs.values()) this.unwatch(d);
  }

  private wanted(d: Watched, name: string): boolean {
    for (let i = 0; i < d.stems.length; i++) if (name.startsWith(d.stems[i])) return true;
    return false;
  }

  private unwatch(d: Watched): void {
    d.watcher?.close();
    d.watcher = undefined;
    d.ino = -1;
  }
}
