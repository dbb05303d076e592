// The node flags a bin script's shebang gives it (`#!/usr/bin/env -S node FLAGS`): a bench that
// starts the built daemon as `node FILE ...` (to add flags of its own, or to time node itself)
// passes these first, so it measures what running FILE would.
import { readFileSync } from 'node:fs';

export function shebangFlags(file: string): string[] {
  const first = readFileSync(file, 'latin1').split('\n', 1)[0];
  const m = /^#!\S*env -S node((?: \S+)*)\s*$/.exec(first);
  return m === null ? [] : m[1].split(' ').filter(Boolean);
}
