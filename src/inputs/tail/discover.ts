// Which files do the configured paths name right now? A path is either a plain file name or a
// glob (micromatch syntax, dotfiles included so /home/*/.bash_history works). chokidar 4 has no
// globs, so the glob's static base directory is what gets watched and walked.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import micromatch from 'micromatch';

export interface PathPattern {
  pattern: string;
  /** directory that holds every match (the glob's static prefix), or the file's own directory */
  base: string;
  isGlob: boolean;
  /** directory levels below base a match can sit at (Infinity for `**`) */
  depth: number;
}

const MAX_WALK_DEPTH = 8;

export function compilePattern(pattern: string): PathPattern {
  const scan = micromatch.scan(pattern);
  if (!scan.isGlob) {
    const slash = pattern.lastIndexOf('/');
    return { pattern, base: slash > 0 ? pattern.slice(0, slash) : '/', isGlob: false, depth: 0 };
  }
  const rest = scan.glob.split('/').filter(Boolean);
  const depth = rest.includes('**') ? Infinity : rest.length - 1;
  return { pattern, base: scan.base || '.', isGlob: true, depth };
}

export const matchesAny = (path: string, patterns: readonly PathPattern[], exclude: readonly string[]): boolean =>
  patterns.some((p) => (p.isGlob ? micromatch.isMatch(path, p.pattern, { dot: true }) : path === p.pattern)) &&
  !(exclude.length && micromatch.isMatch(path, exclude as string[], { dot: true }));

/** Every existing file the patterns match (plain paths are returned as is; the caller stats). */
export function expand(patterns: readonly PathPattern[], exclude: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!p.isGlob) {
      if (!exclude.length || !micromatch.isMatch(p.pattern, exclude as string[], { dot: true })) out.add(p.pattern);
      continue;
    }
    walk(p.base, 0, Math.min(p.depth, MAX_WALK_DEPTH), (file) => {
      if (micromatch.isMatch(file, p.pattern, { dot: true }) && !(exclude.length && micromatch.isMatch(file, exclude as string[], { dot: true })))
        out.add(file);
    });
  }
  return [...out];
}

function walk(dir: string, level: number, maxLevel: number, onFile: (path: string) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isFile() || e.isSymbolicLink()) onFile(full);
    else if (e.isDirectory() && level < maxLevel) walk(full, level + 1, maxLevel, onFile);
  }
}
