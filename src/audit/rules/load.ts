// Rules files → parsed lines, the way augenrules/auditctl -R read them: a directory means its
// *.rules files in natural order (ls -v); only the first -D is kept and the last -e moves to the
// end, so a rules.d split into many files behaves like one audit.rules.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseRuleLine, RuleError, type ParseOptions, type ParsedLine } from './parse.js';

/** A rules line, parsed, or the error that says why it did not parse. */
export type RuleEntry = ParsedLine | RuleError;

export interface LoadResult {
  /** in file and line order; whether an error stops loading is the applier's call (-i / -c) */
  entries: RuleEntry[];
  files: string[];
}

const natural = new Intl.Collator('en', { numeric: true });

export function ruleFiles(target: string): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith('.rules'))
    .sort(natural.compare)
    .map((f) => path.join(target, f))
    .filter((f) => statSync(f).isFile());
}

export function parseRulesText(text: string, file: string, opts: ParseOptions = {}): RuleEntry[] {
  const lines: RuleEntry[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    try {
      const p = parseRuleLine(rows[i], i + 1, { ...opts, file });
      if (p) lines.push(p);
    } catch (err) {
      if (err instanceof RuleError) lines.push(err);
      else throw err;
    }
  }
  return lines;
}

/** Reads files and directories (in the order given) into one rule set. */
export function loadRules(targets: string[], opts: ParseOptions = {}): LoadResult {
  const out: LoadResult = { entries: [], files: [] };
  const multiFile = targets.length > 1 || targets.some((t) => statSync(t).isDirectory());
  for (const t of targets) {
    for (const file of ruleFiles(t)) {
      out.files.push(file);
      out.entries.push(...parseRulesText(readFileSync(file, 'utf8'), file, opts));
    }
  }
  if (multiFile) {
    let seenD = false;
    let lastEnable: ParsedLine | undefined;
    out.entries = out.entries.filter((l) => {
      if (l instanceof RuleError) return true;
      const onlyD = l.commands.length === 1 && l.commands[0].kind === 'delete-all';
      if (onlyD) {
        if (seenD) return false;
        seenD = true;
      }
      const onlyE = l.commands.length === 1 && l.commands[0].kind === 'set' && l.commands[0].setting === 'enabled';
      if (onlyE) {
        lastEnable = l;
        return false;
      }
      return true;
    });
    if (lastEnable) out.entries.push(lastEnable);
  }
  return out;
}
